"""Following specialties (the feed shows their cases): services, refusals, GraphQL."""

from __future__ import annotations

import pytest

from accounts.models import VerificationStatus
from common.errors import CommonErrorCode, ServiceError
from network.errors import NetworkErrorCode
from network.models import SpecialtyFollow
from network.selectors.connections import followed_specialties, followed_specialty_ids
from network.services.follows import follow_specialty, unfollow_specialty
from tests import factories
from tests.graphql import conftest as graphql_conftest
from tests.graphql.conftest import data_of, error_codes, gid

pytestmark = pytest.mark.django_db

graphql = graphql_conftest.graphql


def refused(code, call, *args) -> ServiceError:
    with pytest.raises(ServiceError) as caught:
        call(*args)
    assert caught.value.code == code
    return caught.value


@pytest.fixture
def cardiology(db):
    return factories.specialty()


@pytest.fixture
def paediatrics(db):
    return factories.specialty("paediatrics", "Nhi khoa", "Paediatrics")


def test_following_and_unfollowing(verified_doctor, cardiology, paediatrics):
    follow_specialty(verified_doctor, paediatrics.pk)
    follow_specialty(verified_doctor, cardiology.pk)
    assert list(followed_specialties(verified_doctor)) == [paediatrics, cardiology]  # by Vietnamese name
    assert set(followed_specialty_ids(verified_doctor.pk)) == {cardiology.pk, paediatrics.pk}
    unfollow_specialty(verified_doctor, cardiology.pk)
    assert list(followed_specialties(verified_doctor)) == [paediatrics]


def test_each_refusal_has_its_code(verified_doctor, cardiology):
    follow_specialty(verified_doctor, cardiology.pk)
    refused(NetworkErrorCode.ALREADY_FOLLOWING, follow_specialty, verified_doctor, cardiology.pk)
    unfollow_specialty(verified_doctor, cardiology.pk)
    refused(NetworkErrorCode.NOT_FOLLOWING, unfollow_specialty, verified_doctor, cardiology.pk)
    error = refused(NetworkErrorCode.NOT_FOUND, follow_specialty, verified_doctor, 987654)
    assert error.errors[0].field == "specialtyId"
    applicant = factories.doctor(status=VerificationStatus.PENDING)
    refused(CommonErrorCode.NOT_VERIFIED, follow_specialty, applicant, cardiology.pk)
    assert not SpecialtyFollow.objects.exists()


FOLLOW = """mutation ($id: ID!) { followSpecialty(specialtyId: $id) {
    specialty { code } errors { field code message } } }"""
UNFOLLOW = """mutation ($id: ID!) { unfollowSpecialty(specialtyId: $id) {
    specialty { code } errors { field code message } } }"""
FOLLOWED = "{ followedSpecialties { id code name } }"


def test_following_over_graphql(graphql, verified_doctor, cardiology):
    graphql.login(verified_doctor)
    specialty_id = gid("Specialty", cardiology.pk)
    payload = data_of(graphql(FOLLOW, {"id": specialty_id}))["followSpecialty"]
    assert payload == {"specialty": {"code": "cardiology"}, "errors": []}
    assert data_of(graphql(FOLLOWED))["followedSpecialties"] == [
        {"id": specialty_id, "code": "cardiology", "name": "Tim mạch"}
    ]
    again = data_of(graphql(FOLLOW, {"id": specialty_id}))["followSpecialty"]
    assert again["specialty"] is None
    assert [(error["field"], error["code"]) for error in again["errors"]] == [
        ("specialtyId", "ALREADY_FOLLOWING")
    ]
    assert data_of(graphql(UNFOLLOW, {"id": specialty_id}))["unfollowSpecialty"]["errors"] == []
    assert data_of(graphql(FOLLOWED))["followedSpecialties"] == []
    codes = data_of(graphql(UNFOLLOW, {"id": gid("Doctor", "x")}))["unfollowSpecialty"]["errors"]
    assert [error["code"] for error in codes] == ["INVALID"]


def test_only_verified_doctors_follow_over_graphql(graphql, cardiology):
    graphql.login(factories.doctor(status=VerificationStatus.PENDING))
    payload = data_of(graphql(FOLLOW, {"id": gid("Specialty", cardiology.pk)}))["followSpecialty"]
    assert [error["code"] for error in payload["errors"]] == ["NOT_VERIFIED"]
    assert error_codes(graphql(FOLLOWED)) == ["NOT_VERIFIED"]
