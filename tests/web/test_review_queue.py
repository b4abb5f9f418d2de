"""Verifiers review pending licences, and revoke verifications, on web pages that call the same
services as GraphQL."""

from __future__ import annotations

import pytest
from django.core import mail

from accounts import selectors
from accounts.errors import AccountErrorCode
from accounts.models import LicenceSubmission, VerificationStatus
from audit.models import AuditEvent
from common.errors import ServiceError
from facilities.models import Tier
from tests import factories
from tests.web.conftest import CLIENT_IP

pytestmark = pytest.mark.django_db

QUEUE = "/doctors/review/"
VERIFIED = "/doctors/review/verified/"


def pending_submission(**doctor_fields) -> LicenceSubmission:
    return factories.doctor(status=VerificationStatus.PENDING, **doctor_fields).licence_submissions.get()


@pytest.mark.parametrize("url", [QUEUE, VERIFIED, "/doctors/review/registry/"])
def test_verifier_pages_need_a_signed_in_verifier(client, signed_in, verified_doctor, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")

    assert signed_in(verified_doctor).get(url).status_code == 403


@pytest.mark.parametrize("rows", [1, 20])
def test_the_queue_lists_pending_submissions_in_constant_queries(
    signed_in, verifier, django_assert_max_num_queries, rows
):
    submissions = [pending_submission(tier=Tier.COMMUNE) for _ in range(rows)]
    factories.doctor()  # verified: not in the queue
    client = signed_in(verifier)

    # Session, user, the verifier's two permission lookups, count, rows, specialties, and the
    # menu's look for a staff member's audit grant.
    with django_assert_max_num_queries(9):
        response = client.get(QUEUE)

    assert [row.pk for row in response.context["page"]] == [submission.pk for submission in submissions]
    html = response.content.decode()
    assert submissions[0].licence_number in html
    assert submissions[0].doctor.facility.name in html


@pytest.mark.parametrize("rows", [1, 20])
def test_the_verified_list_is_searchable_in_constant_queries(
    signed_in, verifier, django_assert_max_num_queries, rows
):
    doctors = [factories.doctor() for _ in range(rows)]
    pending_submission()
    client = signed_in(verifier)

    # Session, user, the verifier's two permission lookups, count, rows, and the menu's look
    # for a staff member's audit grant.
    with django_assert_max_num_queries(8):
        response = client.get(VERIFIED)

    assert {row.doctor_id for row in response.context["page"]} == {doctor.pk for doctor in doctors}
    found = client.get(VERIFIED, {"q": doctors[-1].email})
    assert [row.doctor_id for row in found.context["page"]] == [doctors[-1].pk]


def test_verified_doctors_are_found_by_part_of_name_email_or_licence_number(verifier):
    lan = factories.doctor(full_name="Phạm Thị Lan", email="lan.pham@bvbachmai.vn")
    duc = factories.doctor(full_name="Nguyễn Văn Đức")
    duc_submission = duc.licence_submissions.get()
    pending_submission(full_name="Phạm Thị Lan Anh")  # pending: never listed

    def found(search: str) -> list[int]:
        return [row.doctor_id for row in selectors.verified_doctors_for_review(verifier, search)]

    assert set(found("")) == {lan.pk, duc.pk}
    assert found("thị lan") == [lan.pk]
    assert found("  BVBACHMAI ") == [lan.pk]
    assert found(duc_submission.licence_number[:6]) == [duc.pk]
    assert found("Trần") == []


@pytest.mark.parametrize(
    ("person", "code"),
    [
        (lambda: factories.doctor(), AccountErrorCode.PERMISSION_DENIED),
        (lambda: factories.verifier(totp=False), AccountErrorCode.MFA_REQUIRED),
    ],
)
def test_only_verifiers_list_verified_doctors(db, person, code):
    with pytest.raises(ServiceError) as error:
        selectors.verified_doctors_for_review(person())
    assert error.value.code == code


def test_approving_verifies_the_doctor_and_records_who_and_where(signed_in, verifier):
    submission = pending_submission()

    response = signed_in(verifier).post(f"{QUEUE}{submission.pk}/decision/", {"decision": "approve"})

    assert response.status_code == 302
    assert response["Location"] == QUEUE
    submission.refresh_from_db()
    submission.doctor.refresh_from_db()
    assert submission.status == submission.doctor.verification_status == VerificationStatus.VERIFIED
    event = AuditEvent.objects.get(action="licence.verified")
    assert (event.actor_id, event.target_id, event.ip_address) == (verifier.pk, str(submission.pk), CLIENT_IP)


def test_rejecting_needs_a_reason(signed_in, verifier, django_capture_on_commit_callbacks):
    submission = pending_submission()
    client = signed_in(verifier)

    refused = client.post(
        f"{QUEUE}{submission.pk}/decision/", {"decision": "reject", "reason": " "}, follow=True
    )

    assert "Give the reason for rejecting." in refused.content.decode()
    submission.refresh_from_db()
    assert submission.status == VerificationStatus.PENDING

    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"{QUEUE}{submission.pk}/decision/", {"decision": "reject", "reason": "Số không khớp"})

    submission.refresh_from_db()
    assert (submission.status, submission.decision_reason) == (VerificationStatus.REJECTED, "Số không khớp")
    assert mail.outbox[0].to == [submission.doctor.email]
    assert AuditEvent.objects.get(action="licence.rejected").ip_address == CLIENT_IP


def test_a_verifier_cannot_review_their_own_licence(signed_in):
    verifier = factories.verifier()
    own = factories.licence_submission(verifier)
    verifier.verification_status = VerificationStatus.PENDING
    verifier.save()

    response = signed_in(verifier).post(f"{QUEUE}{own.pk}/decision/", {"decision": "approve"}, follow=True)

    assert "You cannot review your own licence." in response.content.decode()
    own.refresh_from_db()
    assert own.status == VerificationStatus.PENDING


def test_decisions_are_posted_not_fetched(signed_in, verifier):
    submission = pending_submission()
    assert signed_in(verifier).get(f"{QUEUE}{submission.pk}/decision/").status_code == 405


def test_revoking_needs_a_reason_then_withdraws_the_verification(signed_in, verifier, verified_doctor):
    client = signed_in(verifier)
    url = f"{VERIFIED}{verified_doctor.pk}/revoke/"

    refused = client.post(url, {"reason": ""}, follow=True)
    assert "Give the reason for revoking." in refused.content.decode()
    verified_doctor.refresh_from_db()
    assert verified_doctor.verification_status == VerificationStatus.VERIFIED

    response = client.post(url, {"reason": "Giấy phép bị thu hồi"})

    assert response["Location"] == VERIFIED
    verified_doctor.refresh_from_db()
    assert verified_doctor.verification_status == VerificationStatus.REVOKED
    event = AuditEvent.objects.get(action="licence.revoked")
    assert (event.actor_id, event.ip_address, event.details["reason"]) == (
        verifier.pk,
        CLIENT_IP,
        "Giấy phép bị thu hồi",
    )
