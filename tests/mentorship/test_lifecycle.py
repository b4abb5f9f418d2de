"""The mentorship lifecycle, as its doctors and administrators live it: every transition with
its audit row and the doctor it notifies, and every refusal with its code."""

from __future__ import annotations

import uuid
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.models import VerificationStatus
from accounts.services import revoke_verification
from audit.models import AuditEvent
from common.errors import CommonErrorCode, ServiceError
from facilities.models import Tier
from mentorship.errors import MentorshipErrorCode
from mentorship.models import Mentorship
from mentorship.services import mentorships as services
from network.models import Block, Connection, Notification, NotificationKind
from network.services.connections import accept_connection_request, send_connection_request
from tests import factories

pytestmark = pytest.mark.django_db

Status = Mentorship.Status


def refused(code: str, call, *args, **kwargs) -> ServiceError:
    with pytest.raises(ServiceError) as raised:
        call(*args, **kwargs)
    assert raised.value.code == code, raised.value.errors
    return raised.value


def central() -> object:
    return factories.doctor(tier=Tier.CENTRAL)


def provincial() -> object:
    return factories.doctor(tier=Tier.PROVINCIAL)


def propose(actor, mentor, mentee, **extra) -> Mentorship:
    return services.propose_mentorship(actor, mentor_id=mentor.pk, mentee_id=mentee.pk, **extra)


def actions(mentorship: Mentorship) -> list[str]:
    return list(
        AuditEvent.objects.filter(target_type="mentorship.mentorship", target_id=str(mentorship.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )


def notified(doctor, kind: str) -> list[Notification]:
    return list(Notification.objects.filter(recipient=doctor, kind=kind))


def status_of(mentorship: Mentorship) -> str:
    return Mentorship.objects.get(pk=mentorship.pk).status


# --- Transitions ------------------------------------------------------------------------------


def test_a_mentors_proposal_accepted_by_the_mentee_starts_the_mentorship_and_connects_them():
    mentor, mentee = central(), provincial()
    proposal = services.propose_mentorship(
        mentor, mentor_id=mentor.pk, mentee_id=mentee.pk, message="Chào em"
    )
    assert proposal.status == Status.PROPOSED
    assert proposal.mentee_tier == Tier.PROVINCIAL and proposal.mentor_accepted_at is not None
    assert proposal.proposed_as == Mentorship.Proposer.MENTOR and proposal.mentee_accepted_at is None
    assert proposal.expires_at > timezone.now()
    [asked] = notified(mentee, NotificationKind.MENTORSHIP_PROPOSED)
    assert asked.actor == mentor and asked.mentorship_id == proposal.pk
    assert not notified(mentor, NotificationKind.MENTORSHIP_PROPOSED)

    started = services.accept_mentorship(mentee, proposal.public_id)

    assert started.status == Status.ACTIVE and started.started_at is not None
    assert Connection.objects.filter(doctor=mentor, peer=mentee).exists()
    assert Connection.objects.filter(doctor=mentee, peer=mentor).exists()
    [told] = notified(mentor, NotificationKind.MENTORSHIP_STARTED)
    assert told.actor == mentee and told.mentorship_id == proposal.pk
    assert not notified(mentee, NotificationKind.MENTORSHIP_STARTED)  # the acceptor knows
    assert actions(proposal) == ["mentorship.proposed", "mentorship.started"]
    started_event = AuditEvent.objects.get(action="mentorship.started", target_id=str(proposal.pk))
    assert started_event.actor == mentee
    assert started_event.details["policy_version"] == 1 and started_event.details["connected"] is True


def test_a_mentees_proposal_is_accepted_by_the_mentor():
    mentor, mentee = central(), factories.doctor(tier=Tier.DISTRICT)
    proposal = propose(mentee, mentor, mentee)
    assert proposal.proposed_as == Mentorship.Proposer.MENTEE and proposal.mentee_accepted_at is not None
    assert notified(mentor, NotificationKind.MENTORSHIP_PROPOSED)

    started = services.accept_mentorship(mentor, proposal.public_id)

    assert started.status == Status.ACTIVE and started.mentee_tier == Tier.DISTRICT
    assert notified(mentee, NotificationKind.MENTORSHIP_STARTED)


def test_an_administrators_proposal_needs_both_doctors_to_accept():
    admin, mentor, mentee = factories.mentorship_admin(), central(), provincial()
    proposal = propose(admin, mentor, mentee)
    assert proposal.proposed_as == Mentorship.Proposer.ADMINISTRATOR
    assert proposal.mentor_accepted_at is None and proposal.mentee_accepted_at is None
    for doctor in (mentor, mentee):
        [asked] = notified(doctor, NotificationKind.MENTORSHIP_PROPOSED)
        assert asked.actor is None  # an administrator is not a party

    first = services.accept_mentorship(mentee, proposal.public_id)
    assert first.status == Status.PROPOSED and first.mentee_accepted_at is not None
    assert not Connection.objects.filter(doctor=mentor, peer=mentee).exists()
    refused(MentorshipErrorCode.ALREADY_ACCEPTED, services.accept_mentorship, mentee, proposal.public_id)

    second = services.accept_mentorship(mentor, proposal.public_id)
    assert second.status == Status.ACTIVE
    assert actions(proposal) == ["mentorship.proposed", "mentorship.accepted", "mentorship.started"]
    assert AuditEvent.objects.get(action="mentorship.proposed", target_id=str(proposal.pk)).actor == admin
    assert notified(mentee, NotificationKind.MENTORSHIP_STARTED)
    assert not notified(mentor, NotificationKind.MENTORSHIP_STARTED)


def test_accepting_connects_doctors_already_connected_only_once():
    mentor, mentee = central(), provincial()
    request = send_connection_request(mentor, mentee.pk)
    accept_connection_request(mentee, request.pk)

    factories.mentorship(mentor, mentee)

    assert Connection.objects.filter(doctor__in=[mentor, mentee], peer__in=[mentor, mentee]).count() == 2
    assert AuditEvent.objects.get(action="mentorship.started").details["connected"] is False


def test_accepting_settles_a_pending_connection_request():
    mentor, mentee = central(), provincial()
    request = send_connection_request(mentee, mentor.pk)
    factories.mentorship(mentor, mentee)
    request.refresh_from_db()
    assert request.status == "accepted"
    assert Connection.objects.filter(doctor__in=[mentor, mentee], peer__in=[mentor, mentee]).count() == 2


def test_the_doctor_asked_declines_and_the_proposer_is_told():
    mentor, mentee = central(), provincial()
    proposal = propose(mentor, mentor, mentee)

    declined = services.decline_mentorship(mentee, proposal.public_id)

    assert declined.status == Status.DECLINED and declined.decided_at is not None
    [told] = notified(mentor, NotificationKind.MENTORSHIP_DECLINED)
    assert told.actor == mentee and told.mentorship_id == proposal.pk
    assert actions(proposal) == ["mentorship.proposed", "mentorship.declined"]
    refused(MentorshipErrorCode.INVALID_TRANSITION, services.accept_mentorship, mentee, proposal.public_id)
    # Declined is closed: the pair may be proposed again.
    assert propose(mentee, mentor, mentee).status == Status.PROPOSED


def test_the_proposer_withdraws():
    mentor, mentee = central(), provincial()
    proposal = propose(mentee, mentor, mentee)

    withdrawn = services.withdraw_mentorship(mentee, proposal.public_id)

    assert withdrawn.status == Status.WITHDRAWN
    assert actions(proposal) == ["mentorship.proposed", "mentorship.withdrawn"]
    refused(MentorshipErrorCode.INVALID_TRANSITION, services.withdraw_mentorship, mentee, proposal.public_id)
    refused(MentorshipErrorCode.INVALID_TRANSITION, services.accept_mentorship, mentor, proposal.public_id)


def test_only_the_proposer_withdraws_a_doctors_proposal():
    mentor, mentee, admin = central(), provincial(), factories.mentorship_admin()
    proposal = propose(mentor, mentor, mentee)
    refused(MentorshipErrorCode.PERMISSION_DENIED, services.withdraw_mentorship, mentee, proposal.public_id)
    refused(MentorshipErrorCode.NOT_FOUND, services.withdraw_mentorship, provincial(), proposal.public_id)
    refused(CommonErrorCode.NOT_VERIFIED, services.withdraw_mentorship, admin, proposal.public_id)
    assert status_of(proposal) == Status.PROPOSED


def test_only_an_administrator_withdraws_an_administrators_proposal():
    admin, mentor, mentee = factories.mentorship_admin(), central(), provincial()
    proposal = propose(admin, mentor, mentee)
    refused(MentorshipErrorCode.PERMISSION_DENIED, services.withdraw_mentorship, mentor, proposal.public_id)
    other_admin = factories.mentorship_admin()
    withdrawn = services.withdraw_mentorship(other_admin, proposal.public_id)
    assert withdrawn.status == Status.WITHDRAWN
    assert (
        AuditEvent.objects.get(action="mentorship.withdrawn", target_id=str(proposal.pk)).actor == other_admin
    )


def test_either_doctor_or_an_administrator_ends_an_active_mentorship_with_a_reason():
    admin = factories.mentorship_admin()
    for ender in ("mentor", "mentee", "admin"):
        mentor, mentee = central(), factories.doctor(tier=Tier.DISTRICT)
        mentorship = factories.mentorship(mentor, mentee)
        actor = {"mentor": mentor, "mentee": mentee, "admin": admin}[ender]
        refused(
            MentorshipErrorCode.REASON_REQUIRED,
            services.end_mentorship,
            actor,
            mentorship.public_id,
            reason=" ",
        )
        ended = services.end_mentorship(actor, mentorship.public_id, reason="Chuyển công tác")
        assert ended.status == Status.ENDED and ended.ended_by == actor and ended.ended_at is not None
        assert ended.end_reason == "Chuyển công tác"
        event = AuditEvent.objects.get(action="mentorship.ended", target_id=str(mentorship.pk))
        assert event.actor == actor and event.details["reason"] == "Chuyển công tác"
        told = {doctor for doctor in (mentor, mentee) if notified(doctor, NotificationKind.MENTORSHIP_ENDED)}
        assert told == {doctor for doctor in (mentor, mentee) if doctor != actor}
        refused(
            MentorshipErrorCode.INVALID_TRANSITION,
            services.end_mentorship,
            actor,
            mentorship.public_id,
            reason="Lần nữa",
        )


def test_a_proposal_cannot_be_ended_and_an_outsider_cannot_end_anything():
    mentor, mentee = central(), provincial()
    proposal = propose(mentor, mentor, mentee)
    refused(
        MentorshipErrorCode.INVALID_TRANSITION,
        services.end_mentorship,
        mentor,
        proposal.public_id,
        reason="x",
    )
    active = factories.mentorship(central(), provincial())
    refused(MentorshipErrorCode.NOT_FOUND, services.end_mentorship, mentor, active.public_id, reason="x")


# --- Refusals when proposing ----------------------------------------------------------------


def test_a_doctor_cannot_mentor_themselves():
    doctor = central()
    refused(MentorshipErrorCode.SELF_MENTORSHIP, propose, doctor, doctor, doctor)


def test_tiers_the_policy_does_not_pair_are_refused():
    provincial_doctor, commune = provincial(), factories.doctor(tier=Tier.COMMUNE)
    refused(MentorshipErrorCode.TIER_NOT_ALLOWED, propose, provincial_doctor, provincial_doctor, commune)
    # Nor upwards, nor within a tier.
    mentor = central()
    refused(MentorshipErrorCode.TIER_NOT_ALLOWED, propose, commune, commune, mentor)
    refused(MentorshipErrorCode.TIER_NOT_ALLOWED, propose, mentor, mentor, central())
    assert not Mentorship.objects.exists()


def test_both_doctors_need_a_facility():
    mentor, mentee = central(), factories.doctor(facility=None)
    error = refused(MentorshipErrorCode.NO_FACILITY, propose, mentor, mentor, mentee)
    assert error.errors[0].field == "menteeId"
    error = refused(MentorshipErrorCode.NO_FACILITY, propose, mentee, factories.doctor(facility=None), mentee)
    assert error.errors[0].field == "mentorId"


def test_the_mentor_cannot_go_over_the_maximum_for_a_tier():
    mentor = central()
    for _ in range(2):
        factories.mentorship(mentor, factories.doctor(tier=Tier.COMMUNE))
    refused(
        MentorshipErrorCode.MENTOR_QUOTA_FULL, propose, mentor, mentor, factories.doctor(tier=Tier.COMMUNE)
    )
    # Other tiers still have room.
    factories.mentorship(mentor, factories.doctor(tier=Tier.DISTRICT))


def test_the_quota_is_enforced_again_when_the_last_acceptance_starts_it():
    mentor = central()
    mentees = [factories.doctor(tier=Tier.COMMUNE) for _ in range(3)]
    proposals = [propose(mentor, mentor, mentee) for mentee in mentees]
    for mentee, proposal in zip(mentees[:2], proposals[:2], strict=True):
        services.accept_mentorship(mentee, proposal.public_id)

    refused(
        MentorshipErrorCode.MENTOR_QUOTA_FULL, services.accept_mentorship, mentees[2], proposals[2].public_id
    )

    assert status_of(proposals[2]) == Status.PROPOSED  # nothing changed; it may start later
    services.end_mentorship(mentor, proposals[0].public_id, reason="Hoàn thành")
    assert services.accept_mentorship(mentees[2], proposals[2].public_id).status == Status.ACTIVE


def test_a_mentee_has_at_most_the_maximum_number_of_mentors():
    mentee = provincial()
    for _ in range(2):
        factories.mentorship(central(), mentee)
    third = central()
    refused(MentorshipErrorCode.MENTEE_MENTORS_FULL, propose, third, third, mentee)


def test_the_mentee_limit_is_enforced_when_the_last_acceptance_starts_it():
    mentee = provincial()
    mentors = [central() for _ in range(3)]
    proposals = [propose(mentee, mentor, mentee) for mentor in mentors]
    for mentor, proposal in zip(mentors[:2], proposals[:2], strict=True):
        services.accept_mentorship(mentor, proposal.public_id)
    refused(
        MentorshipErrorCode.MENTEE_MENTORS_FULL,
        services.accept_mentorship,
        mentors[2],
        proposals[2].public_id,
    )
    assert Mentorship.objects.filter(mentee=mentee, status=Status.ACTIVE).count() == 2


def test_one_open_mentorship_per_pair_whoever_proposed_it():
    mentor, mentee = central(), provincial()
    propose(mentor, mentor, mentee)
    refused(MentorshipErrorCode.ALREADY_OPEN, propose, mentor, mentor, mentee)
    refused(MentorshipErrorCode.ALREADY_OPEN, propose, mentee, mentor, mentee)
    refused(MentorshipErrorCode.ALREADY_OPEN, propose, factories.mentorship_admin(), mentor, mentee)
    other_mentee = provincial()
    factories.mentorship(mentor, other_mentee)
    refused(MentorshipErrorCode.ALREADY_OPEN, propose, other_mentee, mentor, other_mentee)


@pytest.mark.parametrize("blocker", ["mentor", "mentee"])
def test_doctors_blocked_either_way_cannot_be_paired(blocker):
    mentor, mentee = central(), provincial()
    if blocker == "mentor":
        Block.objects.create(blocker=mentor, blocked=mentee)
    else:
        Block.objects.create(blocker=mentee, blocked=mentor)
    refused(MentorshipErrorCode.BLOCKED, propose, mentor, mentor, mentee)
    refused(MentorshipErrorCode.BLOCKED, propose, mentee, mentor, mentee)
    refused(MentorshipErrorCode.BLOCKED, propose, factories.mentorship_admin(), mentor, mentee)


def test_a_block_after_the_proposal_stops_the_acceptance():
    mentor, mentee = central(), provincial()
    proposal = propose(mentor, mentor, mentee)
    Block.objects.create(blocker=mentor, blocked=mentee)
    refused(MentorshipErrorCode.BLOCKED, services.accept_mentorship, mentee, proposal.public_id)
    assert status_of(proposal) == Status.PROPOSED


def test_an_unverified_doctor_cannot_propose_or_answer():
    mentor, mentee = central(), provincial()
    for status in (VerificationStatus.UNVERIFIED, VerificationStatus.PENDING, VerificationStatus.REVOKED):
        unverified = factories.doctor(status=status, tier=Tier.PROVINCIAL)
        refused(CommonErrorCode.NOT_VERIFIED, propose, unverified, mentor, unverified)
    proposal = propose(mentor, mentor, mentee)
    mentee.verification_status = VerificationStatus.REVOKED
    mentee.save(update_fields=["verification_status"])
    refused(CommonErrorCode.NOT_VERIFIED, services.accept_mentorship, mentee, proposal.public_id)
    refused(CommonErrorCode.NOT_VERIFIED, services.decline_mentorship, mentee, proposal.public_id)


def test_a_doctor_whose_licence_lapsed_is_not_verified():
    mentor = central()
    mentor.licence_expires_on = timezone.localdate() - timedelta(days=1)
    mentor.save(update_fields=["licence_expires_on"])
    refused(CommonErrorCode.NOT_VERIFIED, propose, mentor, mentor, provincial())


def test_a_proposal_to_an_unverified_doctor_finds_no_such_doctor():
    mentor = central()
    unverified = factories.doctor(status=VerificationStatus.PENDING, tier=Tier.PROVINCIAL)
    error = refused(MentorshipErrorCode.NOT_FOUND, propose, mentor, mentor, unverified)
    assert error.errors[0].field == "menteeId"


def test_the_other_party_losing_verification_stops_the_acceptance():
    mentor, mentee = central(), provincial()
    proposal = propose(mentor, mentor, mentee)
    revoke_verification(factories.verifier(), mentor.pk, reason="Giấy phép bị thu hồi")

    refused(MentorshipErrorCode.NOT_FOUND, services.accept_mentorship, mentee, proposal.public_id)

    proposal.refresh_from_db()
    assert proposal.status == Status.PROPOSED and proposal.review_reason == "verification_lost"


def test_only_a_mentorship_administrator_proposes_for_others():
    mentor, mentee = central(), provincial()
    refused(MentorshipErrorCode.PERMISSION_DENIED, propose, provincial(), mentor, mentee)
    refused(MentorshipErrorCode.MFA_REQUIRED, propose, factories.mentorship_admin(totp=False), mentor, mentee)
    refused(MentorshipErrorCode.PERMISSION_DENIED, propose, factories.verifier(), mentor, mentee)


def test_a_long_message_and_an_unknown_specialty_are_refused():
    mentor, mentee = central(), provincial()
    error = refused(MentorshipErrorCode.INVALID, propose, mentor, mentor, mentee, message="x" * 501)
    assert error.errors[0].field == "message"
    error = refused(MentorshipErrorCode.NOT_FOUND, propose, mentor, mentor, mentee, specialty_id=987654)
    assert error.errors[0].field == "specialtyId"


# --- Refusals when answering ----------------------------------------------------------------


def test_an_expired_proposal_cannot_be_accepted():
    mentor, mentee = central(), provincial()
    proposal = propose(mentor, mentor, mentee)
    Mentorship.objects.filter(pk=proposal.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    refused(MentorshipErrorCode.PROPOSAL_EXPIRED, services.accept_mentorship, mentee, proposal.public_id)


def test_the_proposer_has_already_accepted():
    mentor, mentee = central(), provincial()
    proposal = propose(mentor, mentor, mentee)
    refused(MentorshipErrorCode.ALREADY_ACCEPTED, services.accept_mentorship, mentor, proposal.public_id)


def test_a_doctor_cannot_decline_what_they_accepted_but_may_withdraw_it():
    mentor, mentee = central(), provincial()
    proposal = propose(mentor, mentor, mentee)
    refused(MentorshipErrorCode.INVALID_TRANSITION, services.decline_mentorship, mentor, proposal.public_id)
    admin_proposal = propose(factories.mentorship_admin(), central(), mentee)
    services.accept_mentorship(mentee, admin_proposal.public_id)
    refused(
        MentorshipErrorCode.INVALID_TRANSITION, services.decline_mentorship, mentee, admin_proposal.public_id
    )


def test_an_answered_proposal_cannot_be_answered_again():
    mentor, mentee = central(), provincial()
    proposal = factories.mentorship(mentor, mentee)
    refused(MentorshipErrorCode.INVALID_TRANSITION, services.accept_mentorship, mentee, proposal.public_id)
    refused(MentorshipErrorCode.INVALID_TRANSITION, services.decline_mentorship, mentee, proposal.public_id)
    refused(MentorshipErrorCode.INVALID_TRANSITION, services.withdraw_mentorship, mentor, proposal.public_id)


def test_a_doctor_outside_the_pair_finds_no_such_mentorship():
    proposal = propose(factories.mentorship_admin(), central(), provincial())
    outsider = provincial()
    for answer in (services.accept_mentorship, services.decline_mentorship):
        refused(MentorshipErrorCode.NOT_FOUND, answer, outsider, proposal.public_id)
    refused(MentorshipErrorCode.NOT_FOUND, services.accept_mentorship, outsider, uuid.uuid4())


# --- Expiry -----------------------------------------------------------------------------------


def test_the_expiry_command_expires_unanswered_proposals_past_their_date():
    mentor = central()
    stale = propose(mentor, mentor, provincial())
    fresh = propose(mentor, mentor, provincial())
    active = factories.mentorship(mentor, provincial())
    Mentorship.objects.filter(pk__in=[stale.pk, active.pk]).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    out = StringIO()

    call_command("expire_mentorship_proposals", stdout=out)

    assert "1" in out.getvalue()
    assert status_of(stale) == Status.EXPIRED
    assert status_of(fresh) == Status.PROPOSED and status_of(active) == Status.ACTIVE
    assert actions(stale) == ["mentorship.proposed", "mentorship.expired"]
    assert AuditEvent.objects.get(action="mentorship.expired").actor is None
    out = StringIO()
    call_command("expire_mentorship_proposals", stdout=out)
    assert "Expired 0" in out.getvalue()


def test_proposals_expire_after_the_configured_days(settings):
    settings.MENTORSHIP_PROPOSAL_DAYS = 3
    mentor = central()
    proposal = propose(mentor, mentor, provincial())
    assert (
        timedelta(days=3) - timedelta(minutes=1)
        < proposal.expires_at - proposal.proposed_at
        <= timedelta(days=3)
    )
    assert services.expire_proposals(now=timezone.now() + timedelta(days=2)) == 0
    assert services.expire_proposals(now=timezone.now() + timedelta(days=3, minutes=1)) == 1
    assert status_of(proposal) == Status.EXPIRED
