"""What mentoring actually happened between a pair, recorded against their active mentorship.

The features where doctors meet (cases, comments, chat, referrals) announce each interaction
with ``network.signals.doctors_interacted``; this records it when the two doctors have an active
mentorship, at most once per thing, and keeps ``last_activity_at`` for the audit.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import F, Q
from django.db.models.functions import Greatest
from django.utils import timezone

from mentorship.models import ActivityKind, Mentorship, MentorshipActivity


def record_activity(
    first_id: int, second_id: int, kind: ActivityKind, subject_id: object, occurred_at: datetime | None = None
) -> bool:
    """Record that the two doctors (in either role) did ``kind`` about ``subject_id``; returns
    whether it counted for an active mentorship (a repeat of the same thing does not)."""
    if first_id == second_id:
        return False
    mentorship_id = (
        Mentorship.objects.filter(
            Q(mentor_id=first_id, mentee_id=second_id) | Q(mentor_id=second_id, mentee_id=first_id),
            status=Mentorship.Status.ACTIVE,
        )
        .values_list("pk", flat=True)
        .first()
    )
    if mentorship_id is None:
        return False
    occurred_at = occurred_at or timezone.now()
    _activity, created = MentorshipActivity.objects.get_or_create(
        mentorship_id=mentorship_id,
        kind=kind,
        subject_id=str(subject_id),
        defaults={"occurred_at": occurred_at},
    )
    if created:
        # GREATEST skips NULL: the first activity sets it, an older one recorded late keeps it.
        Mentorship.objects.filter(pk=mentorship_id).update(
            last_activity_at=Greatest(F("last_activity_at"), occurred_at)
        )
    return created
