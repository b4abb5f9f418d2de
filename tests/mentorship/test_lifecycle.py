"""The mentorship lifecycle, as its doctors and administrators live it."""

from __future__ import annotations

import pytest

from audit.models import AuditEvent
from common.errors import ServiceError
from facilities.models import Tier
from mentorship.errors import MentorshipErrorCode
from mentorship.models import Mentorship
from mentorship.services import mentorships as services
from network.models import Connection, Notification, NotificationKind
from tests import factories

pytestmark = pytest.mark.django_db


def refused(code: MentorshipErrorCode, call, *args, **kwargs) -> ServiceError:
    with pytest.raises(ServiceError) as raised:
        call(*args, **kwargs)
    assert raised.value.code == code, raised.value.errors
    return raised.value


def test_a_mentors_proposal_accepted_by_the_mentee_starts_the_mentorship_and_connects_them():
    mentor, mentee = factories.doctor(tier=Tier.CENTRAL), factories.doctor(tier=Tier.PROVINCIAL)
    proposal = services.propose_mentorship(
        mentor, mentor_id=mentor.pk, mentee_id=mentee.pk, message="Chào em"
    )
    assert proposal.status == Mentorship.Status.PROPOSED
    assert proposal.mentee_tier == Tier.PROVINCIAL and proposal.mentor_accepted_at is not None
    assert Notification.objects.filter(recipient=mentee, kind=NotificationKind.MENTORSHIP_PROPOSED).exists()

    started = services.accept_mentorship(mentee, proposal.public_id)

    assert started.status == Mentorship.Status.ACTIVE and started.started_at is not None
    assert Connection.objects.filter(doctor=mentor, peer=mentee).exists()
    assert Connection.objects.filter(doctor=mentee, peer=mentor).exists()
    assert Notification.objects.filter(recipient=mentor, kind=NotificationKind.MENTORSHIP_STARTED).exists()
    actions = list(AuditEvent.objects.filter(target_id=str(proposal.pk)).values_list("action", flat=True))
    assert sorted(actions) == ["mentorship.proposed", "mentorship.started"]


def test_the_mentor_cannot_go_over_the_maximum_for_a_tier():
    mentor = factories.doctor(tier=Tier.CENTRAL)
    for _ in range(2):
        factories.mentorship(mentor, factories.doctor(tier=Tier.COMMUNE))
    refused(
        MentorshipErrorCode.MENTOR_QUOTA_FULL,
        services.propose_mentorship,
        mentor,
        mentor_id=mentor.pk,
        mentee_id=factories.doctor(tier=Tier.COMMUNE).pk,
    )
    # Other tiers still have room.
    factories.mentorship(mentor, factories.doctor(tier=Tier.DISTRICT))


def test_tiers_the_policy_does_not_pair_are_refused():
    provincial, commune = factories.doctor(tier=Tier.PROVINCIAL), factories.doctor(tier=Tier.COMMUNE)
    refused(
        MentorshipErrorCode.TIER_NOT_ALLOWED,
        services.propose_mentorship,
        provincial,
        mentor_id=provincial.pk,
        mentee_id=commune.pk,
    )
    assert not Mentorship.objects.exists()


def test_a_doctor_cannot_mentor_themselves():
    doctor = factories.doctor()
    refused(
        MentorshipErrorCode.SELF_MENTORSHIP,
        services.propose_mentorship,
        doctor,
        mentor_id=doctor.pk,
        mentee_id=doctor.pk,
    )


def test_ending_needs_a_reason_and_is_audited():
    mentor, mentee = factories.doctor(tier=Tier.CENTRAL), factories.doctor(tier=Tier.DISTRICT)
    mentorship = factories.mentorship(mentor, mentee)
    refused(
        MentorshipErrorCode.REASON_REQUIRED, services.end_mentorship, mentee, mentorship.public_id, reason=" "
    )
    ended = services.end_mentorship(mentee, mentorship.public_id, reason="Chuyển công tác")
    assert ended.status == Mentorship.Status.ENDED and ended.ended_by == mentee
    assert AuditEvent.objects.filter(action="mentorship.ended", target_id=str(mentorship.pk)).exists()
    assert Notification.objects.filter(recipient=mentor, kind=NotificationKind.MENTORSHIP_ENDED).exists()
