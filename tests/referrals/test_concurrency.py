"""Claims from a queue race on real connections: exactly one consultant wins, every other
claim is refused with ALREADY_CLAIMED, and the row agrees."""

from __future__ import annotations

from collections import Counter

import pytest
from django.db import connection

from common.errors import ServiceError
from facilities.models import Tier
from referrals.errors import ReferralErrorCode
from referrals.models import Referral
from referrals.services.referrals import accept_referral
from tests import factories
from tests.concurrency import race
from tests.referrals.conftest import published_case, refer

pytestmark = pytest.mark.django_db(transaction=True)

CLAIMERS = 20


def test_exactly_one_concurrent_claim_wins():
    with connection.cursor() as cursor:
        cursor.execute("SHOW max_connections")
        assert int(cursor.fetchone()[0]) >= CLAIMERS + 5
    hospital = factories.facility(Tier.PROVINCIAL)
    specialty = factories.specialty()
    claimers = []
    for _ in range(CLAIMERS):
        doctor = factories.doctor(facility=hospital)
        doctor.specialties.add(specialty)
        claimers.append(doctor)
    requester = factories.doctor(tier=Tier.DISTRICT)
    referral = refer(requester, published_case(requester), facility_id=hospital.pk)

    results = race(
        *(lambda doctor=doctor: accept_referral(doctor, referral.public_id) for doctor in claimers)
    )

    for result in results:
        if isinstance(result, BaseException) and not isinstance(result, ServiceError):
            raise result
    outcomes = Counter(str(r.code) if isinstance(r, ServiceError) else "ok" for r in results)
    assert outcomes == {"ok": 1, ReferralErrorCode.ALREADY_CLAIMED: CLAIMERS - 1}
    winner = next(r for r in results if isinstance(r, Referral))
    stored = Referral.objects.get(pk=referral.pk)
    assert stored.status == Referral.Status.ACCEPTED and stored.consultant_id == winner.consultant_id


def test_overlapping_escalation_runs_escalate_once():
    from datetime import timedelta

    from referrals.services.escalation import escalate_overdue
    from tests.referrals.conftest import doctor_with_specialty

    requester = factories.doctor(tier=Tier.DISTRICT)
    named = doctor_with_specialty(Tier.PROVINCIAL)
    referrals = [refer(requester, published_case(requester), named, urgency="urgent") for _ in range(5)]
    later = referrals[-1].created_at + timedelta(hours=5)

    runs = race(*(lambda: escalate_overdue(now=later) for _ in range(4)))

    for run in runs:
        if isinstance(run, BaseException):
            raise run
    assert sum(run.escalated for run in runs) == 5
    assert set(Referral.objects.values_list("escalation_level", flat=True)) == {1}


@pytest.mark.parametrize("claimer_is_named", [True, False])
def test_escalation_racing_a_claim_leaves_one_consistent_referral(claimer_is_named):
    """An overdue referral escalated while it is being claimed: whichever locks the row first,
    the referral ends accepted by the claimer with no escalation pending, or (the claimer no
    not yet responsible) still requested; every escalation step is audited, none is lost."""
    from datetime import timedelta

    from audit.models import AuditEvent
    from referrals.services.escalation import escalate_overdue
    from tests.referrals.conftest import doctor_with_specialty

    requester = factories.doctor(tier=Tier.DISTRICT)
    named = doctor_with_specialty(Tier.PROVINCIAL)
    colleague = doctor_with_specialty(Tier.PROVINCIAL, facility=named.facility)
    colleague.specialties.add(*named.specialties.all())
    referral = refer(requester, published_case(requester), named, urgency="urgent")
    claimer = named if claimer_is_named else colleague
    later = referral.created_at + timedelta(hours=5)

    escalation, claim = race(
        lambda: escalate_overdue(now=later), lambda: accept_referral(claimer, referral.public_id)
    )

    if isinstance(escalation, BaseException):
        raise escalation
    stored = Referral.objects.get(pk=referral.pk)
    steps = AuditEvent.objects.filter(action="referral.escalated", target_id=str(referral.pk)).count()
    assert steps == stored.escalation_level == escalation.escalated
    if isinstance(claim, Referral):
        assert stored.status == Referral.Status.ACCEPTED and stored.consultant_id == claimer.pk
        assert stored.next_escalation_at is None
    else:
        # Only the colleague can lose: claiming before the escalation reached their queue.
        assert isinstance(claim, ServiceError) and claim.code == ReferralErrorCode.NOT_FOUND
        assert not claimer_is_named
        assert stored.status == Referral.Status.REQUESTED and stored.consultant_id is None
