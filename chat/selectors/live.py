"""What a ``roomEvents`` subscriber receives, built from the event itself (no database read per
event and subscriber: the fan-out stays cheap), and when its access is checked again.

Access is checked when the subscription starts, whenever an access change that may concern the
subscriber is announced (``chat.services.access``), and, as a backstop for a change nobody
announced, every ``CHAT_ACCESS_RECHECK_SECONDS`` (``chat.schema.subscriptions``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils.dateparse import parse_datetime

from accounts.models import User
from chat.events import RoomEventKind
from chat.models import Message, Room

MESSAGE_EVENTS = (RoomEventKind.MESSAGE_POSTED, RoomEventKind.MESSAGE_EDITED, RoomEventKind.MESSAGE_DELETED)
DOCTOR_EVENTS = (RoomEventKind.TYPING, RoomEventKind.READ)


@dataclass(frozen=True)
class LiveEvent:
    kind: RoomEventKind
    room_id: int
    seq: int | None
    message: Message | None
    doctor: User | None
    occurred_at: datetime | None


def access_change_concerns(event: dict[str, Any], doctor_id: int) -> bool:
    """Whether the event announces an access change that may concern the subscriber (every one
    naming nobody in particular does)."""
    if event.get("kind") != RoomEventKind.ACCESS_CHANGED:
        return False
    named = event.get("doctor_ids")
    return named is None or doctor_id in named


def _moment(value: object) -> datetime | None:
    return parse_datetime(value) if isinstance(value, str) else None


def doctor_from(card: dict[str, Any]) -> User:
    """The doctor of an event's card (``chat.events.doctor_card``), unsaved: private details
    stay empty; a facility or specialties asked for are read on demand."""
    return User(
        pk=card["id"],
        public_id=uuid.UUID(card["public_id"]),
        full_name=card["full_name"],
        title=card["title"],
        position=card["position"],
        bio=card["bio"],
        verification_status=card["verification_status"],
        avatar=card["avatar"],
        facility_id=card["facility_id"],
    )


def message_from(room_id: int, seq: int, message_id: int, snapshot: dict[str, Any]) -> Message:
    """The message as the event committed it, unsaved (the GraphQL ``Message`` reads it as a row)."""
    message = Message(
        pk=message_id,
        public_id=uuid.UUID(snapshot["public_id"]),
        room_id=room_id,
        seq=seq,
        client_message_id=snapshot["client_message_id"],
        body=snapshot["body"],
        sent_at=datetime.fromisoformat(snapshot["sent_at"]),
        edited_at=_moment(snapshot["edited_at"]),
        deleted_at=_moment(snapshot["deleted_at"]),
    )
    message.room = Room(pk=room_id, public_id=uuid.UUID(snapshot["room_public_id"]))
    message.sender = doctor_from(snapshot["sender"])
    return message


def live_event(room_id: int, event: dict[str, Any]) -> LiveEvent | None:
    """The event as subscribers see it; None for one that is not theirs to see (an access
    change) or that is malformed."""
    kind, seq = event.get("kind"), event.get("seq")
    message: Message | None = None
    doctor: User | None = None
    try:
        if kind in MESSAGE_EVENTS and isinstance(seq, int):
            message = message_from(room_id, seq, int(event["message_id"]), event["message"])
        elif kind in DOCTOR_EVENTS:
            doctor = doctor_from(event["doctor"])
        else:
            return None
    except (KeyError, TypeError, ValueError):
        return None
    return LiveEvent(
        kind=RoomEventKind(kind),
        room_id=room_id,
        seq=seq if isinstance(seq, int) else None,
        message=message,
        doctor=doctor,
        occurred_at=_moment(event.get("occurred_at")),
    )
