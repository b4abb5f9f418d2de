"""Ordering and exactly-once under real concurrency: each racer on its own thread, database
connection and transaction (tests.concurrency.race), against one room."""

from __future__ import annotations

import pytest

from chat import services
from chat.models import Message, Room
from common.errors import ServiceError
from tests import factories
from tests.chat.builders import BODY, case_room, connected_pair, direct_room
from tests.concurrency import race

pytestmark = pytest.mark.django_db(transaction=True)

SENDERS = 16
RETRIES = 10


def test_concurrent_senders_get_gap_free_seqs_each_message_once():
    senders = [factories.doctor() for _ in range(SENDERS)]
    room, _case = case_room(None, *senders)
    results = race(
        *(
            lambda s=s, n=n: services.send_message(s, room.pk, f"{BODY} ({n})", f"m-{n}")
            for n, s in enumerate(senders)
        )
    )
    assert not [r for r in results if isinstance(r, BaseException)], results
    stored = list(Message.objects.filter(room=room).order_by("seq").values_list("seq", "sender_id", "body"))
    assert [seq for seq, _sender, _body in stored] == list(range(1, SENDERS + 1))
    assert sorted(sender for _seq, sender, _body in stored) == sorted(s.pk for s in senders)
    # Each ack carries the seq its message was stored with.
    assert sorted((r.message.seq, r.message.sender_id) for r in results) == [
        (seq, sender) for seq, sender, _ in stored
    ]
    room.refresh_from_db()
    assert room.last_seq == SENDERS


def test_concurrent_retries_of_one_send_store_one_message():
    room, first, second = direct_room()
    services.send_message(second, room.pk, BODY, "before")  # the retried message is not seq 1
    results = race(*(lambda: services.send_message(first, room.pk, BODY, "retried") for _ in range(RETRIES)))
    assert not [r for r in results if isinstance(r, BaseException)], results
    assert Message.objects.filter(sender=first).count() == 1
    assert {(r.message.pk, r.message.seq) for r in results} == {(Message.objects.get(sender=first).pk, 2)}
    assert sum(r.created for r in results) == 1


def test_one_client_message_id_racing_into_two_rooms_is_stored_once():
    room, first, _second = direct_room()
    other_room, _case = case_room(None, first)
    results = race(
        lambda: services.send_message(first, room.pk, BODY, "twice"),
        lambda: services.send_message(first, other_room.pk, BODY, "twice"),
    )
    refusals = [r for r in results if isinstance(r, ServiceError)]
    assert [str(r.code) for r in refusals] == ["CLIENT_MESSAGE_ID_CONFLICT"]
    assert Message.objects.filter(sender=first).count() == 1
    # The refused room's seq was not consumed.
    assert sorted(Message.objects.values_list("seq", flat=True)) == [1]


def test_the_send_rate_holds_under_concurrent_sends_in_many_rooms(settings):
    settings.CHAT_SEND_BURST = 3
    sender = factories.doctor()
    rooms = [case_room(None, sender)[0] for _ in range(6)]
    results = race(
        *(lambda room=room: services.send_message(sender, room.pk, BODY, f"r-{room.pk}") for room in rooms)
    )
    refused = [r for r in results if isinstance(r, ServiceError)]
    assert [str(r.code) for r in refused] == ["RATE_LIMITED"] * 3
    assert Message.objects.filter(sender=sender).count() == 3


def test_concurrent_openings_of_a_direct_room_make_one_room():
    first, second = connected_pair()
    results = race(
        *(
            lambda a=a, b=b: services.open_direct_room(a, b.pk)
            for a, b in [(first, second), (second, first)] * 4
        )
    )
    assert len({room.pk for room in results}) == 1, results
    assert Room.objects.filter(kind=Room.Kind.DIRECT).count() == 1
