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
from referrals.selectors.referrals import completion_overdue
from referrals.services.escalation import escalate_overdue, remind_overdue_answers
from referrals.services.referrals import accept_referral
from tests import factories
from tests.referrals.conftest import advance, doctor_with_specialty, refer

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


# --- An overdue answer --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "status", [Referral.Status.ACCEPTED, Referral.Status.IN_PROGRESS, Referral.Status.ON_HOLD]
)
def test_an_overdue_answer_is_told_to_both_doctors_once_and_stays_with_its_consultant(
    requester, consultant, case, status
):
    referral = advance(refer(requester, case, consultant), status, requester, consultant)
    due = referral.completion_due_at

    assert remind_overdue_answers(now=due - timedelta(minutes=1)) == 0
    assert not completion_overdue(referral, now=due - timedelta(minutes=1))
    assert remind_overdue_answers(now=due) == 1
    # Once: later runs do nothing more.
    assert remind_overdue_answers(now=due + timedelta(days=3)) == 0

    referral.refresh_from_db()
    assert completion_overdue(referral, now=due + timedelta(seconds=1))
    assert (referral.status, referral.consultant, referral.escalation_level) == (status, consultant, 0)
    assert referral.completion_reminded_at == due
    told = Notification.objects.filter(referral=referral, kind=NotificationKind.REFERRAL_ANSWER_OVERDUE)
    assert sorted(told.values_list("recipient_id", flat=True)) == sorted([requester.pk, consultant.pk])
    event = AuditEvent.objects.get(action="referral.completion_overdue")
    assert event.details["status"] == status


def test_only_an_accepted_unanswered_referral_is_reminded(requester, consultant, case):
    waiting = refer(requester, case, consultant)  # escalation's business, not this
    answered = advance(refer(requester, case, consultant), Referral.Status.COMPLETED, requester, consultant)
    cancelled = advance(refer(requester, case, consultant), Referral.Status.CANCELLED, requester, consultant)
    later = max(r.completion_due_at for r in (waiting, answered, cancelled)) + timedelta(hours=1)

    assert remind_overdue_answers(now=later) == 0
    assert not any(completion_overdue(r, now=later) for r in (waiting, answered, cancelled))
    assert not Notification.objects.filter(kind=NotificationKind.REFERRAL_ANSWER_OVERDUE).exists()


def test_the_command_reminds_overdue_answers_too(requester, consultant, case, capsys):
    referral = advance(refer(requester, case, consultant), Referral.Status.IN_PROGRESS, requester, consultant)
    call_command("escalate_referrals", now=referral.completion_due_at.isoformat())
    assert "1 with an overdue answer reminded" in capsys.readouterr().out
    referral.refresh_from_db()
    assert referral.completion_reminded_at == referral.completion_due_at
