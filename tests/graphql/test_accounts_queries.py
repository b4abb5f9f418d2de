"""Who sees which doctor, which private detail, and the verifiers' review queue."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import VerificationStatus
from tests import factories
from tests.graphql.conftest import data_of, error_codes, gid

DOCTOR = "query ($id: ID!) { doctor(id: $id) { fullName } }"
PRIVATE = "query ($id: ID!) { doctor(id: $id) { fullName email phone licenceExpiresOn } }"


def doctor_id(user) -> str:
    return gid("Doctor", user.public_id)


def visible(graphql, user) -> bool:
    return data_of(graphql(DOCTOR, {"id": doctor_id(user)}))["doctor"] is not None


# --- me ----------------------------------------------------------------------------------------


def test_me_is_null_for_anonymous_visitors(db, graphql):
    assert data_of(graphql("{ me { id } }")) == {"me": None}


def test_me_shows_the_whole_own_profile(db, graphql):
    cardiology = factories.specialty()
    facility = factories.facility(name="Bệnh viện Bạch Mai")
    me = factories.doctor(
        full_name="Nguyễn Thị Lan",
        title="TS.BS",
        position="Trưởng khoa",
        phone="0912 345 678",
        facility=facility,
    )
    me.specialties.add(cardiology)
    graphql.login(me)
    data = data_of(
        graphql(
            """{ me { id fullName title position phone email bio avatarUrl verificationStatus
                 licenceExpiresOn facility { name tier province { name } } specialties { code name } } }"""
        )
    )
    assert data["me"] == {
        "id": doctor_id(me),
        "fullName": "Nguyễn Thị Lan",
        "title": "TS.BS",
        "position": "Trưởng khoa",
        "phone": "0912 345 678",
        "email": me.email,
        "bio": "",
        "avatarUrl": None,
        "verificationStatus": "VERIFIED",
        "licenceExpiresOn": me.licence_expires_on.isoformat(),
        "facility": {
            "name": "Bệnh viện Bạch Mai",
            "tier": "CENTRAL",
            "province": {"name": "Thành phố Hà Nội"},
        },
        "specialties": [{"code": "cardiology", "name": "Tim mạch"}],
    }


def test_an_unverified_user_still_sees_their_own_profile(db, graphql):
    me = factories.doctor(status=VerificationStatus.UNVERIFIED)
    graphql.login(me)
    assert data_of(graphql("{ me { verificationStatus } }")) == {"me": {"verificationStatus": "UNVERIFIED"}}
    assert visible(graphql, me)


def test_the_global_id_carries_the_public_uuid_not_the_sequential_key(db, graphql, verified_doctor):
    graphql.login(verified_doctor)
    assert visible(graphql, verified_doctor)
    result = graphql(DOCTOR, {"id": gid("Doctor", verified_doctor.pk)})
    assert error_codes(result) == ["INVALID"]


# --- doctor(id) visibility -----------------------------------------------------------------------


def test_anonymous_visitors_see_no_doctor(db, graphql, verified_doctor):
    assert not visible(graphql, verified_doctor)


def test_signed_in_users_see_only_verified_active_doctors(db, graphql):
    graphql.login(factories.doctor(status=VerificationStatus.UNVERIFIED))
    assert visible(graphql, factories.doctor())
    for status in (
        VerificationStatus.UNVERIFIED,
        VerificationStatus.PENDING,
        VerificationStatus.REJECTED,
        VerificationStatus.REVOKED,
        VerificationStatus.EXPIRED,
    ):
        assert not visible(graphql, factories.doctor(status=status)), status
    assert not visible(graphql, factories.doctor(is_active=False))


def test_a_verified_doctor_whose_licence_lapsed_is_hidden_before_the_expiry_job_runs(db, graphql):
    lapsed = factories.doctor()
    lapsed.licence_expires_on = timezone.localdate() - timedelta(days=1)
    lapsed.save(update_fields=["licence_expires_on"])
    graphql.login(factories.doctor())
    assert not visible(graphql, lapsed)


def test_verifiers_see_every_doctor(db, graphql):
    graphql.login(factories.verifier())
    assert visible(graphql, factories.doctor(status=VerificationStatus.PENDING))
    assert visible(graphql, factories.doctor(is_active=False))


def test_node_applies_the_same_visibility(db, graphql):
    hidden = factories.doctor(status=VerificationStatus.PENDING)
    shown = factories.doctor()
    graphql.login(factories.doctor())
    query = "query ($id: ID!) { node(id: $id) { id ... on Doctor { fullName } } }"
    assert data_of(graphql(query, {"id": doctor_id(hidden)})) == {"node": None}
    assert data_of(graphql(query, {"id": doctor_id(shown)}))["node"]["fullName"] == shown.full_name


def test_node_returns_facilities_and_null_for_unknown_types(db, graphql):
    facility = factories.facility(name="Trạm y tế xã Phú Lộc")
    query = "query ($id: ID!) { node(id: $id) { ... on Facility { name } } }"
    assert data_of(graphql(query, {"id": gid("Facility", facility.pk)})) == {
        "node": {"name": "Trạm y tế xã Phú Lộc"}
    }
    assert data_of(graphql(query, {"id": gid("Facility", 999999)})) == {"node": None}
    assert data_of(graphql(query, {"id": gid("Nonsense", 1)})) == {"node": None}
    assert data_of(graphql(query, {"id": gid("Query", 1)})) == {"node": None}


@pytest.mark.parametrize("bad_id", ["", "nonsense", "RmFjaWxpdHk6MQ=="])  # the last is Facility:1
def test_doctor_with_a_malformed_or_wrong_type_id_is_an_invalid_error(db, graphql, bad_id):
    graphql.login(factories.doctor())
    result = graphql(DOCTOR, {"id": bad_id})
    assert error_codes(result) == ["INVALID"]
    assert result["data"] == {"doctor": None}


# --- private details -----------------------------------------------------------------------------


def test_other_doctors_do_not_see_private_details(db, graphql):
    doctor = factories.doctor(phone="0987 654 321")
    graphql.login(factories.doctor())
    data = data_of(graphql(PRIVATE, {"id": doctor_id(doctor)}))
    assert data["doctor"] == {
        "fullName": doctor.full_name,
        "email": None,
        "phone": None,
        "licenceExpiresOn": None,
    }


@pytest.mark.parametrize("who", ["self", "verifier"])
def test_the_doctor_and_verifiers_see_private_details(db, graphql, who):
    doctor = factories.doctor(phone="0987 654 321")
    graphql.login(doctor if who == "self" else factories.verifier())
    data = data_of(graphql(PRIVATE, {"id": doctor_id(doctor)}))
    assert data["doctor"] == {
        "fullName": doctor.full_name,
        "email": doctor.email,
        "phone": "0987 654 321",
        "licenceExpiresOn": doctor.licence_expires_on.isoformat(),
    }


# --- the review queue ----------------------------------------------------------------------------

QUEUE = """{ pendingLicenceSubmissions(first: 10) {
    totalCount
    edges { node { id licenceNumber kind status doctor { fullName facility { name } } } }
} }"""


def test_the_review_queue_lists_pending_submissions_oldest_first(db, graphql):
    now = timezone.now()
    newer = factories.licence_submission(
        factories.doctor(status=VerificationStatus.UNVERIFIED, full_name="Bác sĩ Mới"), submitted_at=now
    )
    older = factories.licence_submission(
        factories.doctor(status=VerificationStatus.UNVERIFIED, full_name="Bác sĩ Cũ"),
        submitted_at=now - timedelta(days=2),
    )
    factories.doctor()  # verified: its submission is not pending
    graphql.login(factories.verifier())
    page = data_of(graphql(QUEUE))["pendingLicenceSubmissions"]
    assert page["totalCount"] == 2
    nodes = [edge["node"] for edge in page["edges"]]
    assert [node["id"] for node in nodes] == [
        gid("LicenceSubmission", older.pk),
        gid("LicenceSubmission", newer.pk),
    ]
    assert nodes[0]["doctor"]["fullName"] == "Bác sĩ Cũ"
    assert nodes[0]["kind"] == "PRACTICE_LICENCE"
    assert nodes[0]["status"] == "PENDING"


@pytest.mark.parametrize(
    ("who", "code"),
    [("anonymous", "NOT_AUTHENTICATED"), ("doctor", "PERMISSION_DENIED")],
)
def test_only_verifiers_see_the_review_queue(db, graphql, who, code):
    factories.doctor(status=VerificationStatus.PENDING)
    if who == "doctor":
        graphql.login(factories.doctor())
    result = graphql(QUEUE)
    assert error_codes(result) == [code]
    assert result["data"] == {"pendingLicenceSubmissions": None}


def test_a_doctor_sees_their_own_submission_and_no_one_elses(db, graphql):
    mine = factories.licence_submission(factories.doctor(status=VerificationStatus.UNVERIFIED))
    theirs = factories.licence_submission(factories.doctor(status=VerificationStatus.UNVERIFIED))
    graphql.login(mine.doctor)
    query = "query ($id: ID!) { node(id: $id) { ... on LicenceSubmission { licenceNumber } } }"
    assert data_of(graphql(query, {"id": gid("LicenceSubmission", mine.pk)})) == {
        "node": {"licenceNumber": mine.licence_number}
    }
    assert data_of(graphql(query, {"id": gid("LicenceSubmission", theirs.pk)})) == {"node": None}
