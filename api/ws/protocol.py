"""The ``graphql-transport-ws`` protocol, as implemented by the ``graphql-ws`` JS library.

See https://github.com/enisdenjo/graphql-ws/blob/master/PROTOCOL.md and docs/realtime-protocol.md.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum

SUBPROTOCOL = "graphql-transport-ws"


class MessageType(StrEnum):
    CONNECTION_INIT = "connection_init"
    CONNECTION_ACK = "connection_ack"
    PING = "ping"
    PONG = "pong"
    SUBSCRIBE = "subscribe"
    NEXT = "next"
    ERROR = "error"
    COMPLETE = "complete"


class CloseCode(IntEnum):
    """Close codes the server uses; the 44xx ones are the protocol's own."""

    # The server asks the client to reconnect now (the socket reached its maximum age): not an
    # error; reconnect, subscribe again and catch up.
    RECONNECT = 4000
    BAD_REQUEST = 4400
    UNAUTHORIZED = 4401  # subscribe before connection_ack
    FORBIDDEN = 4403  # no valid credentials
    SUBPROTOCOL_NOT_ACCEPTABLE = 4406
    CONNECTION_INITIALISATION_TIMEOUT = 4408
    SUBSCRIBER_ALREADY_EXISTS = 4409
    TOO_MANY_INITIALISATION_REQUESTS = 4429
    TOO_MANY_MESSAGES = 4429  # flooding: over GRAPHQL_WS_MESSAGES_BURST / _PER_SECOND


class OperationErrorCode(StrEnum):
    """Codes of ``error`` messages the consumer itself produces (resolvers bring their own)."""

    TOO_MANY_OPERATIONS = "TOO_MANY_OPERATIONS"
    # The channel layer (Redis) is down: queries and mutations still work; subscribe again later.
    REALTIME_UNAVAILABLE = "REALTIME_UNAVAILABLE"


# Keys of the connection_init payload that may carry the headless session token (Apollo
# clients send ``connectionParams`` there), in order of precedence.
INIT_TOKEN_KEYS = ("sessionToken", "X-Session-Token", "token")
