"""Mentorships over GraphQL: your list, proposing and answering, errors as data, who may see a
mentorship, your quota, and what the list costs."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import VerificationStatus
from facilities.models import Tier
from mentorship.models import Mentorship
from mentorship.services import mentorships as services
from tests import factories
from tests.graphql import conftest as graphql_conftest
from tests.graphql.conftest import data_of, error_codes, gid

pytestmark = pytest.mark.django_db

graphql = graphql_conftest.graphql

MENTORSHIP_FIELDS = """
    id status proposedAs message proposedAt expiresAt mentorAcceptedAt menteeAcceptedAt startedAt
    endedAt endReason lastActivityAt reviewReason mentorTier menteeTier
    specialty { code }
    mentor { id fullName facility { name } specialties { code } }
    mentee { id fullName facility { name } specialties { code } }
"""
PROPOSE = f"""mutation ($mentorId: ID!, $menteeId: ID!, $specialtyId: ID, $message: String) {{
    proposeMentorship(mentorId: $mentorId, menteeId: $menteeId, specialtyId: $specialtyId, message: $message) {{
        mentorship {{ {MENTORSHIP_FIELDS} }} errors {{ field code message }}
    }}
}}"""
ANSWER = """mutation ($id: ID!) {{ {name}(id: $id) {{
    mentorship {{ id status startedAt mentorAcceptedAt menteeAcceptedAt }} errors {{ field code message }}
}} }}"""
END = """mutation ($id: ID!, $reason: String!) { endMentorship(id: $id, reason: $reason) {
    mentorship { id status endedAt endReason } errors { field code message }
} }"""
MY_MENTORSHIPS = f"""query ($first: Int!, $after: String, $role: MentorshipRole, $status: [MentorshipStatus!]) {{
    myMentorships(first: $first, after: $after, role: $role, status: $status) {{
        totalCount pageInfo {{ hasNextPage endCursor }}
        edges {{ node {{ {MENTORSHIP_FIELDS} }} }}
    }}
}}"""
NODE = "query ($id: ID!) { node(id: $id) { id ... on Mentorship { status } } }"
MY_QUOTA = """{ myQuota {
    mentorTier policy { version }
    tiers { menteeTier required maximum active remaining missing }
} }"""


def doctor_gid(doctor) -> str:
    return gid("Doctor", doctor.public_id)


def mentorship_gid(mentorship: Mentorship) -> str:
    return gid("Mentorship", mentorship.public_id)


def answer(graphql, name: str, mentorship: Mentorship) -> dict:
    return data_of(graphql(ANSWER.format(name=name), {"id": mentorship_gid(mentorship)}))[name]


def errors_of(payload: dict) -> list[tuple[str | None, str]]:
    return [(error["field"], error["code"]) for error in payload["errors"]]


@pytest.fixture
def mentor():
    doctor = factories.doctor(tier=Tier.CENTRAL, full_name="GS. Nguyễn Thị Lan")
    doctor.specialties.add(factories.specialty())
    return doctor


@pytest.fixture
def mentee():
    return factories.doctor(tier=Tier.PROVINCIAL, full_name="BS. Phạm Văn Hùng")


# --- The lifecycle ----------------------------------------------------------------------------


def test_a_mentor_proposes_and_the_mentee_accepts(graphql, mentor, mentee):
    graphql.login(mentor)
    specialty = factories.specialty()
    payload = data_of(
        graphql(
            PROPOSE,
            {
                "mentorId": doctor_gid(mentor),
                "menteeId": doctor_gid(mentee),
                "specialtyId": gid("Specialty", specialty.pk),
                "message": "Anh sẵn lòng hỗ trợ em về tim mạch",
            },
        )
    )["proposeMentorship"]
    assert payload["errors"] == []
    proposed = payload["mentorship"]
    assert proposed["status"] == "PROPOSED" and proposed["proposedAs"] == "MENTOR"
    assert proposed["mentorTier"] == "CENTRAL" and proposed["menteeTier"] == "PROVINCIAL"
    assert proposed["mentor"]["id"] == doctor_gid(mentor) and proposed["mentee"]["id"] == doctor_gid(mentee)
    assert proposed["specialty"] == {"code": "cardiology"}
    assert proposed["mentorAcceptedAt"] and proposed["menteeAcceptedAt"] is None
    assert proposed["reviewReason"] is None and proposed["startedAt"] is None
    mentorship = Mentorship.objects.get()
    assert proposed["id"] == mentorship_gid(mentorship)

    graphql.login(mentee)
    listed = data_of(graphql(MY_MENTORSHIPS, {"first": 10, "role": "MENTEE", "status": ["PROPOSED"]}))
    assert [edge["node"]["id"] for edge in listed["myMentorships"]["edges"]] == [proposed["id"]]
    accepted = answer(graphql, "acceptMentorship", mentorship)
    assert accepted["errors"] == [] and accepted["mentorship"]["status"] == "ACTIVE"
    assert accepted["mentorship"]["startedAt"]

    ended = data_of(graphql(END, {"id": proposed["id"], "reason": "  "}))["endMentorship"]
    assert errors_of(ended) == [("reason", "REASON_REQUIRED")] and ended["mentorship"] is None
    ended = data_of(graphql(END, {"id": proposed["id"], "reason": "Hoàn thành chương trình"}))[
        "endMentorship"
    ]
    assert ended["errors"] == [] and ended["mentorship"]["status"] == "ENDED"
    assert ended["mentorship"]["endReason"] == "Hoàn thành chương trình"


def test_a_doctor_declines_and_a_proposer_withdraws(graphql, mentor, mentee):
    first = services.propose_mentorship(mentor, mentor_id=mentor.pk, mentee_id=mentee.pk)
    graphql.login(mentee)
    assert errors_of(answer(graphql, "withdrawMentorship", first)) == [("id", "PERMISSION_DENIED")]
    declined = answer(graphql, "declineMentorship", first)
    assert declined["errors"] == [] and declined["mentorship"]["status"] == "DECLINED"

    second = services.propose_mentorship(mentee, mentor_id=mentor.pk, mentee_id=mentee.pk)
    assert errors_of(answer(graphql, "declineMentorship", second)) == [("id", "INVALID_TRANSITION")]
    withdrawn = answer(graphql, "withdrawMentorship", second)
    assert withdrawn["errors"] == [] and withdrawn["mentorship"]["status"] == "WITHDRAWN"


def test_an_administrators_proposal_waits_for_both_doctors(graphql, mentor, mentee):
    graphql.login(factories.mentorship_admin())
    payload = data_of(graphql(PROPOSE, {"mentorId": doctor_gid(mentor), "menteeId": doctor_gid(mentee)}))
    assert payload["proposeMentorship"]["errors"] == []
    assert payload["proposeMentorship"]["mentorship"]["proposedAs"] == "ADMINISTRATOR"
    mentorship = Mentorship.objects.get()

    graphql.login(mentor)
    assert answer(graphql, "acceptMentorship", mentorship)["mentorship"]["status"] == "PROPOSED"
    graphql.login(mentee)
    assert answer(graphql, "acceptMentorship", mentorship)["mentorship"]["status"] == "ACTIVE"


def test_refusals_are_data_with_their_codes(graphql, mentor, mentee):
    for _ in range(4):
        factories.mentorship(mentor, factories.doctor(tier=Tier.PROVINCIAL))
    graphql.login(mentor)
    variables = {"mentorId": doctor_gid(mentor), "menteeId": doctor_gid(mentee)}
    payload = data_of(graphql(PROPOSE, variables))["proposeMentorship"]
    assert errors_of(payload) == [("mentorId", "MENTOR_QUOTA_FULL")] and payload["mentorship"] is None
    assert payload["errors"][0]["message"]

    payload = data_of(graphql(PROPOSE, {**variables, "menteeId": doctor_gid(mentor)}))["proposeMentorship"]
    assert errors_of(payload) == [("menteeId", "SELF_MENTORSHIP")]
    payload = data_of(graphql(PROPOSE, {**variables, "menteeId": "not-an-id"}))["proposeMentorship"]
    assert errors_of(payload) == [("menteeId", "INVALID")]
    payload = data_of(graphql(PROPOSE, {**variables, "menteeId": gid("Specialty", 1)}))["proposeMentorship"]
    assert errors_of(payload) == [("menteeId", "INVALID")]
    unverified = factories.doctor(status=VerificationStatus.PENDING, tier=Tier.PROVINCIAL)
    payload = data_of(graphql(PROPOSE, {**variables, "menteeId": doctor_gid(unverified)}))[
        "proposeMentorship"
    ]
    assert errors_of(payload) == [("menteeId", "NOT_FOUND")]
    payload = data_of(graphql(ANSWER.format(name="acceptMentorship"), {"id": doctor_gid(mentee)}))
    assert errors_of(payload["acceptMentorship"]) == [("id", "INVALID")]


def test_an_unverified_doctor_is_refused_as_not_verified(graphql, mentor):
    unverified = factories.doctor(status=VerificationStatus.PENDING, tier=Tier.PROVINCIAL)
    graphql.login(unverified)
    payload = data_of(graphql(PROPOSE, {"mentorId": doctor_gid(mentor), "menteeId": doctor_gid(unverified)}))
    assert errors_of(payload["proposeMentorship"]) == [(None, "NOT_VERIFIED")]
    proposal = services.propose_mentorship(
        factories.mentorship_admin(), mentor_id=mentor.pk, mentee_id=factories.doctor(tier=Tier.DISTRICT).pk
    )
    assert errors_of(answer(graphql, "acceptMentorship", proposal)) == [(None, "NOT_VERIFIED")]


def test_an_anonymous_visitor_is_asked_to_sign_in(graphql, mentor, mentee):
    payload = data_of(graphql(PROPOSE, {"mentorId": doctor_gid(mentor), "menteeId": doctor_gid(mentee)}))
    assert errors_of(payload["proposeMentorship"]) == [(None, "NOT_AUTHENTICATED")]
    result = graphql(MY_MENTORSHIPS, {"first": 10})
    assert error_codes(result) == ["NOT_AUTHENTICATED"] and result["data"]["myMentorships"] is None


# --- Who sees a mentorship --------------------------------------------------------------------


def test_a_mentorship_is_seen_by_its_two_doctors_and_administrators_only(graphql, mentor, mentee):
    mentorship = factories.mentorship(mentor, mentee)
    for viewer in (mentor, mentee, factories.mentorship_admin()):
        graphql.login(viewer)
        assert data_of(graphql(NODE, {"id": mentorship_gid(mentorship)}))["node"] == {
            "id": mentorship_gid(mentorship),
            "status": "ACTIVE",
        }
    for outsider in (factories.doctor(), factories.verifier(), factories.auditor()):
        graphql.login(outsider)
        assert data_of(graphql(NODE, {"id": mentorship_gid(mentorship)}))["node"] is None
        payload = data_of(graphql(END, {"id": mentorship_gid(mentorship), "reason": "x"}))["endMentorship"]
        assert errors_of(payload) == [("id", "NOT_FOUND")]
        listed = data_of(graphql(MY_MENTORSHIPS, {"first": 10}))["myMentorships"]
        assert listed["totalCount"] == 0


def test_my_mentorships_by_role_and_status_newest_first(graphql, mentor, mentee):
    older = factories.mentorship(mentor, mentee)
    newer = services.propose_mentorship(
        mentor, mentor_id=mentor.pk, mentee_id=factories.doctor(tier=Tier.COMMUNE).pk
    )
    graphql.login(mentor)

    def ids(**variables) -> list[str]:
        data = data_of(graphql(MY_MENTORSHIPS, {"first": 10, **variables}))
        return [edge["node"]["id"] for edge in data["myMentorships"]["edges"]]

    assert ids() == [mentorship_gid(newer), mentorship_gid(older)]
    assert ids(role="MENTOR", status=["ACTIVE"]) == [mentorship_gid(older)]
    assert ids(status=["PROPOSED", "ACTIVE"]) == [mentorship_gid(newer), mentorship_gid(older)]
    assert ids(role="MENTEE") == []
    assert ids(status=["ENDED"]) == []
    graphql.login(mentee)
    assert ids(role="MENTEE") == [mentorship_gid(older)]
    first_page = data_of(graphql(MY_MENTORSHIPS, {"first": 1}))["myMentorships"]
    assert first_page["pageInfo"]["hasNextPage"] is False and first_page["totalCount"] == 1


def test_the_list_costs_the_same_for_1_and_50_mentorships(graphql, mentee, django_assert_max_num_queries):
    for n in range(50):
        mentor = factories.doctor(tier=Tier.CENTRAL)
        mentor.specialties.add(
            factories.specialty(code=f"s{n}", name_vi=f"Chuyên khoa {n}", name_en=f"S {n}")
        )
        services.propose_mentorship(
            mentor, mentor_id=mentor.pk, mentee_id=mentee.pk, specialty_id=factories.specialty().pk
        )
    graphql.login(mentee)

    with CaptureQueriesContext(connection) as small:
        data = data_of(graphql(MY_MENTORSHIPS, {"first": 1}))
    assert len(data["myMentorships"]["edges"]) == 1
    with django_assert_max_num_queries(len(small)):
        data = data_of(graphql(MY_MENTORSHIPS, {"first": 50}))
    edges = data["myMentorships"]["edges"]
    assert len(edges) == 50 and data["myMentorships"]["totalCount"] == 50
    assert all(len(edge["node"]["mentor"]["specialties"]) == 1 for edge in edges)
    assert all(edge["node"]["mentee"]["id"] == doctor_gid(mentee) for edge in edges)


# --- Your quota -------------------------------------------------------------------------------


def test_my_quota_per_mentee_tier_under_the_policy_in_force(graphql, mentor, mentee):
    factories.mentorship(mentor, mentee)
    factories.mentorship(mentor, factories.doctor(tier=Tier.COMMUNE))
    factories.mentorship(mentor, factories.doctor(tier=Tier.COMMUNE))
    services.propose_mentorship(
        mentor, mentor_id=mentor.pk, mentee_id=factories.doctor(tier=Tier.DISTRICT).pk
    )
    graphql.login(mentor)

    quota = data_of(graphql(MY_QUOTA))["myQuota"]

    assert quota["mentorTier"] == "CENTRAL" and quota["policy"] == {"version": 1}
    assert sorted(quota["tiers"], key=lambda line: line["menteeTier"]) == [
        {"menteeTier": "COMMUNE", "required": 2, "maximum": 2, "active": 2, "remaining": 0, "missing": 0},
        {"menteeTier": "DISTRICT", "required": 4, "maximum": 4, "active": 0, "remaining": 4, "missing": 4},
        {"menteeTier": "PROVINCIAL", "required": 4, "maximum": 4, "active": 1, "remaining": 3, "missing": 3},
    ]


def test_a_tier_the_policy_asks_nothing_of_has_no_quota_lines(graphql, mentee):
    graphql.login(mentee)
    assert data_of(graphql(MY_QUOTA))["myQuota"]["tiers"] == []
    graphql.login(factories.doctor(status=VerificationStatus.PENDING))
    assert error_codes(graphql(MY_QUOTA)) == ["NOT_VERIFIED"]


# --- Notifications point at the mentorship ----------------------------------------------------


def test_the_notification_names_the_mentorship(graphql, mentor, mentee):
    proposal = services.propose_mentorship(mentor, mentor_id=mentor.pk, mentee_id=mentee.pk)
    graphql.login(mentee)
    data = data_of(graphql("{ notifications(first: 5) { edges { node { kind mentorshipId } } } }"))
    assert data["notifications"]["edges"] == [
        {"node": {"kind": "MENTORSHIP_PROPOSED", "mentorshipId": mentorship_gid(proposal)}}
    ]
