"""Telling doctors about a referral: a network notification each, of a referral kind.

They go through ``network.services.notifications.notify``, so a referral's news reaches the
same list and badge as the rest of the network, muted kinds are respected, a doctor who may not
see the referral (any more) is told nothing, and each is announced to the recipient's sockets
(``notificationAdded``) after commit. Titles are short and never clinical (they may reach a
lock screen).
"""

from __future__ import annotations

from collections.abc import Iterable

from accounts.models import User
from network.models import NotificationKind
from network.services.notifications import notify
from referrals.models import Referral


def alert(recipients: Iterable[User | None], referral: Referral, kind: NotificationKind, title: str) -> int:
    """Notify each distinct recipient (none twice, never a missing one); returns how many were.

    No actor is named: a block between doctors must not hide news about a patient's care (the
    title says who acted).
    """
    unique = {doctor.pk: doctor for doctor in recipients if doctor is not None}
    sent = (notify(doctor, kind, title, referral_id=referral.pk) for doctor in unique.values())
    return sum(notification is not None for notification in sent)
