"""Telling doctors about a referral: one alert row each, announced to their sockets after commit.

Titles are short and never clinical (they may reach a lock screen). The network's
notifications have no referral kinds yet; when they do, this is the one place to switch.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.text import Truncator

from accounts.models import User
from common.realtime import publish_after_commit, user_group
from referrals.models import Referral, ReferralAlert

REFERRAL_ALERT_EVENT = "referral.alert"
TITLE_MAX_LENGTH = 200


def alert(recipients: Iterable[User | None], referral: Referral, kind: ReferralAlert.Kind, title: str) -> int:
    """Alert each distinct recipient (none twice, never a missing one); returns how many."""
    unique = {doctor.pk: doctor for doctor in recipients if doctor is not None}
    alerts = ReferralAlert.objects.bulk_create(
        ReferralAlert(
            recipient_id=doctor_id,
            referral=referral,
            kind=kind,
            title=Truncator(title).chars(TITLE_MAX_LENGTH),
        )
        for doctor_id in unique
    )
    for item in alerts:
        publish_after_commit(
            user_group(item.recipient_id),
            {"kind": REFERRAL_ALERT_EVENT, "alert_id": item.pk, "referral_id": str(referral.public_id)},
        )
    return len(alerts)
