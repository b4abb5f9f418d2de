"""Redis goes down and comes back under a running Daphne: sends are still stored and answered
(``delivery: DEGRADED``) within 2 seconds, sockets keep working for queries and mutations,
clients catch up from the database, and live delivery resumes without restarting Daphne."""

from __future__ import annotations

import asyncio
import time
import uuid

import pytest
from channels.db import database_sync_to_async

from chat.models import Message
from tests.chat.live import (
    ROOM_EVENTS,
    SEND_MESSAGE,
    UNLIMITED_SENDS,
    Cluster,
    GraphQLWSClient,
    Operation,
    OperationEnded,
    RoomView,
    case_room_of,
    cluster_fixture,  # noqa: F401 (registers the fixture)
    http_graphql,
    http_logout,
    messages_after,
    send_message,
    sockets,
)

pytestmark = pytest.mark.django_db(transaction=True)

# The bound on answering a send while Redis is down.
DEGRADED_ANSWER_SECONDS = 2.0


async def subscribe_when_possible(client: GraphQLWSClient, room_id: str, timeout: float = 20) -> Operation:
    """Subscribe to the room, again and again while the server answers REALTIME_UNAVAILABLE
    (as the web client does), until the subscription is live."""
    deadline = time.monotonic() + timeout
    while True:
        operation = await client.subscribe(ROOM_EVENTS, {"roomId": room_id})
        await client.settled()
        if operation.queue.empty():
            return operation
        with pytest.raises(OperationEnded) as ended:
            await operation.next()
        assert ended.value.message is not None
        codes = [error["extensions"]["code"] for error in ended.value.message["payload"]]
        assert codes == ["REALTIME_UNAVAILABLE"], ended.value.message
        assert time.monotonic() < deadline, "the subscription never came back"
        await asyncio.sleep(0.2)


async def test_an_outage_loses_no_acknowledged_message_and_live_delivery_resumes(cluster: Cluster):
    (server,) = cluster.start(1, **UNLIMITED_SENDS)
    room_id, (sender_token, reader_token) = await database_sync_to_async(case_room_of)(2)
    acked: dict[int, str] = {}

    async def send(client: GraphQLWSClient, body: str) -> dict:
        ack = await asyncio.wait_for(
            send_message(client, room_id, body, str(uuid.uuid4())), DEGRADED_ANSWER_SECONDS
        )
        acked[ack["message"]["seq"]] = ack["message"]["id"]
        return ack

    async with sockets() as opened:
        sender = await GraphQLWSClient.connect(server.ws_url, sender_token)
        reader = await GraphQLWSClient.connect(server.ws_url, reader_token)
        opened += [sender, reader]
        view = RoomView(room_id)
        events = await reader.subscribe(ROOM_EVENTS, {"roomId": room_id})
        await reader.settled()
        assert (await send(sender, "Trước sự cố"))["delivery"] == "DELIVERED"
        await view.receive(reader, events)

        cluster.redis.stop()
        # The reader's subscription ends (its channel failed): the client is told, not left hanging.
        with pytest.raises(OperationEnded):
            await events.next(10)
        # Sends during the outage: stored and answered in time, flagged DEGRADED; over the
        # socket that was open before, and over HTTP.
        during = [await send(sender, f"Trong sự cố {n}") for n in range(3)]
        assert {ack["delivery"] for ack in during} == {"DEGRADED"}
        variables = {"input": {"roomId": room_id, "body": "Qua HTTP", "clientMessageId": "http-1"}}
        data = await http_graphql(
            server, sender_token, SEND_MESSAGE, variables, timeout=DEGRADED_ANSWER_SECONDS
        )
        over_http = data["sendMessage"]
        assert (over_http["errors"], over_http["delivery"]) == ([], "DEGRADED")
        acked[over_http["message"]["seq"]] = over_http["message"]["id"]
        # Subscribing now is refused with a code the client retries on; the socket stays usable.
        with pytest.raises(OperationEnded) as refused:
            await (await reader.subscribe(ROOM_EVENTS, {"roomId": room_id})).next()
        assert refused.value.message is not None
        assert refused.value.message["payload"][0]["extensions"]["code"] == "REALTIME_UNAVAILABLE"
        # A client that reconnects during the outage is let in and catches up from the database.
        late = await GraphQLWSClient.connect(server.ws_url, reader_token)
        opened.append(late)
        late_view = RoomView(room_id)
        late_view.hold(await messages_after(late, room_id, 0))
        assert late_view.messages == acked

        cluster.redis.start()  # same port, empty: nothing survived the outage
        events = await subscribe_when_possible(reader, room_id)
        view.hold(await messages_after(reader, room_id, view.last_seq))  # subscribe, then catch up
        after = await send(sender, "Sau sự cố")
        assert after["delivery"] == "DELIVERED"
        await view.receive(reader, events)  # live again, through the same Daphne process
        assert view.events[-1] == (after["message"]["seq"], after["message"]["id"])
        assert view.messages == acked

    stored = await database_sync_to_async(
        lambda: list(Message.objects.order_by("seq").values_list("seq", flat=True))
    )()
    assert stored == sorted(acked) == list(range(1, 7))
    assert server.process is not None and server.process.poll() is None  # never restarted


async def test_a_socket_opened_during_the_outage_is_closed_by_logout_once_redis_is_back(cluster: Cluster):
    (server,) = cluster.start(1)
    _room_id, (token,) = await database_sync_to_async(case_room_of)(1)
    cluster.redis.stop()
    async with sockets() as opened:
        client = await GraphQLWSClient.connect(server.ws_url, token)  # acknowledged all the same
        opened.append(client)
        assert (await client.execute("{ me { id } }"))["me"] is not None
        cluster.redis.start()
        await http_logout(server, token)
        # The socket rejoins its user's group in the background (backing off up to 10 s) and
        # checks its session then: the logout reaches it either way.
        assert await client.wait_closed(20) == (4403, "")
