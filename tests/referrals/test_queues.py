"""A facility's queue is per specialty: a consultant of the same facility but of another
specialty neither sees a referral waiting in it (their queue, ``referralQueue``, a node lookup)
nor can claim it; a member of that specialty (the control) does both."""

from __future__ import annotations

import pytest

from common.errors import ServiceError
from referrals.errors import ReferralErrorCode
from referrals.models import Referral
from referrals.selectors import referrals as selectors
from referrals.services import referrals as services
from tests import factories
from tests.graphql import conftest as graphql_conftest
from tests.graphql.conftest import data_of, gid
from tests.referrals.conftest import refer

pytestmark = pytest.mark.django_db
graphql = graphql_conftest.graphql

QUEUE = "{ referralQueue(first: 10) { totalCount edges { node { id } } } }"
NODE = "query($id: ID!) { node(id: $id) { id ... on Referral { status } } }"


@pytest.fixture
def neurologist(consultant):
    """A verified doctor of the consultant's facility whose only specialty is another one."""
    doctor = factories.doctor(facility=consultant.facility)
    doctor.specialties.add(factories.specialty("neurology", "Thần kinh", "Neurology"))
    return doctor


@pytest.fixture
def queued(requester, consultant, case) -> Referral:
    """A cardiology referral waiting in the queue of the consultant's facility."""
    return refer(requester, case, facility_id=consultant.facility_id)


def test_another_specialty_does_not_see_the_queued_referral(neurologist, queued):
    assert not selectors.queue_of(neurologist).exists()
    assert not selectors.referrals_visible_to(neurologist).exists()
    assert not selectors.is_queue_member(neurologist, queued)


def test_the_specialty_does_see_it(consultant, queued):
    assert list(selectors.queue_of(consultant)) == [queued]
    assert selectors.is_queue_member(consultant, queued)


def test_another_specialty_sees_it_in_no_graphql_query(graphql, neurologist, consultant, queued):
    referral_id = gid("Referral", queued.public_id)
    graphql.login(neurologist)
    assert data_of(graphql(QUEUE))["referralQueue"] == {"totalCount": 0, "edges": []}
    assert data_of(graphql(NODE, {"id": referral_id}))["node"] is None

    graphql.login(consultant)
    assert data_of(graphql(QUEUE))["referralQueue"]["edges"] == [{"node": {"id": referral_id}}]
    assert data_of(graphql(NODE, {"id": referral_id}))["node"] == {"id": referral_id, "status": "REQUESTED"}


def test_another_specialty_cannot_claim_it(graphql, neurologist, queued):
    with pytest.raises(ServiceError) as refused:
        services.accept_referral(neurologist, queued.public_id)
    assert [(e.code, e.field) for e in refused.value.errors] == [(ReferralErrorCode.NOT_FOUND, "id")]

    graphql.login(neurologist)
    claimed = data_of(
        graphql(
            "mutation($id: ID!) { acceptReferral(id: $id) { referral { id } errors { code field } } }",
            {"id": gid("Referral", queued.public_id)},
        )
    )["acceptReferral"]
    assert claimed == {"referral": None, "errors": [{"code": "NOT_FOUND", "field": "id"}]}

    waiting = Referral.objects.get(pk=queued.pk)
    assert waiting.status == Referral.Status.REQUESTED and waiting.consultant_id is None


def test_another_specialty_finds_it_on_no_page(client, neurologist, consultant, queued):
    client.force_login(neurologist)
    assert str(queued.public_id) not in client.get("/referrals/").content.decode()
    assert client.get(f"/referrals/{queued.public_id}/").status_code == 404
    assert client.post(f"/referrals/{queued.public_id}/accept/").status_code == 404
    assert Referral.objects.get(pk=queued.pk).consultant_id is None

    client.force_login(consultant)
    assert str(queued.public_id) in client.get("/referrals/").content.decode()
