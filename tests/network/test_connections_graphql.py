"""Connections over GraphQL, as the mobile app uses them: mutations with errors as data, the
lists for verified doctors only, request nodes seen by their two doctors only, and a constant
number of SQL queries whatever the page size."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import VerificationStatus
from network.models import Block, Connection, ConnectionRequest
from tests import factories
from tests.graphql import conftest as graphql_conftest
from tests.graphql.conftest import data_of, error_codes, gid

pytestmark = pytest.mark.django_db

graphql = graphql_conftest.graphql

DOCTOR_CARD = "id fullName title facility { name province { name } } specialties { code name }"

CONNECTIONS = f"""query ($first: Int!, $after: String) {{
  connections(first: $first, after: $after) {{
    totalCount pageInfo {{ hasNextPage endCursor }}
    edges {{ node {{ connectedAt doctor {{ {DOCTOR_CARD} }} }} }}
  }}
}}"""
REQUESTS = f"""query ($direction: ConnectionRequestDirection!, $first: Int!) {{
  connectionRequests(direction: $direction, first: $first) {{
    totalCount
    edges {{ node {{ id message status createdAt
      sender {{ {DOCTOR_CARD} }} recipient {{ {DOCTOR_CARD} }} }} }}
  }}
}}"""
MUTUAL = f"""query ($id: ID!, $first: Int!) {{
  mutualConnections(doctorId: $id, first: $first) {{ totalCount edges {{ node {{ {DOCTOR_CARD} }} }} }}
}}"""
BLOCKED = f"""query ($first: Int!) {{
  blockedDoctors(first: $first) {{ totalCount edges {{ node {{ {DOCTOR_CARD} }} }} }}
}}"""
REQUEST_NODE = (
    """query ($id: ID!) { node(id: $id) { ... on ConnectionRequest { id status sender { id } } } }"""
)

ERRORS = "errors { field code message }"
SEND = f"""mutation ($doctorId: ID!, $message: String) {{
  sendConnectionRequest(doctorId: $doctorId, message: $message) {{
    connectionRequest {{ id status message sender {{ id }} recipient {{ id }} }} {ERRORS}
  }}
}}"""
ANSWER = """mutation ($requestId: ID!) {
  %s(requestId: $requestId) { connectionRequest { id status decidedAt } errors { field code message } }
}"""
ABOUT_DOCTOR = """mutation ($doctorId: ID!) {
  %s(doctorId: $doctorId) { doctor { id } errors { field code message } }
}"""


def doctor_id(doctor) -> str:
    return gid("Doctor", doctor.public_id)


def request_id(request) -> str:
    return gid("ConnectionRequest", request.pk)


def mutate(graphql, name: str, document: str, variables: dict) -> dict:
    return data_of(graphql(document, variables))[name]


def answer(graphql, name: str, request_gid: str) -> dict:
    return mutate(graphql, name, ANSWER % name, {"requestId": request_gid})


def about(graphql, name: str, doctor) -> dict:
    return mutate(graphql, name, ABOUT_DOCTOR % name, {"doctorId": doctor_id(doctor)})


def codes_of(payload: dict) -> list[tuple[str | None, str]]:
    return [(error["field"], error["code"]) for error in payload["errors"]]


def card_doctor(**extra):
    doctor = factories.doctor(**extra)
    doctor.specialties.add(
        factories.specialty(), factories.specialty("paediatrics", "Nhi khoa", "Paediatrics")
    )
    return doctor


def link(first, second) -> None:
    Connection.objects.bulk_create(
        [Connection(doctor=first, peer=second), Connection(doctor=second, peer=first)]
    )


def test_from_request_to_connection_and_back(graphql):
    an, binh = card_doctor(full_name="Nguyễn Văn An"), card_doctor(full_name="Trần Thị Bình")

    graphql.login(an)
    sent = mutate(
        graphql, "sendConnectionRequest", SEND, {"doctorId": doctor_id(binh), "message": "Chào chị"}
    )
    assert sent["errors"] == []
    request = sent["connectionRequest"]
    assert (request["status"], request["message"]) == ("PENDING", "Chào chị")
    assert (request["sender"]["id"], request["recipient"]["id"]) == (doctor_id(an), doctor_id(binh))
    outgoing = data_of(graphql(REQUESTS, {"direction": "OUTGOING", "first": 10}))["connectionRequests"]
    assert [edge["node"]["id"] for edge in outgoing["edges"]] == [request["id"]]
    assert (
        data_of(graphql(REQUESTS, {"direction": "INCOMING", "first": 10}))["connectionRequests"]["edges"]
        == []
    )

    graphql.login(binh)
    incoming = data_of(graphql(REQUESTS, {"direction": "INCOMING", "first": 10}))["connectionRequests"]
    assert incoming["edges"][0]["node"]["sender"]["fullName"] == "Nguyễn Văn An"
    accepted = answer(graphql, "acceptConnectionRequest", request["id"])
    assert accepted["errors"] == []
    assert accepted["connectionRequest"]["status"] == "ACCEPTED"
    assert accepted["connectionRequest"]["decidedAt"]
    mine = data_of(graphql(CONNECTIONS, {"first": 10}))["connections"]
    assert mine["totalCount"] == 1
    assert mine["edges"][0]["node"]["doctor"]["id"] == doctor_id(an)
    assert mine["edges"][0]["node"]["connectedAt"]

    graphql.login(an)
    assert data_of(graphql(CONNECTIONS, {"first": 10}))["connections"]["totalCount"] == 1
    removed = about(graphql, "removeConnection", binh)
    assert removed == {"doctor": {"id": doctor_id(binh)}, "errors": []}
    assert data_of(graphql(CONNECTIONS, {"first": 10}))["connections"]["totalCount"] == 0
    assert codes_of(about(graphql, "removeConnection", binh)) == [("doctorId", "NOT_CONNECTED")]

    assert about(graphql, "blockDoctor", binh)["errors"] == []
    blocked = data_of(graphql(BLOCKED, {"first": 10}))["blockedDoctors"]
    assert [edge["node"]["id"] for edge in blocked["edges"]] == [doctor_id(binh)]
    assert codes_of(about(graphql, "blockDoctor", binh)) == [("doctorId", "ALREADY_BLOCKED")]
    assert about(graphql, "unblockDoctor", binh)["errors"] == []
    assert codes_of(about(graphql, "unblockDoctor", binh)) == [("doctorId", "NOT_BLOCKED")]
    assert data_of(graphql(BLOCKED, {"first": 10}))["blockedDoctors"]["edges"] == []


def test_declining_and_cancelling(graphql):
    an, binh = factories.doctor(), factories.doctor()
    first = ConnectionRequest.objects.create(sender=an, recipient=binh)
    graphql.login(an)
    assert codes_of(answer(graphql, "declineConnectionRequest", request_id(first))) == [
        ("requestId", "PERMISSION_DENIED")
    ]
    assert answer(graphql, "cancelConnectionRequest", request_id(first))["connectionRequest"]["status"] == (
        "CANCELLED"
    )
    second = ConnectionRequest.objects.create(sender=an, recipient=binh)
    graphql.login(binh)
    assert answer(graphql, "declineConnectionRequest", request_id(second))["connectionRequest"]["status"] == (
        "DECLINED"
    )
    assert codes_of(answer(graphql, "acceptConnectionRequest", request_id(second))) == [
        ("requestId", "REQUEST_NOT_PENDING")
    ]


def test_refusals_are_errors_as_data(graphql, settings):
    an, binh = factories.doctor(), factories.doctor()
    applicant = factories.doctor(status=VerificationStatus.PENDING)
    graphql.login(an)

    def send(target_id: str) -> list[tuple[str | None, str]]:
        return codes_of(mutate(graphql, "sendConnectionRequest", SEND, {"doctorId": target_id}))

    assert send(doctor_id(an)) == [("doctorId", "SELF_ACTION")]
    assert send(doctor_id(applicant)) == [("doctorId", "NOT_FOUND")]
    assert send(gid("Doctor", "not-a-uuid")) == [("doctorId", "INVALID")]
    assert send(gid("Specialty", 1)) == [("doctorId", "INVALID")]
    Block.objects.create(blocker=binh, blocked=an)
    assert send(doctor_id(binh)) == [("doctorId", "BLOCKED")]
    settings.NETWORK_DAILY_CONNECTION_REQUESTS = 0
    assert send(doctor_id(factories.doctor())) == [(None, "DAILY_REQUEST_LIMIT")]
    assert codes_of(answer(graphql, "acceptConnectionRequest", gid("ConnectionRequest", 987654))) == [
        ("requestId", "NOT_FOUND")
    ]
    assert not ConnectionRequest.objects.exists()

    graphql.login(applicant)
    assert send(doctor_id(an)) == [(None, "NOT_VERIFIED")]
    assert codes_of(about(graphql, "blockDoctor", an)) == [(None, "NOT_VERIFIED")]


@pytest.mark.parametrize(
    ("document", "variables"),
    [
        (CONNECTIONS, {"first": 5}),
        (REQUESTS, {"direction": "INCOMING", "first": 5}),
        (BLOCKED, {"first": 5}),
        ("{ followedSpecialties { code } }", None),
    ],
)
def test_the_lists_are_for_verified_doctors_only(graphql, document, variables):
    assert error_codes(graphql(document, variables)) == ["NOT_AUTHENTICATED"]
    graphql.login(factories.doctor(status=VerificationStatus.REVOKED))
    assert error_codes(graphql(document, variables)) == ["NOT_VERIFIED"]


def test_mutual_connections_of_an_unknown_or_blocked_doctor(graphql):
    an, binh, chi = factories.doctor(), factories.doctor(), factories.doctor()
    link(an, chi)
    link(binh, chi)
    graphql.login(an)
    mutual = data_of(graphql(MUTUAL, {"id": doctor_id(binh), "first": 5}))["mutualConnections"]
    assert [edge["node"]["id"] for edge in mutual["edges"]] == [doctor_id(chi)]
    applicant = factories.doctor(status=VerificationStatus.PENDING)
    assert error_codes(graphql(MUTUAL, {"id": doctor_id(applicant), "first": 5})) == ["NOT_FOUND"]
    Block.objects.create(blocker=binh, blocked=an)
    assert data_of(graphql(MUTUAL, {"id": doctor_id(binh), "first": 5}))["mutualConnections"]["edges"] == []


def test_a_request_node_is_seen_by_its_two_doctors_only(graphql):
    an, binh, stranger = factories.doctor(), factories.doctor(), factories.doctor()
    request = ConnectionRequest.objects.create(sender=an, recipient=binh)
    for doctor in (an, binh):
        graphql.login(doctor)
        node = data_of(graphql(REQUEST_NODE, {"id": request_id(request)}))["node"]
        assert node == {"id": request_id(request), "status": "PENDING", "sender": {"id": doctor_id(an)}}
    graphql.login(stranger)
    assert data_of(graphql(REQUEST_NODE, {"id": request_id(request)}))["node"] is None
    graphql.login(binh)
    Block.objects.create(blocker=an, blocked=binh)
    assert data_of(graphql(REQUEST_NODE, {"id": request_id(request)}))["node"] is None


# --- Constant query counts -----------------------------------------------------------------------


def cost(graphql, document: str, variables: dict) -> tuple[int, dict]:
    with CaptureQueriesContext(connection) as captured:
        data = data_of(graphql(document, variables))
    return len(captured), data


def assert_same_cost(graphql, django_assert_max_num_queries, document, variables, field) -> None:
    small, data = cost(graphql, document, {**variables, "first": 1})
    assert len(data[field]["edges"]) == 1
    with django_assert_max_num_queries(small):
        data = data_of(graphql(document, {**variables, "first": 50}))
    edges = data[field]["edges"]
    assert len(edges) == 50
    assert data[field]["totalCount"] == 50


@pytest.fixture
def crowd(db):
    """50 doctors, each with a facility and two specialties."""
    return [card_doctor() for _ in range(50)]


def test_connections_cost_the_same_for_1_and_50(graphql, crowd, django_assert_max_num_queries):
    viewer = factories.doctor()
    for doctor in crowd:
        link(viewer, doctor)
    graphql.login(viewer)
    assert_same_cost(graphql, django_assert_max_num_queries, CONNECTIONS, {}, "connections")


@pytest.mark.parametrize("direction", ["INCOMING", "OUTGOING"])
def test_requests_cost_the_same_for_1_and_50(graphql, crowd, direction, django_assert_max_num_queries):
    viewer = card_doctor()
    for doctor in crowd:
        if direction == "INCOMING":
            ConnectionRequest.objects.create(sender=doctor, recipient=viewer)
        else:
            ConnectionRequest.objects.create(sender=viewer, recipient=doctor)
    graphql.login(viewer)
    assert_same_cost(
        graphql, django_assert_max_num_queries, REQUESTS, {"direction": direction}, "connectionRequests"
    )


def test_mutual_connections_cost_the_same_for_1_and_50(graphql, crowd, django_assert_max_num_queries):
    viewer, other = factories.doctor(), factories.doctor()
    for doctor in crowd:
        link(viewer, doctor)
        link(other, doctor)
    graphql.login(viewer)
    assert_same_cost(
        graphql, django_assert_max_num_queries, MUTUAL, {"id": doctor_id(other)}, "mutualConnections"
    )


def test_blocked_doctors_cost_the_same_for_1_and_50(graphql, crowd, django_assert_max_num_queries):
    viewer = factories.doctor()
    Block.objects.bulk_create([Block(blocker=viewer, blocked=doctor) for doctor in crowd])
    graphql.login(viewer)
    assert_same_cost(graphql, django_assert_max_num_queries, BLOCKED, {}, "blockedDoctors")
