"""Requests and the state machine: every (state, action) pair is tried with the right actor;
exactly the table's transitions succeed, every other one is refused with its stable code."""

from __future__ import annotations

import pytest

from audit.models import AuditEvent
from common.errors import ServiceError
from facilities.models import Tier
from mentorship.models import MentorshipActivity
from network.models import Notification
from referrals.errors import ReferralErrorCode
from referrals.models import ConsultationRecord, InformationRequest, Referral
from referrals.services import referrals as services
from referrals.services.referrals import TRANSITIONS, Action
from tests import factories
from tests.referrals.conftest import advance, complete, doctor_with_specialty, published_case, refer

pytestmark = pytest.mark.django_db

Status = Referral.Status


def do(action: Action, referral: Referral, requester, consultant) -> Referral:
    """Run ``action`` as the doctor whose role it is."""
    key = referral.public_id
    calls = {
        Action.ACCEPT: lambda: services.accept_referral(consultant, key),
        Action.REJECT: lambda: services.reject_referral(consultant, key, reason="Không phù hợp."),
        Action.START: lambda: services.start_referral(consultant, key),
        Action.HOLD: lambda: services.request_information(consultant, key, question="Kết quả siêu âm tim?"),
        Action.RESUME: lambda: services.give_information(
            requester, key, answer="EF 45%, giảm vận động thành dưới."
        ),
        Action.COMPLETE: lambda: complete(consultant, referral),
        Action.CANCEL: lambda: services.cancel_referral(requester, key),
        Action.CLOSE: lambda: services.close_referral(
            requester, key, transfer_avoided=True, plan_changed=True, usefulness=5
        ),
    }
    return calls[action]()


@pytest.mark.parametrize("state", list(Status))
@pytest.mark.parametrize("action", list(Action))
def test_every_state_and_action(requester, consultant, case, state, action):
    referral = advance(refer(requester, case, consultant), state, requester, consultant)
    assert referral.status == state
    allowed = (state, action) in TRANSITIONS
    if allowed:
        moved = do(action, referral, requester, consultant)
        assert moved.status == TRANSITIONS[(state, action)]
        assert AuditEvent.objects.filter(action=f"referral.{action}", target_id=str(referral.pk)).exists()
        return
    with pytest.raises(ServiceError) as refused:
        do(action, referral, requester, consultant)
    expected = (
        ReferralErrorCode.ALREADY_CLAIMED
        if action == Action.ACCEPT
        and state in {Status.ACCEPTED, Status.IN_PROGRESS, Status.ON_HOLD, Status.COMPLETED}
        else ReferralErrorCode.INVALID_TRANSITION
    )
    assert refused.value.code == expected
    assert Referral.objects.get(pk=referral.pk).status == state


def test_the_whole_path_with_information_on_hold_and_an_outcome(requester, consultant, case):
    referral = advance(refer(requester, case, consultant), Status.ON_HOLD, requester, consultant)
    services.give_information(requester, referral.public_id, answer="Troponin lần 2 tăng gấp đôi.")
    asked = InformationRequest.objects.get(referral=referral)
    assert asked.answer.startswith("Troponin") and asked.answered_at is not None
    referral = complete(consultant, referral)
    assert referral.completed_at is not None and referral.transfer_advised is False
    closed = services.close_referral(
        requester, referral.public_id, transfer_avoided=True, plan_changed=False, usefulness=4
    )
    assert (closed.transfer_avoided, closed.plan_changed, closed.usefulness) == (True, False, 4)
    with pytest.raises(ServiceError) as again:
        services.close_referral(
            requester, referral.public_id, transfer_avoided=True, plan_changed=False, usefulness=4
        )
    assert again.value.code == ReferralErrorCode.ALREADY_CLOSED
    kinds = set(Notification.objects.filter(referral=referral).values_list("kind", flat=True))
    assert {
        "referral_requested",
        "referral_accepted",
        "referral_information_requested",
        "referral_information_given",
        "referral_completed",
    } <= kinds


def test_a_step_by_the_wrong_side_is_refused(requester, consultant, case):
    referral = refer(requester, case, consultant)
    with pytest.raises(ServiceError) as refused:
        services.accept_referral(requester, referral.public_id)
    assert refused.value.code == ReferralErrorCode.NOT_YOUR_REFERRAL
    stranger = doctor_with_specialty(Tier.CENTRAL)
    with pytest.raises(ServiceError) as hidden:
        services.cancel_referral(stranger, referral.public_id)
    assert hidden.value.code == ReferralErrorCode.NOT_FOUND


def test_an_incomplete_answer_is_refused_field_by_field(requester, consultant, case):
    referral = advance(refer(requester, case, consultant), Status.IN_PROGRESS, requester, consultant)
    with pytest.raises(ServiceError) as refused:
        services.complete_referral(
            consultant,
            referral.public_id,
            assessment="Ổn.",
            recommendation="",
            transfer_advised=None,
            follow_up_plan="",
        )
    fields = {(error.code, error.field) for error in refused.value.errors}
    assert fields == {
        (ReferralErrorCode.ANSWER_INCOMPLETE, "recommendation"),
        (ReferralErrorCode.ANSWER_INCOMPLETE, "transferAdvised"),
        (ReferralErrorCode.ANSWER_INCOMPLETE, "followUpPlan"),
    }
    assert Referral.objects.get(pk=referral.pk).status == Status.IN_PROGRESS


def test_emergencies_are_refused_with_guidance(requester, consultant, case):
    with pytest.raises(ServiceError) as refused:
        refer(requester, case, consultant, urgency="emergency")
    assert refused.value.code == ReferralErrorCode.EMERGENCY_NOT_REFERRAL
    assert "115" in refused.value.errors[0].message
    assert not Referral.objects.exists()


def test_patient_identifiers_in_free_text_are_refused_with_their_spans(requester, consultant, case):
    with pytest.raises(ServiceError) as refused:
        refer(
            requester,
            case,
            consultant,
            question="Bệnh nhân Nguyễn Văn An, số điện thoại 0912345678, cần tư vấn.",
            done_so_far="Đã gọi 0987654321.",
        )
    by_field = {error.field: error for error in refused.value.errors}
    assert set(by_field) == {"question", "doneSoFar"}
    assert all(error.code == "PATIENT_IDENTIFIER" and error.spans for error in by_field.values())
    assert any(span.text == "0912345678" for span in by_field["question"].spans)
    assert not Referral.objects.exists()


def test_only_upper_tiers_are_referred_to(requester, case):
    peer = doctor_with_specialty(Tier.DISTRICT)
    with pytest.raises(ServiceError) as refused:
        refer(requester, case, peer)
    assert refused.value.code == ReferralErrorCode.TIER_NOT_HIGHER


def test_unverified_doctors_neither_request_nor_answer(consultant, case, requester):
    unverified = factories.doctor(status="pending", tier=Tier.COMMUNE)
    with pytest.raises(ServiceError) as refused:
        services.request_referral(unverified, case_id=case.pk, urgency="routine", question="?")
    assert refused.value.code == "NOT_VERIFIED"


def test_the_active_mentor_is_the_default_and_the_referral_counts_as_mentoring(requester, case):
    mentor = doctor_with_specialty(Tier.CENTRAL)
    mentorship = factories.mentorship(mentor, requester)
    referral = refer(requester, case)
    assert referral.target_doctor == mentor and referral.target_facility == mentor.facility
    assert MentorshipActivity.objects.filter(
        mentorship=mentorship, kind="referral", subject_id=str(referral.pk)
    ).exists()


def test_without_a_mentor_a_target_is_required(requester, case):
    with pytest.raises(ServiceError) as refused:
        refer(requester, case)
    assert refused.value.code == ReferralErrorCode.NO_DEFAULT_TARGET


def test_a_queue_needs_a_network_visible_case_and_consultants(requester, consultant):
    named_only = published_case(requester, visibility="named", audience_ids=[consultant.public_id])
    with pytest.raises(ServiceError) as refused:
        refer(requester, named_only, facility_id=consultant.facility_id)
    assert refused.value.code == ReferralErrorCode.CASE_NOT_VISIBLE
    empty = factories.facility(Tier.CENTRAL)
    with pytest.raises(ServiceError) as nobody:
        refer(requester, published_case(requester), facility_id=empty.pk)
    assert nobody.value.code == ReferralErrorCode.NO_CONSULTANTS


def test_due_times_follow_the_targets(requester, consultant, case):
    urgent = refer(requester, case, consultant, urgency="urgent")
    assert (urgent.response_due_at - urgent.created_at).total_seconds() == 4 * 3600
    routine = refer(requester, case, consultant)
    assert (routine.response_due_at - routine.created_at).total_seconds() == 48 * 3600
    assert routine.completion_due_at > routine.response_due_at


def test_every_later_free_text_passes_the_guard_and_the_limits(requester, consultant, case):
    referral = refer(requester, case, consultant)
    with pytest.raises(ServiceError) as refused:
        services.reject_referral(consultant, referral.public_id, reason="Gọi người nhà số 0912345678.")
    assert [(e.code, e.field) for e in refused.value.errors] == [("PATIENT_IDENTIFIER", "reason")]
    referral = advance(referral, Status.IN_PROGRESS, requester, consultant)
    with pytest.raises(ServiceError) as too_long:
        services.request_information(consultant, referral.public_id, question="x" * 4001)
    assert [(e.code, e.field) for e in too_long.value.errors] == [(ReferralErrorCode.INVALID, "question")]
    services.request_information(consultant, referral.public_id, question="Kết quả men tim?")
    with pytest.raises(ServiceError) as identified:
        services.give_information(
            requester, referral.public_id, answer="Bệnh nhân Nguyễn Văn An, 0987654321."
        )
    assert {e.field for e in identified.value.errors} == {"answer"}
    assert Referral.objects.get(pk=referral.pk).status == Status.ON_HOLD


def test_a_named_doctor_without_a_facility_any_more_can_still_accept(requester, consultant, case):
    """The answering facility stays the one the referral went to (it may not be empty)."""
    referral = refer(requester, case, consultant)
    went_to = referral.target_facility_id
    type(consultant).objects.filter(pk=consultant.pk).update(facility=None)
    consultant.refresh_from_db()

    accepted = services.accept_referral(consultant, referral.public_id)

    assert accepted.status == Referral.Status.ACCEPTED
    assert Referral.objects.get(pk=referral.pk).target_facility_id == went_to


ANSWER = {
    "assessment": "Hội chứng vành cấp không ST chênh lên, nguy cơ trung bình.",
    "recommendation": "Aspirin, clopidogrel, statin liều cao.",
    "follow_up_plan": "Tái khám sau 1 tuần.",
}


@pytest.mark.parametrize(
    "field,name",
    [("assessment", "assessment"), ("recommendation", "recommendation"), ("follow_up_plan", "followUpPlan")],
)
def test_an_answer_naming_the_patient_is_refused_with_its_spans(requester, consultant, case, field, name):
    referral = advance(refer(requester, case, consultant), Status.IN_PROGRESS, requester, consultant)
    answer = {**ANSWER, field: f"{ANSWER[field]} Gọi con bệnh nhân số 0912345678."}

    with pytest.raises(ServiceError) as refused:
        services.complete_referral(consultant, referral.public_id, transfer_advised=False, **answer)

    [error] = refused.value.errors
    assert (error.code, error.field) == ("PATIENT_IDENTIFIER", name)
    assert [span.text for span in error.spans] == ["0912345678"]
    unchanged = Referral.objects.get(pk=referral.pk)
    assert unchanged.status == Status.IN_PROGRESS and unchanged.completed_at is None
    assert (unchanged.assessment, unchanged.recommendation, unchanged.follow_up_plan) == ("", "", "")
    assert not ConsultationRecord.objects.filter(referral=referral).exists()
    assert not AuditEvent.objects.filter(action="referral.complete", target_id=str(referral.pk)).exists()
    assert not Notification.objects.filter(referral=referral, kind="referral_completed").exists()
