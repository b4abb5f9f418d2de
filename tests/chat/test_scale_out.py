"""Two Daphne processes sharing one Redis: a message sent through one reaches a client of the
other, in order, exactly once."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from channels.db import database_sync_to_async

from chat.models import Message
from tests.chat.live import (
    ROOM_EVENTS,
    UNLIMITED_SENDS,
    Cluster,
    GraphQLWSClient,
    RoomView,
    case_room_of,
    cluster_fixture,  # noqa: F401 (registers the fixture)
    send_message,
    sockets,
)

pytestmark = pytest.mark.django_db(transaction=True)


async def test_messages_sent_through_one_process_reach_the_other_in_order_exactly_once(cluster: Cluster):
    first, second = cluster.start(2, **UNLIMITED_SENDS)
    room_id, (sender_token, reader_token) = await database_sync_to_async(case_room_of)(2)
    async with sockets() as opened:
        sender = await GraphQLWSClient.connect(first.ws_url, sender_token)
        reader = await GraphQLWSClient.connect(second.ws_url, reader_token)
        opened += [sender, reader]
        events = await reader.subscribe(ROOM_EVENTS, {"roomId": room_id})
        await reader.settled()  # listening from here on (its group is joined)

        acks = [await send_message(sender, room_id, f"Tin {n}", str(uuid.uuid4())) for n in range(40)]
        # A last message after the others: any duplicate of an earlier event would come before it.
        acks.append(await send_message(sender, room_id, "Hết", str(uuid.uuid4())))

        received = []
        for _ in acks:
            payload = await events.next(10)
            event = payload["data"]["roomEvents"]
            received.append((event["kind"], event["seq"], event["message"]["id"]))
        assert received == [("MESSAGE_POSTED", ack["message"]["seq"], ack["message"]["id"]) for ack in acks]
        assert [seq for _, seq, _ in received] == list(range(1, len(acks) + 1))
        assert {ack["delivery"] for ack in acks} == {"DELIVERED"}
        await reader.settled()
        assert events.queue.empty(), "an event came twice"


async def test_concurrent_senders_on_both_processes_leave_every_client_with_the_same_history(
    cluster: Cluster,
):
    first, second = cluster.start(2, **UNLIMITED_SENDS)
    room_id, tokens = await database_sync_to_async(case_room_of)(4)
    per_sender = 15
    async with sockets() as opened:
        clients = [
            await GraphQLWSClient.connect(server.ws_url, token)
            for server, token in zip([first, second, first, second], tokens, strict=True)
        ]
        opened += clients
        views = [RoomView(room_id) for _ in clients]
        streams = [await client.subscribe(ROOM_EVENTS, {"roomId": room_id}) for client in clients]
        await asyncio.gather(*(client.settled() for client in clients))

        async def post(client: GraphQLWSClient, name: str) -> list[dict]:
            return [
                await send_message(client, room_id, f"{name} {n}", str(uuid.uuid4()))
                for n in range(per_sender)
            ]

        async def follow(index: int) -> None:
            while len(views[index].messages) < per_sender * len(clients):
                await views[index].receive(clients[index], streams[index])

        sent, *_ = await asyncio.gather(
            asyncio.gather(*(post(client, f"Bác sĩ {i}") for i, client in enumerate(clients))),
            *(follow(index) for index in range(len(clients))),
        )
        acked = {ack["message"]["seq"]: ack["message"]["id"] for acks in sent for ack in acks}
        stored = await database_sync_to_async(
            lambda: list(Message.objects.order_by("seq").values_list("seq", flat=True))
        )()
        assert sorted(acked) == stored == list(range(1, per_sender * len(clients) + 1))
        for view in views:
            assert view.messages == acked  # every client holds the same history, gap-free
            assert len({seq for seq, _ in view.events}) == len(view.events), "an event came twice"
