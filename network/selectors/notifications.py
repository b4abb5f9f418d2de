"""A doctor's notifications, as their list, badge and live feed show them.

A notification stays in the store, but is shown only while what it points at may still be
seen: its case through the visibility rule (``cases_visible_to``), its referral through the
referrals' rule (``referrals_visible_to``), its comment while neither deleted nor hidden, its
actor unless blocked either way. The list, the unread count and the ``notificationAdded``
subscription all read through :func:`notifications_of`, so they agree.

Only verified doctors take part in the network: anyone else simply has no notifications (an
empty list and a zero count, rather than an error), the same as they see no cases.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet

from accounts.models import User
from accounts.selectors import with_profile
from accounts.services import is_verified_doctor
from network.models import Comment, Notification, NotificationKind, NotificationMute
from network.selectors.cases import LIVE_COMMENT, Viewer, cases_visible_to
from network.selectors.connections import blocked_either_way_ids
from referrals.selectors.referrals import referrals_visible_to, with_parties

UNREAD = Q(read_at__isnull=True)


def notifications_of(
    viewer: Viewer, notifications: QuerySet[Notification] | None = None
) -> QuerySet[Notification]:
    """The viewer's notifications still shown to them, newest first.

    Shaped for the list: the actor's card is prefetched (as ``accounts.selectors.with_profile``
    loads any doctor card) and the case and comment come as their public ids only
    (``case_public_id``, ``comment_public_id``), so none of their clinical text is even loaded.
    A referral is the ``Referral`` its reader may open anyway: its card is prefetched through
    the referrals' own rule (``referral`` is None for one the viewer may not see), so a page
    costs the same queries whatever its size.
    """
    if not is_verified_doctor(viewer):
        return Notification.objects.none()
    assert isinstance(viewer, User)
    notifications = Notification.objects.all() if notifications is None else notifications
    return (
        notifications.filter(_still_shown(viewer), recipient_id=viewer.pk)
        .exclude(actor_id__in=blocked_either_way_ids(viewer.pk))
        .annotate(case_public_id=F("case__public_id"), comment_public_id=F("comment__public_id"))
        .prefetch_related(
            Prefetch("actor", queryset=with_profile(User.objects.all())),
            Prefetch("referral", queryset=with_parties(referrals_visible_to(viewer), viewer)),
        )
        .order_by("-created_at", "-id")
    )


def _still_shown(viewer: User) -> Q:
    # Correlated EXISTS rather than IN: evaluated per notification of this recipient, never
    # over every case or comment of the network.
    case_visible = Q(case__isnull=True) | Exists(cases_visible_to(viewer).filter(pk=OuterRef("case_id")))
    comment_live = Q(comment__isnull=True) | Exists(
        Comment.objects.filter(LIVE_COMMENT, pk=OuterRef("comment_id"))
    )
    referral_visible = Q(referral__isnull=True) | Exists(
        referrals_visible_to(viewer).filter(pk=OuterRef("referral_id"))
    )
    # A moderator hiding your case or comment is news about your own content, which is hidden
    # precisely because of that decision: it stays shown to you.
    own_content_moderated = Q(kind=NotificationKind.CONTENT_MODERATED) & (
        Q(comment__author_id=viewer.pk) | Q(comment__isnull=True, case__author_id=viewer.pk)
    )
    return (case_visible & comment_live & referral_visible) | own_content_moderated


def unread_count(viewer: Viewer) -> int:
    """The badge: unread notifications that :func:`notifications_of` shows."""
    return notifications_of(viewer, Notification.objects.filter(UNREAD)).count()


@dataclass(frozen=True)
class NotificationAdded:
    """What a recipient's sockets receive for a new notification: it, and the new badge count."""

    notification: Notification
    unread_count: int


def notification_added(recipient_id: int, notification_id: int) -> NotificationAdded | None:
    """The new notification as its recipient may now see it, or None if they may not.

    The recipient is read afresh: their verification may have changed since their socket opened.
    """
    recipient = User.objects.filter(pk=recipient_id).first()
    notification = notifications_of(recipient).filter(pk=notification_id).first()
    if notification is None:
        return None
    return NotificationAdded(notification=notification, unread_count=unread_count(recipient))


@dataclass(frozen=True)
class NotificationPreference:
    kind: NotificationKind
    muted: bool


def notification_preferences(viewer: Viewer) -> list[NotificationPreference]:
    """Every kind of notification with whether the viewer muted it (none for non-doctors)."""
    if not is_verified_doctor(viewer):
        return []
    assert isinstance(viewer, User)
    muted = set(NotificationMute.objects.filter(doctor_id=viewer.pk).values_list("kind", flat=True))
    return [NotificationPreference(kind=kind, muted=kind.value in muted) for kind in NotificationKind]
