"""Limits on one socket: message rate (burst and sustained, 4429), operations per socket, and
frame size (Daphne's --websocket-max-message-size, then our own 4400)."""

from __future__ import annotations

import asyncio
import json

import pytest
from channels.testing import WebsocketCommunicator
from django.conf import settings as django_settings

from api.ws.consumer import message_budget
from api.ws.protocol import SUBPROTOCOL
from config.asgi import application
from config.channel_layers import in_memory_channel_layer
from tests import factories
from tests.chat.live import (
    DaphneServer,
    GraphQLWSClient,
    OperationEnded,
    daphne_fixture,  # noqa: F401 (registers the fixture)
    session_token,
    sockets,
)

pytestmark = pytest.mark.django_db(transaction=True)

VERIFICATION_STATUS = "subscription { myVerificationStatus { status } }"


@pytest.fixture(autouse=True)
def _in_memory_layer(settings):
    settings.CHANNEL_LAYERS = {"default": in_memory_channel_layer()}


async def open_in_process() -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(
        application, "/graphql/", headers=[(b"host", b"testserver")], subprotocols=[SUBPROTOCOL]
    )
    connected, _ = await communicator.connect()
    assert connected
    return communicator


async def ping(communicator: WebsocketCommunicator, n: int) -> None:
    await communicator.send_to(text_data=json.dumps({"type": "ping", "payload": {"n": n}}))


async def pongs_until_closed(communicator: WebsocketCommunicator) -> tuple[int, tuple[int, str] | None]:
    """How many pongs came, and the close (code, reason) if the socket was closed."""
    pongs = 0
    while True:
        if await communicator.receive_nothing(1):  # (a timed-out receive_output kills the app)
            return pongs, None
        message = await communicator.receive_output()
        if message["type"] == "websocket.close":
            return pongs, (message["code"], message.get("reason", ""))
        pongs += 1


async def test_a_burst_over_the_budget_closes_the_socket_with_4429(settings):
    settings.GRAPHQL_WS_MESSAGES_BURST = 5
    settings.GRAPHQL_WS_MESSAGES_PER_SECOND = 0.01
    communicator = await open_in_process()
    for n in range(8):
        await ping(communicator, n)
    assert await pongs_until_closed(communicator) == (5, (4429, "Too many messages"))
    await communicator.disconnect()


async def test_a_sustained_flood_closes_the_socket_once_the_burst_is_spent(settings):
    settings.GRAPHQL_WS_MESSAGES_BURST = 3
    settings.GRAPHQL_WS_MESSAGES_PER_SECOND = 10
    communicator = await open_in_process()
    # About 16 a second against 10 sustained: more than the burst gets through (the budget
    # refills), then the overdraft closes the socket.
    for n in range(60):
        await ping(communicator, n)
        await asyncio.sleep(0.06)
    pongs, closed = await pongs_until_closed(communicator)
    assert closed == (4429, "Too many messages")
    assert 3 < pongs < 60
    await communicator.disconnect()


async def test_a_client_within_the_sustained_rate_is_never_closed(settings):
    settings.GRAPHQL_WS_MESSAGES_BURST = 3
    settings.GRAPHQL_WS_MESSAGES_PER_SECOND = 10
    communicator = await open_in_process()
    for n in range(12):  # 4 a second: a slower machine only sends slower
        await ping(communicator, n)
        await asyncio.sleep(0.25)
    assert await pongs_until_closed(communicator) == (12, None)
    await communicator.disconnect()


async def test_an_old_socket_is_asked_to_reconnect(settings):
    # So that long-lived sockets spread again over the server processes (after a deploy, say).
    settings.GRAPHQL_WS_MAX_AGE_SECONDS = 0.2
    communicator = await open_in_process()
    await ping(communicator, 1)
    assert await pongs_until_closed(communicator) == (1, (4000, "Reconnect"))
    await communicator.disconnect()


# --- Through Daphne -------------------------------------------------------------------------


@pytest.fixture
def doctor_token() -> str:
    return session_token(factories.doctor())


async def test_daphne_serves_the_default_budget_and_closes_a_flood(daphne: DaphneServer, doctor_token):
    async with sockets() as opened:
        client = await GraphQLWSClient.connect(daphne.ws_url, doctor_token)
        opened.append(client)
        await client.settled()
        for n in range(message_budget().burst + 50):
            await client.send({"type": "ping", "payload": {"n": n}})
        assert await client.wait_closed(10) == (4429, "")


async def test_operations_per_socket_are_capped_at_the_default(daphne: DaphneServer, doctor_token):
    limit = django_settings.GRAPHQL_WS_MAX_SUBSCRIPTIONS
    async with sockets() as opened:
        client = await GraphQLWSClient.connect(daphne.ws_url, doctor_token)
        opened.append(client)
        running = [await client.subscribe(VERIFICATION_STATUS) for _ in range(limit)]
        refused = await client.subscribe(VERIFICATION_STATUS)
        with pytest.raises(OperationEnded) as ended:
            await refused.next()
        assert ended.value.message is not None
        assert ended.value.message["payload"][0]["extensions"]["code"] == "TOO_MANY_OPERATIONS"
        await client.send({"id": running[0].id, "type": "complete"})
        accepted = await client.subscribe(VERIFICATION_STATUS)
        await client.settled()
        assert accepted.queue.empty()  # no error: running
        assert accepted.id in client.operations


async def test_an_oversized_frame_is_refused(daphne: DaphneServer, doctor_token):
    cap = django_settings.WEBSOCKET_MAX_MESSAGE_BYTES
    async with sockets() as opened:
        # Over our cap but within Daphne's: the consumer refuses it readably.
        client = await GraphQLWSClient.connect(daphne.ws_url, doctor_token)
        opened.append(client)
        await client.send({"type": "ping", "payload": {"pad": "x" * cap}})
        assert await client.wait_closed() == (4400, "")
        # Over Daphne's own limit: dropped at the transport before the consumer buffers it.
        client = await GraphQLWSClient.connect(daphne.ws_url, doctor_token)
        opened.append(client)
        await client.send({"type": "ping", "payload": {"pad": "x" * (2 * cap)}})
        code, _ = await client.wait_closed()
        assert code in {1006, 1009}
        # The server itself is fine: a new socket works.
        client = await GraphQLWSClient.connect(daphne.ws_url, doctor_token)
        opened.append(client)
        await client.settled()
