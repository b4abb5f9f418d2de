"""Sending, editing and deleting messages, read receipts and typing indicators.

Persist before broadcast: a message is committed with the room's next ``seq``, taken under a
row lock on the room (so ``seq`` order is commit order, without gaps), and only then published
to the room's group. Sends are idempotent on ``(sender, client_message_id)``: a retry, even a
concurrent one, returns the stored message and stores nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.services import require_verified_doctor
from audit.services import record
from chat.errors import ChatErrorCode
from chat.events import RoomEventKind, doctor_event, message_event, room_group
from chat.models import Message, MessageRevision, Room, RoomMember
from chat.selectors.rooms import joined_room, usable_room
from chat.services.limits import take_send_token
from common.errors import ServiceError
from common.interactions import Interaction, announce
from common.realtime import Delivery, publish
from network.identifier_guard import ensure_deidentified

CLIENT_MESSAGE_ID_MAX = 64


@dataclass(frozen=True)
class SentMessage:
    message: Message
    created: bool  # False for a retry: the original is returned, nothing was stored
    delivery: Delivery


def clean_body(body: str) -> str:
    """The text to store: trimmed, not empty, within the size cap, identifying no patient."""
    body = (body or "").strip()
    if not body:
        raise ServiceError(ChatErrorCode.REQUIRED, _("Write a message."), "body")
    if len(body.encode()) > settings.CHAT_MESSAGE_MAX_BYTES:
        raise ServiceError(
            ChatErrorCode.BODY_TOO_LONG,
            _("A message holds at most %(bytes)d bytes: split it.")
            % {"bytes": settings.CHAT_MESSAGE_MAX_BYTES},
            "body",
        )
    ensure_deidentified({"body": body})
    return body


def _clean_client_message_id(value: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ServiceError(ChatErrorCode.REQUIRED, _("A client message ID is required."), "clientMessageId")
    if len(value) > CLIENT_MESSAGE_ID_MAX:
        raise ServiceError(
            ChatErrorCode.INVALID,
            _("A client message ID has at most %(max)d characters.") % {"max": CLIENT_MESSAGE_ID_MAX},
            "clientMessageId",
        )
    return value


def _original(sender_id: int, client_message_id: str, room_id: int) -> Message | None:
    """The message an earlier send with this id stored, if any (edited or deleted since, maybe);
    the same id in another room is a client bug, refused rather than answered with the wrong
    message."""
    original = Message.objects.filter(sender_id=sender_id, client_message_id=client_message_id).first()
    if original is not None and original.room_id != room_id:
        raise ServiceError(
            ChatErrorCode.CLIENT_MESSAGE_ID_CONFLICT,
            _("This client message ID was used in another conversation."),
            "clientMessageId",
        )
    return original


def _announce_interaction(room: Room, message: Message) -> None:
    """A message between a mentor and mentee counts as mentoring (the mentorship app decides)."""
    if room.kind == Room.Kind.DIRECT:
        pair = (room.first_doctor_id, room.second_doctor_id)
    elif room.kind == Room.Kind.MENTORSHIP:
        assert room.mentorship is not None, "a mentorship room has its mentorship (chat_room_subject)"
        pair = (room.mentorship.mentor_id, room.mentorship.mentee_id)
    else:
        return
    other = pair[1] if pair[0] == message.sender_id else pair[0]
    assert other is not None
    announce(message.sender_id, other, Interaction.CHAT_MESSAGE, message.public_id, message.sent_at)


def send_message(sender: User, room_id: int, body: str, client_message_id: str) -> SentMessage:
    """Store a message in a room you may use and tell the room; a retry returns the original."""
    sender = require_verified_doctor(sender)
    client_message_id = _clean_client_message_id(client_message_id)
    body = clean_body(body)
    with transaction.atomic():
        # The room's row lock orders every send to the room; a concurrent retry waits here and
        # then finds the original, committed by the send it waited for. Read with the lock, the
        # room is checked once (the send's one access check; its payload does not repeat it).
        locked = Room.objects.select_for_update(no_key=True, of=("self",)).select_related("mentorship")
        room = usable_room(sender, room_id, rooms=locked)
        original = _original(sender.pk, client_message_id, room.pk)
        if original is not None:
            return SentMessage(original, created=False, delivery=Delivery.DELIVERED)
        take_send_token(sender.pk)
        now = timezone.now()
        try:
            with transaction.atomic():  # the same id racing in another room: its unique key wins
                message = Message.objects.create(
                    room=room,
                    seq=room.last_seq + 1,
                    sender=sender,
                    client_message_id=client_message_id,
                    body=body,
                    sent_at=now,
                )
        except IntegrityError:
            original = _original(sender.pk, client_message_id, room.pk)
            if original is None:
                raise
            return SentMessage(original, created=False, delivery=Delivery.DELIVERED)
        room.last_seq = message.seq
        room.last_activity_at = now
        room.save(update_fields=["last_seq", "last_activity_at"])
        # What you sent you have read.
        RoomMember.objects.filter(room=room, doctor=sender).update(last_read_seq=message.seq)
        _announce_interaction(room, message)
    delivery = publish(room_group(room.pk), message_event(RoomEventKind.MESSAGE_POSTED, message))
    return SentMessage(message, created=True, delivery=delivery)


def _own_message(doctor: User, message_id: int) -> Message:
    """The doctor's own message, locked, in a room they may still use."""
    message = (
        Message.objects.select_related("room", "sender")
        .select_for_update(of=("self",))
        .filter(pk=message_id)
        .first()
    )
    if message is None or joined_room(doctor, message.room_id) is None:
        raise ServiceError(ChatErrorCode.NOT_FOUND, _("No such message."), "messageId")
    if message.sender_id != doctor.pk:
        raise ServiceError(
            ChatErrorCode.PERMISSION_DENIED, _("Only the sender can change a message."), "messageId"
        )
    return message


def edit_message(doctor: User, message_id: int, body: str) -> tuple[Message, Delivery]:
    """Change the text of your message; the earlier text is kept (audited)."""
    doctor = require_verified_doctor(doctor)
    body = clean_body(body)
    with transaction.atomic():
        message = _own_message(doctor, message_id)
        if message.deleted_at is not None:
            raise ServiceError(ChatErrorCode.MESSAGE_DELETED, _("This message was deleted."), "messageId")
        if message.body == body:
            return message, Delivery.DELIVERED
        MessageRevision.objects.create(message=message, body=message.body)
        message.body = body
        message.edited_at = timezone.now()
        message.save(update_fields=["body", "edited_at"])
        record(
            "chat.message_edited",
            actor=doctor,
            target=message,
            details={"room": message.room_id, "seq": message.seq},
        )
    return message, publish(room_group(message.room_id), message_event(RoomEventKind.MESSAGE_EDITED, message))


def delete_message(doctor: User, message_id: int) -> tuple[Message, Delivery]:
    """Delete your message: members see a tombstone at its ``seq``; the text is kept for
    compliance (audited). Deleting it again changes nothing."""
    doctor = require_verified_doctor(doctor)
    with transaction.atomic():
        message = _own_message(doctor, message_id)
        if message.deleted_at is not None:
            return message, Delivery.DELIVERED
        MessageRevision.objects.create(message=message, body=message.body)
        message.body = ""
        message.deleted_at = timezone.now()
        message.save(update_fields=["body", "deleted_at"])
        record(
            "chat.message_deleted",
            actor=doctor,
            target=message,
            details={"room": message.room_id, "seq": message.seq},
        )
    return message, publish(
        room_group(message.room_id), message_event(RoomEventKind.MESSAGE_DELETED, message)
    )


def mark_read(doctor: User, room_id: int, seq: int) -> Room:
    """Move your read receipt forward to ``seq`` (never back) and tell the room."""
    doctor = require_verified_doctor(doctor)
    room = usable_room(doctor, room_id)
    if not 0 <= seq <= room.last_seq:
        raise ServiceError(ChatErrorCode.INVALID, _("No message has this number."), "seq")
    moved = RoomMember.objects.filter(room=room, doctor=doctor, last_read_seq__lt=seq).update(
        last_read_seq=seq
    )
    if moved:
        publish(room_group(room.pk), doctor_event(RoomEventKind.READ, room.pk, doctor, seq))
    return room


def notify_typing(doctor: User, room_id: int) -> Delivery:
    """Tell the room you are typing: never stored, at most once per
    ``CHAT_TYPING_INTERVAL_SECONDS`` per doctor and room (more calls are quietly dropped)."""
    doctor = require_verified_doctor(doctor)
    room = usable_room(doctor, room_id)
    now = timezone.now()
    quiet_since = now - timedelta(seconds=settings.CHAT_TYPING_INTERVAL_SECONDS)
    due = (
        RoomMember.objects.filter(room=room, doctor=doctor)
        .filter(Q(typing_sent_at__isnull=True) | Q(typing_sent_at__lte=quiet_since))
        .update(typing_sent_at=now)
    )
    if not due:
        return Delivery.DELIVERED
    return publish(room_group(room.pk), doctor_event(RoomEventKind.TYPING, room.pk, doctor))
