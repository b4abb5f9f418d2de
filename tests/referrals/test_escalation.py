"""Escalation with a controlled clock: nothing before the deadline; named doctor → their
facility's queue → the next tier's queue (same province first); idempotent; audited; alerts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command

from audit.models import AuditEvent
from facilities.models import Tier
from network.models import Notification, NotificationKind
from referrals.models import Referral
from referrals.services.escalation import escalate_overdue
from referrals.services.referrals import accept_referral
from tests import factories
from tests.referrals.conftest import doctor_with_specialty, refer

pytestmark = pytest.mark.django_db


@pytest.fixture
def ladder(requester, case):
    """A named provincial doctor with a colleague of the same specialty, and a central doctor."""
    named = doctor_with_specialty(Tier.PROVINCIAL)
    colleague = doctor_with_specialty(Tier.PROVINCIAL, facility=named.facility)
    elsewhere = doctor_with_specialty(
        Tier.CENTRAL, facility=factories.facility(Tier.CENTRAL, province=factories.province(2, "Huế"))
    )
    central = doctor_with_specialty(Tier.CENTRAL)
    referral = refer(requester, case, named, urgency="urgent")
    return referral, named, colleague, central, elsewhere


def test_escalation_steps_up_on_the_clock(ladder, requester):
    referral, named, colleague, central, _elsewhere = ladder
    created = referral.created_at

    assert escalate_overdue(now=created + timedelta(hours=3, minutes=59)).escalated == 0

    first = escalate_overdue(now=created + timedelta(hours=4))
    referral.refresh_from_db()
    assert first.escalated == 1
    assert referral.target_doctor is None and referral.target_facility == named.facility
    assert referral.escalation_level == 1
    assert referral.response_due_at == created + timedelta(hours=4)  # the deadline never moves
    # Idempotent: the same run again, or a little later, does nothing more.
    assert escalate_overdue(now=created + timedelta(hours=4)).escalated == 0
    assert escalate_overdue(now=created + timedelta(hours=5, minutes=59)).escalated == 0

    escalate_overdue(now=created + timedelta(hours=6))
    referral.refresh_from_db()
    assert referral.escalation_level == 2
    assert referral.target_facility == central.facility  # same province first
    assert referral.status == Referral.Status.REQUESTED

    # At the top tier there is nowhere higher: it stays, and stops escalating.
    top = escalate_overdue(now=created + timedelta(hours=8))
    assert (top.escalated, top.exhausted) == (0, 1)
    assert escalate_overdue(now=created + timedelta(hours=20)).exhausted == 0

    steps = AuditEvent.objects.filter(action="referral.escalated", target_id=str(referral.pk))
    assert steps.count() == 2
    assert {event.details["level"] for event in steps} == {1, 2}
    alerted = set(
        Notification.objects.filter(referral=referral, kind=NotificationKind.REFERRAL_ESCALATED).values_list(
            "recipient_id", flat=True
        )
    )
    assert {requester.pk, named.pk, colleague.pk, central.pk} <= alerted
    # The central queue member may now claim it.
    assert accept_referral(central, referral.public_id).consultant == central


def test_an_answered_referral_never_escalates(ladder):
    referral, named, *_ = ladder
    accept_referral(named, referral.public_id)
    assert escalate_overdue(now=referral.created_at + timedelta(days=30)).escalated == 0


def test_the_command_takes_a_clock(ladder, capsys):
    referral, *_ = ladder
    call_command("escalate_referrals", now=(referral.created_at + timedelta(hours=5)).isoformat())
    assert "1 escalated" in capsys.readouterr().out
    referral.refresh_from_db()
    assert referral.escalation_level == 1


def test_a_case_not_shared_with_the_network_stays_with_its_named_doctor(requester):
    """Queue members are not known in advance: escalating a case shared with the named doctor
    only would leave it where nobody may claim it. It stays named, and stops escalating."""
    from network.models import Case
    from tests.referrals.conftest import published_case

    named = doctor_with_specialty(Tier.PROVINCIAL)
    doctor_with_specialty(Tier.PROVINCIAL, facility=named.facility)  # a queue there exists
    case = published_case(requester, visibility=Case.Visibility.NAMED, audience_ids=[named.public_id])
    referral = refer(requester, case, named, urgency="urgent")

    run = escalate_overdue(now=referral.created_at + timedelta(hours=4))

    referral.refresh_from_db()
    assert (run.escalated, run.exhausted) == (0, 1)
    assert referral.target_doctor == named and referral.escalation_level == 0
    assert referral.next_escalation_at is None
    assert AuditEvent.objects.filter(
        action="referral.escalation_exhausted", target_id=str(referral.pk)
    ).exists()


def test_a_named_doctors_facility_without_that_specialty_is_skipped(requester, case):
    """Nobody at the named doctor's facility could claim it (the named doctor is of another
    specialty): the first step goes straight to the next tier's queue."""
    named = factories.doctor(tier=Tier.PROVINCIAL)
    named.specialties.add(factories.specialty("surgery", "Ngoại khoa", "Surgery"))
    central = doctor_with_specialty(Tier.CENTRAL)
    referral = refer(requester, case, named, urgency="urgent", specialty_id=central.specialties.get().pk)

    assert escalate_overdue(now=referral.created_at + timedelta(hours=4)).escalated == 1

    referral.refresh_from_db()
    assert referral.target_doctor is None and referral.target_facility == central.facility
