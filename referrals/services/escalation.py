"""Escalating referrals nobody answered in time (``manage.py escalate_referrals``, for cron).

A referral still *requested* at its ``next_escalation_at`` (first its response deadline) moves
one step: from a named doctor to their facility's queue for the referral's specialty, from a
queue to the queue of the next tier up (same province first) that has doctors of that
specialty. Each step gives the new queue ``escalation_step_hours`` (policy data) before the
next; the response deadline itself never moves, so the figures still count the delay. The
requester, the doctor it leaves and the doctors it reaches are alerted; every step is audited
(``referral.escalated``). Idempotent: a step moves ``next_escalation_at`` past ``now``, and rows
are taken under ``FOR UPDATE SKIP LOCKED``, so overlapping runs never escalate twice.

An accepted referral still without its answer at its completion due time is not moved (its
consultant has the patient's details in hand, and may be waiting on the requester): the
consultant and the requester are told once, and it is audited (``referral.completion_overdue``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Case as Choose
from django.db.models import IntegerField, QuerySet, When
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from audit.services import record
from facilities.models import Facility, Tier
from network.models import Case, NotificationKind
from referrals.models import Referral
from referrals.selectors import referrals as selectors
from referrals.services.alerts import alert

BATCH = 500


@dataclass(frozen=True)
class EscalationRun:
    escalated: int
    exhausted: int  # at the top tier already: left in place, no further step


def next_tier_facility(referral: Referral) -> Facility | None:
    """The facility one tier above the referral's target that has verified doctors of its
    specialty: in the same province if there is one, else anywhere; the lowest id on a tie."""
    current = referral.target_facility
    rank = Tier.rank(current.tier)
    if rank == 0:
        return None
    upper_tier = [choice.value for choice in Tier][rank - 1]
    staffed = (
        User.objects.filter(
            selectors.queue_members_q(referral.specialty_id),
            facility__tier=upper_tier,
            facility__is_active=True,
        )
        .exclude(pk=referral.requester_id)
        .values("facility_id")
    )
    same_province = Choose(
        When(province_id=current.province_id, then=0), default=1, output_field=IntegerField()
    )
    return Facility.objects.filter(pk__in=staffed).annotate(far=same_province).order_by("far", "id").first()


def _escalate(referral: Referral, now: datetime, step: timedelta) -> bool:
    """One step for a locked referral; False when there is nowhere higher to go."""
    previous_doctor = referral.target_doctor
    from_facility = referral.target_facility_id
    # A queue's members are not known in advance: a case not shared with the whole network
    # (as a queued request needs) would wait where nobody may claim it. It stays where it is.
    facility = None
    if referral.case.visibility == Case.Visibility.NETWORK:
        staffed = (
            selectors.queue_members(referral.target_facility_id, referral.specialty_id)
            .exclude(pk=referral.requester_id)
            .exists()
        )
        # The named doctor's own facility first, unless nobody there could claim it.
        facility = referral.target_facility if previous_doctor is not None and staffed else None
        facility = facility or next_tier_facility(referral)
    if facility is None:
        referral.next_escalation_at = None
        referral.save(update_fields=["next_escalation_at"])
        record("referral.escalation_exhausted", actor=None, target=referral, details={})
        return False
    referral.target_doctor = None  # a named doctor's referral goes to their facility's queue
    referral.target_facility = facility
    referral.escalation_level += 1
    referral.escalated_at = now
    referral.next_escalation_at = now + step
    referral.save(
        update_fields=[
            "target_doctor",
            "target_facility",
            "escalation_level",
            "escalated_at",
            "next_escalation_at",
        ]
    )
    record(
        "referral.escalated",
        actor=None,
        target=referral,
        details={
            "level": referral.escalation_level,
            "from_doctor": previous_doctor.pk if previous_doctor else None,
            "from_facility": from_facility,
            "to_facility": referral.target_facility_id,
        },
    )
    reached = list(selectors.queue_members(referral.target_facility_id, referral.specialty_id))
    alert(
        [referral.requester, previous_doctor, *(d for d in reached if d.pk != referral.requester_id)],
        referral,
        NotificationKind.REFERRAL_ESCALATED,
        _("An overdue referral was escalated"),
    )
    return True


def _locked_batches(due: QuerySet[Referral]) -> Iterator[list[Referral]]:
    """``due`` (ordered) in batches of :data:`BATCH`, each yielded inside its own transaction with
    its rows locked; rows another run holds are skipped, so overlapping runs never take a row
    twice. The caller changes each row so that ``due`` no longer selects it."""
    while True:
        with transaction.atomic():
            batch = list(due.select_for_update(of=("self",), skip_locked=True)[:BATCH])
            if not batch:
                return
            yield batch


def escalate_overdue(*, now: datetime | None = None) -> EscalationRun:
    """Escalate every referral overdue at ``now`` by one step."""
    now = now or timezone.now()
    steps = {
        target.urgency: timedelta(hours=target.escalation_step_hours)
        for target in selectors.response_targets()
    }
    escalated = exhausted = 0
    due = (
        Referral.objects.filter(status=Referral.Status.REQUESTED, next_escalation_at__lte=now)
        .select_related("target_facility", "target_doctor", "requester", "case")
        .order_by("next_escalation_at", "id")
    )
    for batch in _locked_batches(due):
        for referral in batch:
            if _escalate(referral, now, steps[referral.urgency]):
                escalated += 1
            else:
                exhausted += 1
    return EscalationRun(escalated=escalated, exhausted=exhausted)


def remind_overdue_answers(*, now: datetime | None = None) -> int:
    """Tell both doctors of each accepted referral past its completion due time, once; returns
    how many referrals were."""
    now = now or timezone.now()
    reminded = 0
    due = (
        Referral.objects.filter(
            status__in=selectors.BEING_ANSWERED,
            completion_due_at__lte=now,
            completion_reminded_at__isnull=True,
        )
        .select_related("requester", "consultant")
        .order_by("completion_due_at", "id")
    )
    for batch in _locked_batches(due):
        for referral in batch:
            referral.completion_reminded_at = now
            referral.save(update_fields=["completion_reminded_at"])
            record(
                "referral.completion_overdue",
                actor=None,
                target=referral,
                details={"status": referral.status, "due": referral.completion_due_at.isoformat()},
            )
            alert(
                [referral.consultant, referral.requester],
                referral,
                NotificationKind.REFERRAL_ANSWER_OVERDUE,
                _("A referral's answer is overdue"),
            )
        reminded += len(batch)
    return reminded
