"""The realtime events of a room: what ``chat.services`` publishes to the room's channel-layer
group once a change is committed, and what ``roomEvents`` subscribers receive.

Message events carry the message as committed (its text passed the identifier guard) and the
sender's public card, so that fanning an event out to every subscriber costs no database read:
the channel layer holds them only in transit. Private details (e-mail, phone) never travel.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import Any

from django.utils import timezone

from accounts.models import User
from chat.models import Message
from common.realtime import send_now


class RoomEventKind(StrEnum):
    MESSAGE_POSTED = "chat.message_posted"
    MESSAGE_EDITED = "chat.message_edited"
    MESSAGE_DELETED = "chat.message_deleted"
    TYPING = "chat.typing"
    READ = "chat.read"
    # Someone's access to the room may have changed: subscribers named (all, when none are)
    # check theirs again and end their stream if they lost it. Never shown to clients.
    ACCESS_CHANGED = "chat.access_changed"


def room_group(room_id: int) -> str:
    """The channel-layer group of one room's subscribers (ASCII, derived from the id)."""
    return f"chat.room.{int(room_id)}"


def doctor_card(doctor: User) -> dict[str, Any]:
    """What an event tells of a doctor: the public card (``chat.selectors.live.doctor_from``)."""
    return {
        "id": doctor.pk,
        "public_id": str(doctor.public_id),
        "full_name": doctor.full_name,
        "title": doctor.title,
        "position": doctor.position,
        "bio": doctor.bio,
        "verification_status": doctor.verification_status,
        "avatar": doctor.avatar.name or "",
        "facility_id": doctor.facility_id,
    }


def message_event(kind: RoomEventKind, message: Message) -> dict[str, Any]:
    return {
        "kind": kind,
        "room_id": message.room_id,
        "seq": message.seq,
        "message_id": message.pk,
        "occurred_at": timezone.now().isoformat(),
        "message": {
            "public_id": str(message.public_id),
            "room_public_id": str(message.room.public_id),
            "client_message_id": message.client_message_id,
            "body": message.body,
            "sent_at": message.sent_at.isoformat(),
            "edited_at": message.edited_at.isoformat() if message.edited_at else None,
            "deleted_at": message.deleted_at.isoformat() if message.deleted_at else None,
            "sender": doctor_card(message.sender),
        },
    }


def doctor_event(kind: RoomEventKind, room_id: int, doctor: User, seq: int | None = None) -> dict[str, Any]:
    return {
        "kind": kind,
        "room_id": room_id,
        "seq": seq,
        "doctor_id": doctor.pk,
        "doctor": doctor_card(doctor),
        "occurred_at": timezone.now().isoformat(),
    }


def announce_access_changed(room_ids: Iterable[int], doctor_ids: Iterable[int] | None = None) -> None:
    """Tell each room's subscribers to check their access again (now: call it after the commit)."""
    doctors = sorted(set(doctor_ids)) if doctor_ids is not None else None
    for room_id in set(room_ids):
        send_now(
            room_group(room_id),
            {"kind": RoomEventKind.ACCESS_CHANGED, "room_id": room_id, "doctor_ids": doctors},
        )
