"""The planner and matching over GraphQL: administrators only, errors as data."""

from __future__ import annotations

import pytest

from facilities.models import Tier
from mentorship.models import Mentorship
from tests import factories
from tests.graphql import conftest as graphql_conftest
from tests.graphql.conftest import data_of, error_codes

pytestmark = pytest.mark.django_db

graphql = graphql_conftest.graphql

RUN = "mutation { runMentorshipPlan { plan { id status filled summary } errors { code field } } }"
APPLY = "mutation($id: ID!) { applyMentorshipPlan(planId: $id) { plan { status } errors { code } } }"
DISCARD = "mutation($id: ID!) { discardMentorshipPlan(planId: $id) { plan { status } errors { code } } }"
PLAN = """query($id: ID!) { mentorshipPlan(id: $id) {
  status filled pairs(first: 2) { totalCount edges { node { cost menteeTier mentor { id } mentee { id } } } }
} }"""
SUGGESTIONS = """{ mentorSuggestions(menteeTier: PROVINCIAL, first: 2) {
  edges { node { doctor { id } specialtyMatch currentPartners } } pageInfo { hasNextPage } } }"""


@pytest.fixture
def doctors():
    mentor = factories.doctor(tier=Tier.CENTRAL)
    mentees = [factories.doctor(tier=Tier.PROVINCIAL) for _ in range(3)]
    return mentor, mentees


def test_an_administrator_runs_reviews_and_applies_a_plan(graphql, doctors):
    graphql.login(factories.mentorship_admin())
    run = data_of(graphql(RUN))["runMentorshipPlan"]
    assert run["errors"] == [] and run["plan"]["status"] == "DRAFT" and run["plan"]["filled"] == 3
    plan_id = run["plan"]["id"]

    review = data_of(graphql(PLAN, {"id": plan_id}))["mentorshipPlan"]
    assert review["pairs"]["totalCount"] == 3 and len(review["pairs"]["edges"]) == 2

    applied = data_of(graphql(APPLY, {"id": plan_id}))["applyMentorshipPlan"]
    assert applied == {"plan": {"status": "APPLIED"}, "errors": []}
    assert Mentorship.objects.filter(proposed_as=Mentorship.Proposer.ADMINISTRATOR).count() == 3
    again = data_of(graphql(DISCARD, {"id": plan_id}))["discardMentorshipPlan"]
    assert again["errors"] == [{"code": "PLAN_NOT_DRAFT"}]


def test_doctors_may_not_plan_nor_see_plans(graphql, doctors):
    mentor, _mentees = doctors
    graphql.login(factories.mentorship_admin())
    plan_id = data_of(graphql(RUN))["runMentorshipPlan"]["plan"]["id"]
    graphql.login(mentor)
    assert data_of(graphql(RUN))["runMentorshipPlan"]["errors"] == [
        {"code": "PERMISSION_DENIED", "field": None}
    ]
    assert data_of(graphql(APPLY, {"id": plan_id}))["applyMentorshipPlan"]["errors"] == [
        {"code": "PERMISSION_DENIED"}
    ]
    result = graphql(PLAN, {"id": plan_id})
    assert error_codes(result) == ["PERMISSION_DENIED"] and result["data"]["mentorshipPlan"] is None
    assert not Mentorship.objects.exists()


def test_mentor_suggestions_and_candidates(graphql, doctors):
    mentor, mentees = doctors
    graphql.login(mentor)
    page = data_of(graphql(SUGGESTIONS))["mentorSuggestions"]
    assert len(page["edges"]) == 2 and page["pageInfo"]["hasNextPage"]
    graphql.login(mentees[0])
    candidates = data_of(graphql("{ mentorCandidates(first: 5) { edges { node { sameProvince } } } }"))
    assert len(candidates["mentorCandidates"]["edges"]) == 1
