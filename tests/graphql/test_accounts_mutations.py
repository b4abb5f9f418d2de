"""updateProfile, reviewVerification, revokeVerification through /graphql/."""

from __future__ import annotations

import pytest

from accounts.models import LicenceSubmission, VerificationStatus
from audit.models import AuditEvent
from tests import factories
from tests.graphql.conftest import data_of, gid

# --- updateProfile -------------------------------------------------------------------------------

UPDATE_PROFILE = """mutation ($input: UpdateProfileInput!) { updateProfile(input: $input) {
    doctor { fullName title position phone bio facility { name } specialties { code } }
    errors { field code message }
} }"""


def update_profile(graphql, **values) -> dict:
    return data_of(graphql(UPDATE_PROFILE, {"input": values}))["updateProfile"]


def codes(payload) -> list[tuple[str | None, str]]:
    return [(error["field"], error["code"]) for error in payload["errors"]]


def test_a_doctor_updates_their_profile(db, graphql):
    doctor = factories.doctor(status=VerificationStatus.UNVERIFIED)
    facility = factories.facility(name="Bệnh viện Chợ Rẫy")
    cardiology = factories.specialty()
    graphql.login(doctor)
    payload = update_profile(
        graphql,
        fullName="  Võ Thanh Bình ",
        title="BS.CKI",
        phone="+84 912 000 111",
        bio="Tim mạch can thiệp.",
        facilityId=gid("Facility", facility.pk),
        specialtyIds=[gid("Specialty", cardiology.pk)],
    )
    assert payload == {
        "doctor": {
            "fullName": "Võ Thanh Bình",
            "title": "BS.CKI",
            "position": "",
            "phone": "+84 912 000 111",
            "bio": "Tim mạch can thiệp.",
            "facility": {"name": "Bệnh viện Chợ Rẫy"},
            "specialties": [{"code": "cardiology"}],
        },
        "errors": [],
    }
    doctor.refresh_from_db()
    assert (doctor.full_name, doctor.facility_id) == ("Võ Thanh Bình", facility.pk)


def test_fields_left_out_are_unchanged(db, graphql):
    doctor = factories.doctor(full_name="Đặng Văn Hải", title="ThS.BS")
    graphql.login(doctor)
    payload = update_profile(graphql, position="Phó giám đốc")
    assert payload["doctor"]["fullName"] == "Đặng Văn Hải"
    assert payload["doctor"]["title"] == "ThS.BS"
    assert payload["doctor"]["position"] == "Phó giám đốc"


def test_invalid_values_are_refused_field_by_field_and_nothing_changes(db, graphql):
    doctor = factories.doctor(full_name="Đặng Văn Hải")
    graphql.login(doctor)
    payload = update_profile(
        graphql,
        fullName=" ",
        phone="call me",
        bio="x" * 1001,
        facilityId=gid("Facility", 999999),
        specialtyIds=[gid("Specialty", 999999)],
    )
    assert payload["doctor"] is None
    assert sorted(codes(payload)) == [
        ("bio", "INVALID"),
        ("facilityId", "NOT_FOUND"),
        ("fullName", "REQUIRED"),
        ("phone", "INVALID"),
        ("specialtyIds", "NOT_FOUND"),
    ]
    doctor.refresh_from_db()
    assert doctor.full_name == "Đặng Văn Hải"
    assert doctor.phone == ""


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("facilityId", "garbage"),
        ("facilityId", gid("Specialty", 1)),
        ("facilityId", gid("Facility", "abc")),
        ("specialtyIds", [gid("Facility", 1)]),
    ],
)
def test_malformed_or_wrong_type_ids_are_invalid_on_their_field(db, graphql, field, value):
    graphql.login(factories.doctor())
    payload = update_profile(graphql, **{field: value})
    assert codes(payload) == [(field, "INVALID")]


def test_an_inactive_facility_cannot_be_chosen(db, graphql):
    closed = factories.facility(is_active=False)
    graphql.login(factories.doctor())
    payload = update_profile(graphql, facilityId=gid("Facility", closed.pk))
    assert codes(payload) == [("facilityId", "NOT_FOUND")]


def test_anonymous_visitors_cannot_update_a_profile(db, graphql):
    assert codes(update_profile(graphql, fullName="Ai đó")) == [(None, "NOT_AUTHENTICATED")]


# --- reviewVerification --------------------------------------------------------------------------

REVIEW = """mutation ($id: ID!, $approve: Boolean!, $reason: String) {
    reviewVerification(submissionId: $id, approve: $approve, reason: $reason) {
        submission { status decisionReason doctor { verificationStatus } }
        errors { field code }
    }
}"""


def review(graphql, submission_id: str, approve: bool, reason: str | None = None) -> dict:
    variables = {"id": submission_id, "approve": approve, "reason": reason}
    return data_of(graphql(REVIEW, variables))["reviewVerification"]


def pending_submission() -> LicenceSubmission:
    return factories.doctor(status=VerificationStatus.PENDING).licence_submissions.get()


def test_a_verifier_approves_a_pending_licence(db, graphql):
    submission = pending_submission()
    verifier = factories.verifier()
    graphql.login(verifier)
    payload = review(graphql, gid("LicenceSubmission", submission.pk), approve=True)
    assert payload == {
        "submission": {
            "status": "VERIFIED",
            "decisionReason": "",
            "doctor": {"verificationStatus": "VERIFIED"},
        },
        "errors": [],
    }
    assert AuditEvent.objects.filter(action="licence.verified", actor=verifier).exists()


def test_a_rejection_needs_a_reason(db, graphql):
    submission = pending_submission()
    graphql.login(factories.verifier())
    submission_id = gid("LicenceSubmission", submission.pk)

    for reason in (None, "  "):
        payload = review(graphql, submission_id, approve=False, reason=reason)
        assert payload == {"submission": None, "errors": [{"field": "reason", "code": "REASON_REQUIRED"}]}
    submission.refresh_from_db()
    assert submission.status == VerificationStatus.PENDING

    payload = review(graphql, submission_id, approve=False, reason="Ảnh chụp mờ, không đọc được số.")
    assert payload["submission"]["status"] == "REJECTED"
    assert payload["submission"]["decisionReason"] == "Ảnh chụp mờ, không đọc được số."
    assert payload["submission"]["doctor"]["verificationStatus"] == "REJECTED"


def test_a_verifier_cannot_review_their_own_licence(db, graphql):
    verifier = factories.verifier()
    verifier.verification_status = VerificationStatus.PENDING
    verifier.save(update_fields=["verification_status"])
    own = factories.licence_submission(verifier)
    graphql.login(verifier)
    payload = review(graphql, gid("LicenceSubmission", own.pk), approve=True)
    assert [error["code"] for error in payload["errors"]] == ["SELF_REVIEW"]
    own.refresh_from_db()
    assert own.status == VerificationStatus.PENDING


@pytest.mark.parametrize(
    ("who", "code"), [("doctor", "PERMISSION_DENIED"), ("anonymous", "NOT_AUTHENTICATED")]
)
def test_only_verifiers_review(db, graphql, who, code):
    submission = pending_submission()
    if who == "doctor":
        graphql.login(factories.doctor())
    payload = review(graphql, gid("LicenceSubmission", submission.pk), approve=True)
    assert payload == {"submission": None, "errors": [{"field": None, "code": code}]}
    submission.refresh_from_db()
    assert submission.status == VerificationStatus.PENDING


@pytest.mark.parametrize(
    ("submission_id", "code"),
    [
        ("not-an-id", "INVALID"),
        (gid("Doctor", "00000000-0000-0000-0000-000000000000"), "INVALID"),
        (gid("LicenceSubmission", "x"), "INVALID"),
        (gid("LicenceSubmission", 999999), "NOT_FOUND"),
    ],
)
def test_a_bad_submission_id_is_refused_on_its_field(db, graphql, submission_id, code):
    graphql.login(factories.verifier())
    payload = review(graphql, submission_id, approve=True)
    assert payload == {"submission": None, "errors": [{"field": "submissionId", "code": code}]}


def test_a_decided_submission_cannot_be_reviewed_again(db, graphql):
    submission = pending_submission()
    graphql.login(factories.verifier())
    submission_id = gid("LicenceSubmission", submission.pk)
    assert review(graphql, submission_id, approve=True)["errors"] == []
    assert review(graphql, submission_id, approve=False, reason="Nhầm")["errors"] == [
        {"field": None, "code": "INVALID_TRANSITION"}
    ]


# --- revokeVerification --------------------------------------------------------------------------

REVOKE = """mutation ($id: ID!, $reason: String!) { revokeVerification(doctorId: $id, reason: $reason) {
    submission { status decisionReason }
    doctor { verificationStatus }
    errors { field code }
} }"""


def revoke(
    graphql, doctor_id: str, reason: str = "Giấy phép bị thu hồi theo quyết định của Sở Y tế."
) -> dict:
    return data_of(graphql(REVOKE, {"id": doctor_id, "reason": reason}))["revokeVerification"]


def test_a_verifier_revokes_a_verified_doctor(db, graphql):
    doctor = factories.doctor()
    graphql.login(factories.verifier())
    payload = revoke(graphql, gid("Doctor", doctor.public_id))
    assert payload == {
        "submission": {
            "status": "REVOKED",
            "decisionReason": "Giấy phép bị thu hồi theo quyết định của Sở Y tế.",
        },
        "doctor": {"verificationStatus": "REVOKED"},
        "errors": [],
    }
    doctor.refresh_from_db()
    assert doctor.verification_status == VerificationStatus.REVOKED


def test_a_revocation_needs_a_reason(db, graphql):
    doctor = factories.doctor()
    graphql.login(factories.verifier())
    payload = revoke(graphql, gid("Doctor", doctor.public_id), reason=" ")
    assert payload["errors"] == [{"field": "reason", "code": "REASON_REQUIRED"}]
    doctor.refresh_from_db()
    assert doctor.verification_status == VerificationStatus.VERIFIED


def test_only_a_verified_doctor_can_be_revoked(db, graphql):
    doctor = factories.doctor(status=VerificationStatus.PENDING)
    graphql.login(factories.verifier())
    assert revoke(graphql, gid("Doctor", doctor.public_id))["errors"] == [
        {"field": "doctorId", "code": "INVALID_TRANSITION"}
    ]


def test_a_doctor_cannot_revoke_another(db, graphql):
    doctor = factories.doctor()
    graphql.login(factories.doctor())
    assert revoke(graphql, gid("Doctor", doctor.public_id))["errors"] == [
        {"field": None, "code": "PERMISSION_DENIED"}
    ]
    doctor.refresh_from_db()
    assert doctor.verification_status == VerificationStatus.VERIFIED


@pytest.mark.parametrize(
    ("doctor_id", "code"),
    [
        ("%%%", "INVALID"),
        (gid("Facility", 1), "INVALID"),
        (gid("Doctor", 1), "INVALID"),
        (gid("Doctor", "6f1c2d9e-1111-4a4a-9b9b-000000000000"), "NOT_FOUND"),
    ],
)
def test_a_bad_doctor_id_is_refused_on_its_field(db, graphql, doctor_id, code):
    graphql.login(factories.verifier())
    assert revoke(graphql, doctor_id)["errors"] == [{"field": "doctorId", "code": code}]
