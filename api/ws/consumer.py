"""The GraphQL endpoint over WebSocket: ``graphql-transport-ws`` on graphene's schema.

A thin adapter: operations run through the same schema, validation rules and error format as
over HTTP; rules stay in services. Queries and mutations execute once (in a worker thread, as
the HTTP view does) and answer ``next`` + ``complete``. A subscription's source stream is
created while its ``subscribe`` message is handled, so its groups are joined before the
consumer reads the client's next message (see ``api.ws.broker``).
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import graphene_django.settings as graphene_django_settings
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.layers import get_channel_layer
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest
from django.utils.translation import gettext as _
from graphql import (
    DocumentNode,
    ExecutionResult,
    GraphQLError,
    GraphQLSchema,
    OperationType,
    execute_sync,
    get_operation_ast,
)

from accounts.models import User
from api.auth import SESSION_ENDED_EVENT, session_fingerprint
from api.documents import document_errors, parse_document
from api.errors import format_error
from api.ws.auth import connection_user, user_for_token
from api.ws.broker import ChannelLayerUnavailable, EventBroker, EventStream
from api.ws.execution import SubscriptionResults, subscribe
from api.ws.protocol import SUBPROTOCOL, CloseCode, MessageType, OperationErrorCode
from common.realtime import user_group
from config.request_context import client_ip, set_ip_address

logger = logging.getLogger(__name__)

_MAX_CLOSE_REASON_BYTES = 123  # RFC 6455: a close frame's reason fits in 123 bytes
# Rejoining the user's group after a layer failure: first wait, and the longest.
REJOIN_DELAY_SECONDS = (0.5, 10.0)


class MessageBudget:
    """A token bucket over the messages a client sends: ``burst`` at once, ``rate`` per second
    sustained. A socket that overdraws it is flooding and gets closed (4429)."""

    def __init__(self, burst: int, rate: float) -> None:
        self.burst = burst
        self.rate = rate
        self.tokens = float(burst)
        self.updated = time.monotonic()

    def spend(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


def message_budget() -> MessageBudget:
    return MessageBudget(
        burst=settings.GRAPHQL_WS_MESSAGES_BURST,
        rate=settings.GRAPHQL_WS_MESSAGES_PER_SECOND,
    )


@dataclass
class SocketContext:
    """``info.context`` of every operation run over a socket (over HTTP it is the request)."""

    user: User | AnonymousUser
    broker: EventBroker
    scope: dict[str, Any]

    @cached_property
    def request(self) -> HttpRequest:
        """The handshake as a Django request, so host and scheme follow Django's settings
        (ALLOWED_HOSTS, SECURE_PROXY_SSL_HEADER) exactly as over HTTP."""
        scheme = "https" if self.scope.get("scheme") == "wss" else "http"
        request = ASGIRequest({**self.scope, "type": "http", "method": "GET", "scheme": scheme}, io.BytesIO())
        request.user = self.user
        return request

    def build_absolute_uri(self, location: str) -> str:
        return self.request.build_absolute_uri(location)


class _ProtocolError(Exception):
    """The client broke the protocol: close the socket with ``code``."""

    def __init__(self, code: CloseCode, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


class GraphQLTransportWSConsumer(AsyncWebsocketConsumer):
    # None: graphene-django's GRAPHENE["SCHEMA"], the one the HTTP view serves.
    schema: Any = None
    # Events reach a socket only through its broker's per-group channels, so the consumer takes
    # no channel of its own (an alias nobody configures): Channels would end the socket with an
    # error (1011) the moment its own channel's receive failed during a Redis outage.
    channel_layer_alias = "graphql-transport-ws.no-own-channel"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user: User | None = None
        self.init_received = False
        self.closing = False
        self.operations: dict[str, asyncio.Task[None]] = {}
        self.broker: EventBroker | None = None
        self.init_timeout: asyncio.Task[None] | None = None
        self.session_watch: asyncio.Task[None] | None = None
        self.max_age: asyncio.Task[None] | None = None
        self.session_key = ""
        self.budget = message_budget()

    # --- Connection ------------------------------------------------------------------------

    async def dispatch(self, message: dict[str, Any]) -> None:
        # The audit log records the address of the client each action came from.
        headers = dict(self.scope.get("headers", []))
        forwarded = headers.get(b"x-forwarded-for")
        client = self.scope.get("client")
        set_ip_address(
            client_ip(client[0] if client else None, forwarded.decode("latin1") if forwarded else None)
        )
        await super().dispatch(message)

    async def connect(self) -> None:
        if SUBPROTOCOL not in self.scope.get("subprotocols", ()):
            await self.accept()
            await self.close_with(CloseCode.SUBPROTOCOL_NOT_ACCEPTABLE, "Subprotocol not acceptable")
            return
        await self.accept(SUBPROTOCOL)
        self.broker = EventBroker(get_channel_layer())
        self.init_timeout = asyncio.create_task(self._close_unless_initialised())
        self.max_age = asyncio.create_task(self._close_when_old())

    async def _close_when_old(self) -> None:
        await asyncio.sleep(settings.GRAPHQL_WS_MAX_AGE_SECONDS)
        await self.close_with(CloseCode.RECONNECT, "Reconnect")

    async def _close_unless_initialised(self) -> None:
        await asyncio.sleep(settings.GRAPHQL_WS_CONNECTION_INIT_TIMEOUT)
        if not self.init_received:
            await self.close_with(
                CloseCode.CONNECTION_INITIALISATION_TIMEOUT, "Connection initialisation timeout"
            )

    async def close_with(self, code: CloseCode, reason: str) -> None:
        if self.closing:
            return
        self.closing = True
        encoded = reason.encode()[:_MAX_CLOSE_REASON_BYTES]
        await self.close(code=int(code), reason=encoded.decode(errors="ignore"))

    async def disconnect(self, code: int) -> None:
        self.closing = True
        if self.init_timeout is not None:
            self.init_timeout.cancel()
        tasks = list(self.operations.values())
        tasks += [task for task in (self.session_watch, self.max_age) if task is not None]
        self.operations.clear()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self.broker is not None:
            await self.broker.close()

    # --- Messages --------------------------------------------------------------------------

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.closing:
            return
        if not self.budget.spend():
            await self.close_with(CloseCode.TOO_MANY_MESSAGES, "Too many messages")
            return
        try:
            await self._handle(self._decode(text_data))
        except _ProtocolError as error:
            await self.close_with(error.code, error.reason)

    @staticmethod
    def _decode(text_data: str | None) -> dict[str, Any]:
        if text_data is None:
            raise _ProtocolError(CloseCode.BAD_REQUEST, "Binary messages are not supported")
        # Daphne refuses larger frames already (--websocket-max-message-size); other servers may not.
        if len(text_data.encode()) > settings.WEBSOCKET_MAX_MESSAGE_BYTES:
            raise _ProtocolError(CloseCode.BAD_REQUEST, "Message too large")
        try:
            message = json.loads(text_data)
        except ValueError:
            raise _ProtocolError(CloseCode.BAD_REQUEST, "Invalid message: not JSON") from None
        if not isinstance(message, dict) or not isinstance(message.get("type"), str):
            raise _ProtocolError(CloseCode.BAD_REQUEST, "Invalid message: no type")
        return message

    async def _handle(self, message: dict[str, Any]) -> None:
        kind = message["type"]
        if kind == MessageType.CONNECTION_INIT:
            await self._connection_init(_optional_object(message, "payload"))
        elif kind == MessageType.PING:
            payload = _optional_object(message, "payload")
            await self._send(
                {"type": MessageType.PONG, **({"payload": payload} if payload is not None else {})}
            )
        elif kind == MessageType.PONG:
            _optional_object(message, "payload")
        elif kind == MessageType.SUBSCRIBE:
            await self._subscribe(message)
        elif kind == MessageType.COMPLETE:
            await self._complete(_operation_id(message))
        else:
            raise _ProtocolError(CloseCode.BAD_REQUEST, f"Invalid message type: {kind[:40]}")

    async def _connection_init(self, payload: dict[str, Any] | None) -> None:
        if self.init_received:
            raise _ProtocolError(
                CloseCode.TOO_MANY_INITIALISATION_REQUESTS, "Too many initialisation requests"
            )
        self.init_received = True
        if self.init_timeout is not None:
            self.init_timeout.cancel()
        authenticated = await connection_user(self.scope, payload or {})
        if authenticated is None:
            raise _ProtocolError(CloseCode.FORBIDDEN, "Forbidden")
        self.user, self.session_key = authenticated
        # Joined before the ack, so a logout from then on closes this socket. If the channel
        # layer is down the socket still serves queries and mutations (each checks the session
        # again) and keeps trying to join in the background.
        first = await self._watch_for_session_end()
        self.session_watch = asyncio.create_task(self._close_when_ended(first))
        await self._send({"type": MessageType.CONNECTION_ACK})

    async def _watch_for_session_end(self) -> EventStream | None:
        assert self.broker is not None and self.user is not None
        try:
            return await self.broker.listen(user_group(self.user.pk), kinds={SESSION_ENDED_EVENT})
        except ChannelLayerUnavailable as error:
            logger.warning("Socket of user %s without live events: %s", self.user.pk, error)
            return None

    async def _close_when_ended(self, events: EventStream | None) -> None:
        session = session_fingerprint(self.session_key)
        delay = REJOIN_DELAY_SECONDS[0]
        while not self.closing:
            if events is None:
                # Jittered, so sockets do not all rejoin at the same instant when Redis returns.
                await asyncio.sleep(delay * random.uniform(0.5, 1.5))
                delay = min(2 * delay, REJOIN_DELAY_SECONDS[1])
                events = await self._watch_for_session_end()
                if events is not None:
                    # A logout while the layer was down announced nothing: check it now.
                    try:
                        await self._current_user()
                    except _ProtocolError as error:
                        await self.close_with(error.code, error.reason)
                        return
                continue
            delay = REJOIN_DELAY_SECONDS[0]
            async for event in events:
                if event.get("session") == session:
                    await self.close_with(CloseCode.FORBIDDEN, "Session ended")
                    return
            # The stream ended: the socket is closing, or the channel layer failed.
            await events.aclose()
            events = None

    async def _current_user(self) -> User:
        """The user as the database has them now, through the session that opened the socket.

        Checked before every operation: a socket may outlive a logout, a deactivation or a
        change of permissions, and must not keep what the user had when it opened."""
        user = await user_for_token(self.session_key)
        if user is None or self.user is None or user.pk != self.user.pk:
            raise _ProtocolError(CloseCode.FORBIDDEN, "Session ended")
        self.user = user
        return user

    async def _subscribe(self, message: dict[str, Any]) -> None:
        if self.user is None:
            raise _ProtocolError(CloseCode.UNAUTHORIZED, "Unauthorized")
        operation_id = _operation_id(message)
        payload = message.get("payload")
        if not isinstance(payload, dict):
            raise _ProtocolError(CloseCode.BAD_REQUEST, "Invalid subscribe message")
        query, variables, operation_name = (
            payload.get(key) for key in ("query", "variables", "operationName")
        )
        if not (
            isinstance(query, str)
            and (variables is None or isinstance(variables, dict))
            and (operation_name is None or isinstance(operation_name, str))
        ):
            raise _ProtocolError(CloseCode.BAD_REQUEST, "Invalid subscribe message")
        if operation_id in self.operations:
            raise _ProtocolError(
                CloseCode.SUBSCRIBER_ALREADY_EXISTS, f"Subscriber for {operation_id} already exists"
            )
        limit = settings.GRAPHQL_WS_MAX_SUBSCRIPTIONS
        if len(self.operations) >= limit:
            await self._send_errors(
                operation_id,
                [
                    GraphQLError(
                        _("Too many operations on this connection (at most %d); complete some first.")
                        % limit,
                        extensions={"code": str(OperationErrorCode.TOO_MANY_OPERATIONS)},
                    )
                ],
            )
            return
        await self._current_user()
        await self._start(operation_id, query, variables, operation_name or None)

    async def _start(
        self, operation_id: str, query: str, variables: dict[str, Any] | None, operation_name: str | None
    ) -> None:
        schema = self._graphql_schema()
        try:
            document, cached = parse_document(schema, query)
        except GraphQLError as error:
            await self._send_errors(operation_id, [error])
            return
        errors = document_errors(schema, query, document, cached, variables)
        if errors:
            await self._send_errors(operation_id, errors)
            return
        operation = get_operation_ast(document, operation_name)
        if operation is None:
            message = (
                f"Unknown operation named '{operation_name}'."
                if operation_name
                else "Must provide operation name if query contains multiple operations."
            )
            await self._send_errors(operation_id, [GraphQLError(message)])
            return
        assert self.user is not None and self.broker is not None
        context = SocketContext(user=self.user, broker=self.broker, scope=self.scope)
        if operation.operation != OperationType.SUBSCRIPTION:
            self.operations[operation_id] = asyncio.create_task(
                self._execute_once(operation_id, schema, document, context, variables, operation_name)
            )
            return
        # Awaited here, not in a task: the resolver joins its groups before we read on.
        try:
            results = await subscribe(
                schema,
                document,
                context_value=context,
                variable_values=variables,
                operation_name=operation_name,
            )
        except Exception as error:
            await self._send_errors(operation_id, [error])
            return
        if isinstance(results, ExecutionResult):
            await self._send_errors(operation_id, [_realtime_error(error) for error in results.errors or []])
            return
        self.operations[operation_id] = asyncio.create_task(self._stream(operation_id, results))

    async def _execute_once(
        self,
        operation_id: str,
        schema: GraphQLSchema,
        document: DocumentNode,
        context: SocketContext,
        variables: dict[str, Any] | None,
        operation_name: str | None,
    ) -> None:
        try:
            result = await database_sync_to_async(execute_sync)(
                schema,
                document,
                context_value=context,
                variable_values=variables,
                operation_name=operation_name,
            )
        except Exception as error:
            if self._forget(operation_id):
                await self._send_errors(operation_id, [error])
            return
        await self._send_result(operation_id, result)
        if self._forget(operation_id):
            await self._send({"id": operation_id, "type": MessageType.COMPLETE})

    async def _stream(self, operation_id: str, results: SubscriptionResults) -> None:
        try:
            async for result in results:
                await self._send_result(operation_id, result)
        except Exception as error:
            if self._forget(operation_id):
                await self._send_errors(operation_id, [error])
        else:
            # The source ended (the server left the group): tell the client, unless it asked.
            if self._forget(operation_id):
                await self._send({"id": operation_id, "type": MessageType.COMPLETE})
        finally:
            await results.aclose()

    def _forget(self, operation_id: str) -> bool:
        """Drop the running operation; False if the client completed it (or it was replaced)."""
        if self.operations.get(operation_id) is asyncio.current_task():
            del self.operations[operation_id]
            return True
        return False

    async def _complete(self, operation_id: str) -> None:
        task = self.operations.pop(operation_id, None)
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    # --- Output ----------------------------------------------------------------------------

    def _graphql_schema(self) -> GraphQLSchema:
        schema = self.schema or graphene_django_settings.graphene_settings.SCHEMA
        graphql_schema: GraphQLSchema = schema.graphql_schema
        return graphql_schema

    async def _send(self, message: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(message))

    async def _send_result(self, operation_id: str, result: ExecutionResult) -> None:
        payload: dict[str, Any] = {"data": result.data}
        if result.errors:
            payload["errors"] = [format_error(error) for error in result.errors]
        if result.extensions:
            payload["extensions"] = result.extensions
        await self._send({"id": operation_id, "type": MessageType.NEXT, "payload": payload})

    async def _send_errors(self, operation_id: str, errors: Sequence[Exception]) -> None:
        payload = [format_error(error) for error in errors]
        await self._send({"id": operation_id, "type": MessageType.ERROR, "payload": payload})


def _realtime_error(error: GraphQLError) -> GraphQLError:
    """A subscription refused because the channel layer is down, as a stable, retryable code
    instead of the layer's own message."""
    if not isinstance(error.original_error, ChannelLayerUnavailable):
        return error
    return GraphQLError(
        _("Live updates are unavailable right now; subscribe again shortly."),
        nodes=error.nodes,
        path=error.path,
        extensions={"code": str(OperationErrorCode.REALTIME_UNAVAILABLE)},
    )


def _operation_id(message: dict[str, Any]) -> str:
    operation_id = message.get("id")
    if not isinstance(operation_id, str) or not operation_id:
        raise _ProtocolError(CloseCode.BAD_REQUEST, "Invalid message: no operation id")
    return operation_id


def _optional_object(message: dict[str, Any], key: str) -> dict[str, Any] | None:
    value = message.get(key)
    if value is not None and not isinstance(value, dict):
        raise _ProtocolError(CloseCode.BAD_REQUEST, f"Invalid message: {key} must be an object")
    return value
