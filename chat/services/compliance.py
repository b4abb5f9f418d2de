"""Retention per room kind and transcripts for compliance officers.

Retention (``CHAT_RETENTION_DAYS``, per room kind; 0 keeps for ever) removes messages, with
their earlier versions, once older than the period; ``seq`` numbers are never reused, so clients
simply find nothing before a point. A transcript is the whole record of a room as stored:
every message, deleted ones and earlier versions included. Both are audited.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import record, record_many
from chat.errors import ChatErrorCode
from chat.models import Message, MessageRevision, Room
from common.errors import CommonErrorCode, ServiceError

EXPORT_PERMISSION = "chat.export_transcript"


@dataclass(frozen=True)
class RetentionRun:
    deleted: dict[str, int]  # messages removed per room kind


def apply_retention(now: datetime | None = None) -> RetentionRun:
    """Remove the messages older than their room kind's retention period (audited per room)."""
    now = now or timezone.now()
    deleted: dict[str, int] = {}
    for kind, days in settings.CHAT_RETENTION_DAYS.items():
        if kind not in Room.Kind.values or days <= 0:
            continue
        expired = Message.objects.filter(room__kind=kind, sent_at__lt=now - timedelta(days=days))
        with transaction.atomic():
            per_room = dict(expired.order_by().values_list("room_id").annotate(n=Count("pk")))
            if not per_room:
                continue
            expired.delete()
            rooms = Room.objects.filter(pk__in=per_room)
            record_many(
                "chat.retention_applied",
                actor=None,
                targets=[(room, {"messages": per_room[room.pk], "days": days}) for room in rooms],
            )
        deleted[kind] = sum(per_room.values())
    return RetentionRun(deleted=deleted)


def _officer(user: AbstractBaseUser | None) -> AbstractBaseUser:
    if user is None or not user.is_authenticated or not user.is_active:
        raise ServiceError(CommonErrorCode.NOT_AUTHENTICATED, _("Sign in first."))
    if not user.has_perm(EXPORT_PERMISSION):  # type: ignore[attr-defined]
        raise ServiceError(
            ChatErrorCode.PERMISSION_DENIED, _("Only compliance officers can export chat transcripts.")
        )
    return user


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def export_transcript(officer: AbstractBaseUser | None, room_public_id: Any) -> dict[str, Any]:
    """The full record of a room, for a compliance officer (audited before it is handed out)."""
    officer = _officer(officer)
    try:
        room = Room.objects.filter(public_id=uuid.UUID(str(room_public_id))).first()
    except ValueError:
        room = None
    if room is None:
        raise ServiceError(ChatErrorCode.NOT_FOUND, _("No such conversation."), "roomId")
    messages = (
        Message.objects.filter(room=room)
        .select_related("sender")
        .prefetch_related("revisions")
        .order_by("seq")
    )
    transcript = {
        "room": {
            "id": str(room.public_id),
            "kind": room.kind,
            "case": room.case_id,
            "mentorship": room.mentorship_id,
            "created_at": _iso(room.created_at),
        },
        "exported_at": timezone.now().isoformat(),
        "messages": [_entry(message) for message in messages],
    }
    record(
        "chat.transcript_exported",
        actor=officer,
        target=room,
        details={"messages": len(transcript["messages"])},
    )
    return transcript


def _entry(message: Message) -> dict[str, Any]:
    revisions: list[MessageRevision] = list(message.revisions.all())
    return {
        "seq": message.seq,
        "sender": {"id": str(message.sender.public_id), "name": message.sender.full_name},
        "sent_at": _iso(message.sent_at),
        "body": message.body,
        "edited_at": _iso(message.edited_at),
        "deleted_at": _iso(message.deleted_at),
        "earlier_versions": [{"body": r.body, "replaced_at": _iso(r.replaced_at)} for r in revisions],
    }
