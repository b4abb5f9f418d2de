"""``roomEvents`` over the real ASGI application: events after commit, no event lost between
subscribing and listening, idempotent sends over the socket, and live subscriptions closed when
access is lost (by the listeners, and by the periodic backstop when nothing announced it)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from accounts.models import User
from accounts.services import revoke_verification
from chat import services
from chat.models import Message, Room
from mentorship.services.mentorships import end_mentorship
from network.models import Case
from network.services.cases import update_case
from network.services.connections import block_doctor, remove_connection
from tests import factories
from tests.chat.builders import BODY, ROOM_EVENTS, SEND, case_room, direct_room, mentee, room_gid, send
from tests.graphql.conftest import post_graphql
from tests.ws import conftest as ws_conftest
from tests.ws.conftest import OUR_ORIGIN, initialise, send_subscribe, session_cookie, settled

pytestmark = pytest.mark.django_db(transaction=True)

open_socket = ws_conftest.open_socket
redis_layer = ws_conftest.redis_layer
_fresh_channel_layer = ws_conftest._fresh_channel_layer

# Access loss must close a live subscription within this (the bound; a generous wait,
# not a timing assertion: the test only fails if the close never comes).
REVOCATION_WAIT = 5


@pytest.fixture(params=["in-memory", "redis"])
def each_layer(request) -> None:
    if request.param == "redis":
        request.getfixturevalue("redis_layer")


async def socket_of(open_socket, doctor: User) -> WebsocketCommunicator:
    cookie = await database_sync_to_async(session_cookie)(doctor)
    socket = await open_socket(headers=[(b"origin", OUR_ORIGIN), cookie])
    await initialise(socket)
    return socket


async def subscribed(
    open_socket, doctor: User, room: Room, operation_id: str = "events"
) -> WebsocketCommunicator:
    socket = await socket_of(open_socket, doctor)
    await send_subscribe(socket, operation_id, ROOM_EVENTS, {"roomId": room_gid(room)})
    await settled(socket)
    return socket


async def next_event(socket: WebsocketCommunicator, operation_id: str = "events") -> dict[str, Any]:
    message = await socket.receive_json_from(timeout=3)
    assert message["type"] == "next" and message["id"] == operation_id, message
    assert "errors" not in message["payload"], message
    return message["payload"]["data"]["roomEvents"]


async def completed(socket: WebsocketCommunicator, operation_id: str = "events") -> None:
    message = await socket.receive_json_from(timeout=REVOCATION_WAIT)
    assert message == {"id": operation_id, "type": "complete"}


async def test_members_hear_messages_edits_deletions_typing_and_reads_in_order(each_layer, open_socket):
    room, first, second = await database_sync_to_async(direct_room)()
    listener = await subscribed(open_socket, second, room)

    sent = [await database_sync_to_async(send)(first, room, f"{BODY} {n}") for n in range(3)]
    posted = [await next_event(listener) for _ in sent]
    assert [(e["kind"], e["seq"], e["message"]["seq"]) for e in posted] == [
        ("MESSAGE_POSTED", n, n) for n in (1, 2, 3)
    ]
    assert posted[0]["message"]["body"] == f"{BODY} 0" and posted[0]["roomId"] == room_gid(room)
    # The sender's card travels with the event; more of it is read on demand.
    facility_name = await database_sync_to_async(lambda: first.facility.name)()
    assert posted[0]["message"]["sender"] == {
        "fullName": first.full_name,
        "facility": {"name": facility_name},
        "specialties": [],
    }

    first_id = sent[0].message.pk
    await database_sync_to_async(services.edit_message)(first, first_id, "Đã sửa")
    edited = await next_event(listener)
    assert (edited["kind"], edited["seq"], edited["message"]["body"]) == ("MESSAGE_EDITED", 1, "Đã sửa")
    await database_sync_to_async(services.delete_message)(first, first_id)
    deleted = await next_event(listener)
    assert (deleted["kind"], deleted["message"]["body"], deleted["message"]["deleted"]) == (
        "MESSAGE_DELETED",
        None,
        True,
    )

    await database_sync_to_async(services.notify_typing)(first, room.pk)
    typing = await next_event(listener)
    assert (typing["kind"], typing["seq"], typing["doctor"]["fullName"]) == ("TYPING", None, first.full_name)
    await database_sync_to_async(services.mark_read)(second, room.pk, 2)
    read = await next_event(listener)
    assert (read["kind"], read["seq"], read["doctor"]["fullName"]) == ("READ", 2, second.full_name)
    assert await listener.receive_nothing(0.2)


async def test_no_event_falls_between_subscribing_and_listening(each_layer, open_socket):
    room, _first, second = await database_sync_to_async(direct_room)()
    socket = await socket_of(open_socket, second)
    # Subscribe, then at once send a message on the same socket: the server reads the send only
    # after the subscription joined the room's group, so its event must arrive.
    await send_subscribe(socket, "events", ROOM_EVENTS, {"roomId": room_gid(room)})
    variables = {"input": {"roomId": room_gid(room), "body": BODY, "clientMessageId": "right-after"}}
    await send_subscribe(socket, "send", SEND, variables)
    received: dict[str, list[dict[str, Any]]] = {"events": [], "send": []}
    while not received["events"] or len(received["send"]) < 2:
        message = await socket.receive_json_from(timeout=3)
        received[message["id"]].append(message)
    ack = received["send"][0]["payload"]["data"]["sendMessage"]
    event = received["events"][0]["payload"]["data"]["roomEvents"]
    assert event["message"]["id"] == ack["message"]["id"] and event["seq"] == ack["message"]["seq"] == 1
    assert received["send"][1] == {"id": "send", "type": "complete"}


async def test_a_send_retried_over_the_socket_and_http_is_stored_once(open_socket, client):
    room, first, _second = await database_sync_to_async(direct_room)()
    socket = await socket_of(open_socket, first)
    variables = {"input": {"roomId": room_gid(room), "body": BODY, "clientMessageId": "both-paths"}}
    ids = []
    for operation_id in ("one", "two"):
        await send_subscribe(socket, operation_id, SEND, variables)
        answer = await socket.receive_json_from(timeout=3)
        ids.append(answer["payload"]["data"]["sendMessage"]["message"]["id"])
        assert await socket.receive_json_from(timeout=3) == {"id": operation_id, "type": "complete"}
    await database_sync_to_async(client.force_login)(first)
    over_http = await database_sync_to_async(post_graphql)(client, SEND, variables)
    ids.append(over_http["data"]["sendMessage"]["message"]["id"])
    assert len(set(ids)) == 1
    assert await database_sync_to_async(Message.objects.count)() == 1


async def test_a_room_you_cannot_use_refuses_the_subscription(open_socket):
    room, _first, _second = await database_sync_to_async(direct_room)()
    outsider = await database_sync_to_async(factories.doctor)()
    socket = await socket_of(open_socket, outsider)
    await send_subscribe(socket, "events", ROOM_EVENTS, {"roomId": room_gid(room)})
    answer = await socket.receive_json_from(timeout=3)
    assert answer["type"] == "error"
    assert [error["extensions"]["code"] for error in answer["payload"]] == ["NOT_FOUND"]


async def test_a_block_closes_both_doctors_subscriptions(each_layer, open_socket):
    room, first, second = await database_sync_to_async(direct_room)()
    sockets = [await subscribed(open_socket, doctor, room) for doctor in (first, second)]
    await database_sync_to_async(block_doctor)(first, second.pk)
    for socket in sockets:
        await completed(socket)


async def test_a_removed_connection_closes_the_direct_room(open_socket):
    room, first, second = await database_sync_to_async(direct_room)()
    socket = await subscribed(open_socket, second, room)
    await database_sync_to_async(remove_connection)(first, second.pk)
    await completed(socket)


async def test_a_case_made_private_closes_the_subscription_of_those_left_out(each_layer, open_socket):
    author, named, left_out = [await database_sync_to_async(factories.doctor)() for _ in range(3)]
    room, case = await database_sync_to_async(case_room)(author, named, left_out)
    kept = await subscribed(open_socket, named, room)
    dropped = await subscribed(open_socket, left_out, room)
    await database_sync_to_async(update_case)(
        author, case.pk, visibility=Case.Visibility.NAMED, audience_ids=[named.public_id]
    )
    await completed(dropped)
    await database_sync_to_async(send)(author, room)
    assert (await next_event(kept))["kind"] == "MESSAGE_POSTED"


async def test_an_ended_mentorship_closes_its_room(open_socket):
    mentor = await database_sync_to_async(factories.doctor)()
    learner = await database_sync_to_async(mentee)()
    mentorship = await database_sync_to_async(factories.mentorship)(mentor, learner)
    room = await database_sync_to_async(services.open_mentorship_room)(mentor, mentorship.pk)
    socket = await subscribed(open_socket, learner, room)
    await database_sync_to_async(end_mentorship)(mentor, mentorship.public_id, reason="Hoàn thành")
    await completed(socket)


async def test_losing_verification_closes_every_room(open_socket):
    room, first, _second = await database_sync_to_async(direct_room)()
    case_room_, _case = await database_sync_to_async(case_room)(None, first)
    in_direct = await subscribed(open_socket, first, room)
    in_case = await subscribed(open_socket, first, case_room_)
    verifier = await database_sync_to_async(factories.verifier)()
    await database_sync_to_async(revoke_verification)(verifier, first.pk, reason="Giấy phép bị thu hồi")
    await completed(in_direct)
    await completed(in_case)


async def test_access_lost_unannounced_is_caught_by_the_backstop(open_socket, settings):
    # The watchdog checks once a period, also in a silent room: nothing is sent after the change.
    settings.CHAT_ACCESS_RECHECK_SECONDS = 1
    author, reader = [await database_sync_to_async(factories.doctor)() for _ in range(2)]
    room, case = await database_sync_to_async(case_room)(author, reader)
    socket = await subscribed(open_socket, reader, room)
    await database_sync_to_async(send)(author, room)
    assert (await next_event(socket))["seq"] == 1
    # Written behind the services' back: no signal, no announcement.
    await database_sync_to_async(Case.objects.filter(pk=case.pk).update)(visibility=Case.Visibility.NAMED)
    await completed(socket)


async def test_the_backstop_keeps_a_subscriber_who_still_has_access(open_socket, settings):
    settings.CHAT_ACCESS_RECHECK_SECONDS = 1
    room, first, second = await database_sync_to_async(direct_room)()
    socket = await subscribed(open_socket, second, room)
    await asyncio.sleep(2.5)  # two periods: the watchdog checked at least twice
    await database_sync_to_async(send)(first, room)
    assert (await next_event(socket))["seq"] == 1
