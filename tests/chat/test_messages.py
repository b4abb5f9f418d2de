"""Messages: seq, idempotent sends, limits, edits and deletions, read receipts, typing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from chat import services
from chat.models import Message, MessageRevision, RoomMember, SendAllowance
from chat.selectors.messages import message_page
from chat.selectors.rooms import room_for
from common.errors import ServiceError
from common.realtime import Delivery
from mentorship.models import ActivityKind, MentorshipActivity
from tests import factories
from tests.chat.builders import BODY, case_room, client_id, direct_room, mentee, send

pytestmark = pytest.mark.django_db


def refused(call, *args) -> ServiceError:
    with pytest.raises(ServiceError) as caught:
        call(*args)
    return caught.value


def test_messages_get_the_rooms_next_seq():
    room, first, second = direct_room()
    seqs = [send(doctor, room).message.seq for doctor in (first, second, first)]
    assert seqs == [1, 2, 3]
    room.refresh_from_db()
    assert room.last_seq == 3


def test_a_retried_send_returns_the_original_and_stores_nothing():
    room, first, _second = direct_room()
    sent = send(first, room, client_message_id="abc")
    again = send(first, room, client_message_id="abc")
    assert sent.created and not again.created
    assert again.message.pk == sent.message.pk and again.message.seq == 1
    assert Message.objects.filter(room=room).count() == 1


def test_a_client_message_id_is_per_sender():
    room, first, second = direct_room()
    send(first, room, client_message_id="same")
    assert send(second, room, client_message_id="same").created


def test_reusing_a_client_message_id_in_another_room_is_refused():
    room, first, _second = direct_room()
    other_room, _case = case_room(None, first)
    send(first, room, client_message_id="once")
    error = refused(services.send_message, first, other_room.pk, BODY, "once")
    assert (error.code, error.errors[0].field) == ("CLIENT_MESSAGE_ID_CONFLICT", "clientMessageId")


def test_bad_bodies_are_refused_with_nothing_stored(settings):
    settings.CHAT_MESSAGE_MAX_BYTES = 10
    room, first, _second = direct_room()
    assert refused(services.send_message, first, room.pk, "   ", client_id()).code == "REQUIRED"
    assert (
        refused(services.send_message, first, room.pk, "ă" * 6, client_id()).code == "BODY_TOO_LONG"
    )  # 12 bytes
    assert send(first, room, "ă" * 5).created  # 10 bytes
    assert refused(services.send_message, first, room.pk, BODY, "").errors[0].field == "clientMessageId"
    assert refused(services.send_message, first, room.pk, BODY, "x" * 65).code == "INVALID"
    assert Message.objects.filter(room=room).count() == 1


def test_text_identifying_a_patient_is_refused_with_its_spans():
    room, first, _second = direct_room()
    body = "BN gọi lại số 0912345678 nhé"
    error = refused(services.send_message, first, room.pk, body, client_id())
    assert error.code == "PATIENT_IDENTIFIER"
    (problem,) = error.errors
    assert problem.field == "body"
    assert [body[span.start : span.end] for span in problem.spans] == ["0912345678"]
    assert not Message.objects.exists()


def test_the_send_rate_allows_a_burst_then_the_sustained_rate(settings):
    settings.CHAT_SEND_BURST = 3
    settings.CHAT_SEND_PER_MINUTE = 60
    room, first, second = direct_room()
    for _ in range(3):
        send(first, room)
    error = refused(services.send_message, first, room.pk, BODY, "over")
    assert error.code == "RATE_LIMITED"
    assert Message.objects.filter(room=room).count() == 3
    assert send(second, room).created  # per doctor
    # A retry of a stored message costs nothing.
    assert not send(
        first, room, client_message_id=Message.objects.filter(sender=first).first().client_message_id
    ).created

    # One second later, one more send (60 a minute).
    SendAllowance.objects.filter(doctor=first).update(refilled_at=timezone.now() - timedelta(seconds=1.2))
    assert send(first, room).created
    assert refused(services.send_message, first, room.pk, BODY, client_id()).code == "RATE_LIMITED"
    # Never more than the burst, however long the pause.
    SendAllowance.objects.filter(doctor=first).update(refilled_at=timezone.now() - timedelta(hours=1))
    for _ in range(3):
        send(first, room)
    assert refused(services.send_message, first, room.pk, BODY, client_id()).code == "RATE_LIMITED"


def test_edits_keep_the_earlier_text_and_are_audited():
    room, first, second = direct_room()
    message = send(first, room).message
    edited, delivery = services.edit_message(first, message.pk, "Nên làm lại hs-troponin sau 1 giờ")
    assert delivery == Delivery.DELIVERED
    assert edited.body.endswith("1 giờ") and edited.edited_at is not None and edited.seq == message.seq
    assert list(MessageRevision.objects.filter(message=message).values_list("body", flat=True)) == [BODY]
    event = AuditEvent.objects.get(action="chat.message_edited")
    assert (event.actor_id, event.target_id) == (first.pk, str(message.pk))

    assert refused(services.edit_message, second, message.pk, BODY).code == "PERMISSION_DENIED"
    assert refused(services.edit_message, first, message.pk, "SĐT 0912345678").code == "PATIENT_IDENTIFIER"


def test_deletion_leaves_a_tombstone_and_is_audited():
    room, first, second = direct_room()
    message = send(first, room).message
    assert refused(services.delete_message, second, message.pk).code == "PERMISSION_DENIED"
    deleted, _delivery = services.delete_message(first, message.pk)
    assert deleted.deleted_at is not None and deleted.body == "" and deleted.seq == 1
    assert MessageRevision.objects.get(message=message).body == BODY  # kept for compliance
    assert AuditEvent.objects.filter(action="chat.message_deleted", target_id=str(message.pk)).count() == 1
    assert refused(services.edit_message, first, message.pk, BODY).code == "MESSAGE_DELETED"
    services.delete_message(first, message.pk)  # again: nothing changes
    assert AuditEvent.objects.filter(action="chat.message_deleted").count() == 1
    # A retry of the deleted message's send still returns it, and stores nothing.
    assert send(first, room, client_message_id=message.client_message_id).message.pk == message.pk


def test_read_receipts_move_forward_and_drive_unread_counts():
    room, first, second = direct_room()
    for _ in range(3):
        send(second, room)
    assert room_for(first, room.pk).unread_count == 3
    services.mark_read(first, room.pk, 2)
    assert room_for(first, room.pk).unread_count == 1
    services.mark_read(first, room.pk, 1)  # never backwards
    assert RoomMember.objects.get(room=room, doctor=first).last_read_seq == 2
    assert refused(services.mark_read, first, room.pk, 4).errors[0].field == "seq"
    services.delete_message(second, Message.objects.get(room=room, seq=3).pk)
    assert room_for(first, room.pk).unread_count == 0  # a deleted message is not waiting to be read


def test_typing_is_throttled_and_never_a_message(settings):
    settings.CHAT_TYPING_INTERVAL_SECONDS = 3
    room, first, _second = direct_room()
    member = RoomMember.objects.filter(room=room, doctor=first)
    services.notify_typing(first, room.pk)
    sent_at = member.get().typing_sent_at
    services.notify_typing(first, room.pk)
    assert member.get().typing_sent_at == sent_at  # the second call within 3 s went nowhere
    member.update(typing_sent_at=timezone.now() - timedelta(seconds=4))
    services.notify_typing(first, room.pk)
    assert member.get().typing_sent_at > sent_at
    assert not Message.objects.exists()


def test_a_message_between_mentor_and_mentee_counts_as_mentoring():
    mentor, learner = factories.doctor(), mentee()
    mentorship = factories.mentorship(mentor, learner)
    room = services.open_mentorship_room(mentor, mentorship.pk)
    message = send(learner, room).message
    activity = MentorshipActivity.objects.get(mentorship=mentorship)
    assert (activity.kind, activity.subject_id) == (ActivityKind.CHAT_MESSAGE, str(message.public_id))
    # A direct message between them counts too.
    direct = services.open_direct_room(mentor, learner.pk)  # accepting the mentorship connected them
    send(mentor, direct)
    assert MentorshipActivity.objects.filter(mentorship=mentorship).count() == 2


def test_a_case_room_message_is_no_mentoring_activity():
    mentor, learner = factories.doctor(), mentee()
    factories.mentorship(mentor, learner)
    room, _case = case_room(mentor, learner)
    send(learner, room)
    assert not MentorshipActivity.objects.exists()


def test_pages_catch_up_after_a_seq_and_scroll_back_before_one():
    room, first, second = direct_room()
    for _ in range(7):
        send(first, room)
    page = message_page(second, room.pk, after=2, first=3)
    assert ([m.seq for m in page.messages], page.has_more, page.last_seq) == ([3, 4, 5], True, 7)
    page = message_page(second, room.pk, after=5, first=3)
    assert ([m.seq for m in page.messages], page.has_more) == ([6, 7], False)
    page = message_page(second, room.pk, before=5, first=3)
    assert ([m.seq for m in page.messages], page.has_more) == ([2, 3, 4], True)
    page = message_page(second, room.pk, first=2)
    assert ([m.seq for m in page.messages], page.has_more) == ([6, 7], True)
    page = message_page(second, room.pk, after=2, before=5, first=10)
    assert [m.seq for m in page.messages] == [3, 4]
    assert refused(lambda: message_page(second, room.pk, first=101)).errors[0].field == "first"
    assert refused(lambda: message_page(factories.doctor(), room.pk)).code == "NOT_FOUND"
