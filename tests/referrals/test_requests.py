"""Requesting a referral: each refusal has its stable code and stores nothing (no referral, no
audit event, no alert); the preferred response time and the ICD-10 codes are checked and stored
as given (the codes normalised)."""

from __future__ import annotations

import pytest

from audit.models import AuditEvent
from common.errors import ServiceError
from facilities.models import Tier
from network.models import Notification
from referrals.errors import ReferralErrorCode
from referrals.models import Referral
from referrals.services.referrals import MAX_PREFERRED_RESPONSE_HOURS
from tests.referrals.conftest import doctor_with_specialty, draft_case, published_case, refer

pytestmark = pytest.mark.django_db


def assert_nothing_stored() -> None:
    assert not Referral.objects.exists()
    assert not AuditEvent.objects.filter(action="referral.requested").exists()
    assert not Notification.objects.filter(referral__isnull=False).exists()


def refusal(raised: pytest.ExceptionInfo[ServiceError]) -> list[tuple[str, str | None]]:
    return [(error.code, error.field) for error in raised.value.errors]


# --- Refusals ------------------------------------------------------------------------------------


def test_another_doctors_case_cannot_be_referred(requester, consultant):
    colleague = doctor_with_specialty(Tier.DISTRICT)
    their_case = published_case(colleague)  # shared with the network: the requester may read it

    with pytest.raises(ServiceError) as refused:
        refer(requester, their_case, consultant)

    assert refusal(refused) == [(ReferralErrorCode.NOT_FOUND, "caseId")]
    assert_nothing_stored()


def test_an_unpublished_case_must_be_published_first(requester, consultant):
    draft = draft_case(requester)

    with pytest.raises(ServiceError) as refused:
        refer(requester, draft, consultant)

    assert refusal(refused) == [(ReferralErrorCode.CASE_NOT_PUBLISHED, "caseId")]
    assert_nothing_stored()


def test_a_doctor_cannot_refer_to_themselves(requester, case):
    with pytest.raises(ServiceError) as refused:
        refer(requester, case, doctor_id=requester.pk)

    assert refusal(refused) == [(ReferralErrorCode.SELF_REFERRAL, "doctorId")]
    assert_nothing_stored()


def test_a_doctor_and_a_facility_together_are_ambiguous(requester, consultant, case):
    with pytest.raises(ServiceError) as refused:
        refer(requester, case, doctor_id=consultant.pk, facility_id=consultant.facility_id)

    assert refusal(refused) == [(ReferralErrorCode.TARGET_AMBIGUOUS, "facilityId")]
    assert_nothing_stored()


def test_a_requester_without_a_facility_is_asked_to_set_one(requester, consultant, case):
    type(requester).objects.filter(pk=requester.pk).update(facility=None)  # left their hospital
    requester.refresh_from_db()

    with pytest.raises(ServiceError) as refused:
        refer(requester, case, consultant)

    assert [error.code for error in refused.value.errors] == [ReferralErrorCode.NO_FACILITY]
    assert_nothing_stored()


# --- The preferred response time ------------------------------------------------------------------


@pytest.mark.parametrize("hours", [1, 12, MAX_PREFERRED_RESPONSE_HOURS])
def test_the_preferred_response_time_is_stored(requester, consultant, case, hours):
    referral = refer(requester, case, consultant, preferred_response_hours=hours)

    assert Referral.objects.get(pk=referral.pk).preferred_response_hours == hours


def test_no_preferred_response_time_is_none(requester, consultant, case):
    assert refer(requester, case, consultant).preferred_response_hours is None


@pytest.mark.parametrize("hours", [0, -3, MAX_PREFERRED_RESPONSE_HOURS + 1, 10**9])
def test_a_preferred_response_time_out_of_range_is_refused(requester, consultant, case, hours):
    with pytest.raises(ServiceError) as refused:
        refer(requester, case, consultant, preferred_response_hours=hours)

    assert refusal(refused) == [(ReferralErrorCode.INVALID, "preferredResponseHours")]
    assert_nothing_stored()


# --- ICD-10 codes ----------------------------------------------------------------------------------


def test_icd10_codes_are_stored_trimmed_upper_cased_and_once(requester, consultant, case):
    referral = refer(requester, case, consultant, icd10_codes=[" i21.4 ", "E11", "e11", "I10", " "])

    assert Referral.objects.get(pk=referral.pk).icd10_codes == ["I21.4", "E11", "I10"]


def test_without_codes_the_referral_takes_the_cases(requester, consultant, case):
    assert refer(requester, case, consultant).icd10_codes == ["I20.0"]


@pytest.mark.parametrize("malformed", ["I2", "chest pain", "21.4", "I21.456", "I21-4"])
def test_a_malformed_icd10_code_is_refused_by_name(requester, consultant, case, malformed):
    with pytest.raises(ServiceError) as refused:
        refer(requester, case, consultant, icd10_codes=["I21.4", malformed])

    assert refusal(refused) == [(ReferralErrorCode.INVALID, "icd10Codes")]
    assert malformed.upper() in refused.value.errors[0].message
    assert_nothing_stored()


def test_more_than_ten_icd10_codes_are_refused(requester, consultant, case):
    eleven = [f"I{n:02d}" for n in range(10, 21)]

    with pytest.raises(ServiceError) as refused:
        refer(requester, case, consultant, icd10_codes=eleven)

    assert refusal(refused) == [(ReferralErrorCode.INVALID, "icd10Codes")]
    assert_nothing_stored()
