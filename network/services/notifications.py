"""Creating notifications: the one function the other network services call.

A notification is written in the same transaction as what caused it and announced to the
recipient's sockets only after that transaction commits (``notificationAdded``). Titles are
short and never carry clinical text: they may show on a phone's lock screen.
"""

from __future__ import annotations

from django.db import transaction

from accounts.models import User
from common.realtime import publish_after_commit, user_group
from network.models import Case, Comment, ConnectionRequest, Notification, NotificationKind, NotificationMute
from network.selectors.cases import can_see_case

# Kind of the realtime event sent to the recipient's sockets after commit.
NOTIFICATION_ADDED_EVENT = "notification.added"


def notify(
    recipient: User,
    kind: NotificationKind,
    title: str,
    *,
    actor: User | None = None,
    case: Case | None = None,
    comment: Comment | None = None,
    connection_request: ConnectionRequest | None = None,
) -> Notification | None:
    """Notify ``recipient`` unless they are the actor, muted ``kind``, or may not see ``case``."""
    if actor is not None and actor.pk == recipient.pk:
        return None
    if NotificationMute.objects.filter(doctor=recipient, kind=kind).exists():
        return None
    if case is not None and not can_see_case(recipient, case.pk):
        return None
    with transaction.atomic():
        notification = Notification.objects.create(
            recipient=recipient,
            kind=kind,
            title=title,
            actor=actor,
            case=case,
            comment=comment,
            connection_request=connection_request,
        )
        publish_after_commit(
            user_group(recipient.pk),
            {
                "kind": NOTIFICATION_ADDED_EVENT,
                "notification_id": notification.pk,
                "recipient_id": recipient.pk,
            },
        )
    return notification
