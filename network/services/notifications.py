"""Notifications: creating them (the one function the other network services call), reading
them off, and muting kinds.

A notification is written in the same transaction as what caused it and announced to the
recipient's sockets only after that transaction commits (``notificationAdded``). Titles are
short and never carry clinical text: they may show on a phone's lock screen.

Notifications are network activity, so the one rule applies: a doctor who is not verified (any
more) is sent none, has none to read (``network.selectors.notifications``) and cannot mark them
read or change their preferences (NOT_VERIFIED).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.services import require_verified_doctor
from common.errors import ServiceError
from common.realtime import publish_after_commit, user_group
from network.errors import NetworkErrorCode
from network.models import Case, Comment, ConnectionRequest, Notification, NotificationKind, NotificationMute
from network.selectors.cases import Viewer
from network.selectors.notifications import (
    UNREAD,
    NotificationPreference,
    notification_preferences,
    notifications_of,
)

# Kind of the realtime event sent to the recipient's sockets after commit.
NOTIFICATION_ADDED_EVENT = "notification.added"

TITLE_MAX_LENGTH = Notification._meta.get_field("title").max_length or 200


def notify(
    recipient: User,
    kind: NotificationKind,
    title: str,
    *,
    actor: User | None = None,
    case: Case | None = None,
    comment: Comment | None = None,
    connection_request: ConnectionRequest | None = None,
    mentorship_id: int | None = None,
    referral_id: int | None = None,
) -> Notification | None:
    """Notify ``recipient`` (returns None when not sent), unless they are the actor, muted
    ``kind``, or would not be shown it.

    "Shown" is the list's own rule (``network.selectors.notifications``): the recipient is a
    verified doctor, may see the case (a comment's case when only the comment is given) and the
    referral, the comment is neither deleted nor hidden, the actor and the recipient have not
    blocked each other; a moderation decision about the recipient's own case or comment is shown although
    that content is hidden.
    """
    if actor is not None and actor.pk == recipient.pk:
        return None
    if NotificationMute.objects.filter(doctor=recipient, kind=kind).exists():
        return None
    if case is None and comment is not None:
        case = comment.case  # the link the client opens
    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                recipient=recipient,
                kind=kind,
                title=Truncator(title.strip()).chars(TITLE_MAX_LENGTH),
                actor=actor,
                case=case,
                comment=comment,
                connection_request=connection_request,
                mentorship_id=mentorship_id,
                referral_id=referral_id,
            )
            # Written, then asked of the list's selector: the rule is not written a second time.
            if not notifications_of(recipient).filter(pk=notification.pk).exists():
                raise _NotShown
            publish_after_commit(
                user_group(recipient.pk),
                {
                    "kind": NOTIFICATION_ADDED_EVENT,
                    "notification_id": notification.pk,
                    "recipient_id": recipient.pk,
                },
            )
    except _NotShown:
        return None  # rolled back to before the insert
    return notification


class _NotShown(Exception):
    """The new notification would not be shown to its recipient: undo the insert."""


def mark_read(viewer: Viewer, public_id: uuid.UUID) -> Notification:
    """Mark one of the viewer's notifications read (again: a no-op); NOT_FOUND for any other."""
    doctor = require_verified_doctor(viewer)
    with transaction.atomic():
        shown = notifications_of(doctor)
        Notification.objects.filter(UNREAD, pk__in=shown.filter(public_id=public_id).values("pk")).update(
            read_at=timezone.now()
        )
        notification = shown.filter(public_id=public_id).first()
        if notification is None:
            raise ServiceError(NetworkErrorCode.NOT_FOUND, _("This notification does not exist."), "id")
    return notification


def mark_all_read(viewer: Viewer) -> int:
    """Mark every unread notification the viewer is shown read; returns how many."""
    doctor = require_verified_doctor(viewer)
    with transaction.atomic():
        unread = notifications_of(doctor, Notification.objects.filter(UNREAD))
        return Notification.objects.filter(pk__in=unread.values("pk")).update(read_at=timezone.now())


def set_notification_preferences(viewer: Viewer, muted: Iterable[str]) -> list[NotificationPreference]:
    """Mute exactly the ``muted`` kinds, and hear of every other kind again."""
    doctor = require_verified_doctor(viewer)
    kinds = {_kind(kind, "muted") for kind in muted}
    with transaction.atomic():
        NotificationMute.objects.filter(doctor=doctor).exclude(kind__in=kinds).delete()
        # ignore_conflicts: the unique (doctor, kind) constraint settles a concurrent mute.
        NotificationMute.objects.bulk_create(
            [NotificationMute(doctor=doctor, kind=kind) for kind in kinds], ignore_conflicts=True
        )
    return notification_preferences(doctor)


def mute_kind(viewer: Viewer, kind: str) -> list[NotificationPreference]:
    """Stop notifying the viewer of ``kind`` (muting twice is the same as once)."""
    doctor = require_verified_doctor(viewer)
    muted = _kind(kind, "kind")
    with transaction.atomic():
        NotificationMute.objects.bulk_create(
            [NotificationMute(doctor=doctor, kind=muted)], ignore_conflicts=True
        )
    return notification_preferences(doctor)


def unmute_kind(viewer: Viewer, kind: str) -> list[NotificationPreference]:
    """Notify the viewer of ``kind`` again."""
    doctor = require_verified_doctor(viewer)
    unmuted = _kind(kind, "kind")
    with transaction.atomic():
        NotificationMute.objects.filter(doctor=doctor, kind=unmuted).delete()
    return notification_preferences(doctor)


def _kind(value: str, field: str) -> NotificationKind:
    try:
        return NotificationKind(value)
    except ValueError:
        raise ServiceError(
            NetworkErrorCode.INVALID, _("“%(kind)s” is not a kind of notification.") % {"kind": value}, field
        ) from None
