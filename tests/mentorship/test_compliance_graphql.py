"""The compliance audit over GraphQL: auditors only (a stable code for anyone else), figures,
filters, pagination worst first, the trend, and the query budget at page sizes 1 and 50."""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from config.schema import schema
from facilities.models import Tier
from tests import factories
from tests.graphql.conftest import data_of, error_codes, gid, post_graphql
from tests.mentorship.test_compliance import AUDIT_DAY, at, mentor, pair

pytestmark = pytest.mark.django_db

FIGURES = "mentors required filled deficit surplus inForce engaged paper compliance engagedCompliance band"
SUMMARY = f"""query ($asOf: Date, $filters: ComplianceFilter) {{
  complianceSummary(asOf: $asOf, filters: $filters) {{ asOf policyVersion activityDays {FIGURES} }}
}}"""
PROVINCES = f"""query ($asOf: Date, $filters: ComplianceFilter) {{
  complianceByProvince(asOf: $asOf, filters: $filters) {{ province {{ code name }} {FIGURES} }}
}}"""
FACILITIES = f"""query ($asOf: Date, $first: Int, $after: String) {{
  complianceByFacility(asOf: $asOf, first: $first, after: $after) {{
    totalCount pageInfo {{ hasNextPage endCursor }}
    edges {{ cursor node {{ facility {{ id name province {{ code }} }} {FIGURES} }} }}
  }}
}}"""
SPECIALTIES = f"""query ($asOf: Date) {{
  complianceBySpecialty(asOf: $asOf) {{ specialty {{ code name }} {FIGURES} }}
}}"""
MENTORS = """query ($asOf: Date, $filters: ComplianceFilter, $first: Int, $after: String, $orderBy: MentorComplianceOrder) {
  mentorCompliance(asOf: $asOf, filters: $filters, first: $first, after: $after, orderBy: $orderBy) {
    totalCount pageInfo { hasNextPage hasPreviousPage endCursor }
    edges { cursor node {
      mentor { id fullName specialties { code } facility { name } }
      facility { id name tier province { code } } province { code name } tier
      required filled deficit surplus inForce engaged paper compliance engagedCompliance band lastActivityAt
      tiers { menteeTier required maximum inForce engaged paper filled deficit surplus }
    } }
  }
}"""
TREND = """query ($months: Int) {
  complianceTrend(months: $months) {
    month asOf policyVersion total { mentors required filled compliance }
    provinces { province { code } mentors compliance }
  }
}"""
EVERY_QUERY = {
    "complianceSummary": (SUMMARY, {}),
    "complianceByProvince": (PROVINCES, {}),
    "complianceByFacility": (FACILITIES, {"first": 10}),
    "complianceBySpecialty": (SPECIALTIES, {}),
    "mentorCompliance": (MENTORS, {"first": 10}),
    "complianceTrend": (TREND, {"months": 2}),
}


@pytest.fixture
def graphql(client):
    class Runner:
        def login(self, user) -> None:
            client.force_login(user)

        def __call__(self, query, variables=None, **kwargs):
            return post_graphql(client, query, variables, **kwargs)

    return Runner()


@pytest.fixture
def hanoi_mentor():
    doctor = mentor(full_name="Trần Thị Một")
    doctor.specialties.add(factories.specialty())
    pair(doctor, Tier.PROVINCIAL, started=at(2026, 9, 1), activity=(at(2026, 9, 25),))
    for _ in range(2):
        pair(doctor, Tier.PROVINCIAL, started=at(2026, 9, 1))
    for _ in range(4):
        pair(doctor, Tier.DISTRICT, started=at(2026, 9, 1))
    return doctor


@pytest.mark.parametrize("field", sorted(EVERY_QUERY))
def test_doctors_are_refused_with_permission_denied_and_anonymous_visitors_must_sign_in(graphql, field):
    query, variables = EVERY_QUERY[field]
    anonymous = graphql(query, variables)
    assert error_codes(anonymous) == ["NOT_AUTHENTICATED"] and anonymous["data"][field] is None

    graphql.login(factories.doctor())
    refused = graphql(query, variables)
    assert error_codes(refused) == ["PERMISSION_DENIED"] and refused["data"][field] is None

    graphql.login(factories.mentorship_admin())  # administering mentorships is not auditing them
    assert error_codes(graphql(query, variables)) == ["PERMISSION_DENIED"]


@pytest.mark.parametrize("field", sorted(EVERY_QUERY))
def test_auditors_and_superusers_may_ask(graphql, field, hanoi_mentor):
    query, variables = EVERY_QUERY[field]
    graphql.login(factories.auditor())
    assert data_of(graphql(query, variables))[field] is not None
    graphql.login(factories.user(is_superuser=True))
    assert data_of(graphql(query, variables))[field] is not None


def test_the_summary_and_a_mentors_figures(graphql, hanoi_mentor):
    graphql.login(factories.auditor())
    summary = data_of(graphql(SUMMARY, {"asOf": AUDIT_DAY.isoformat()}))["complianceSummary"]
    assert summary == {
        "asOf": "2026-10-01",
        "policyVersion": 1,
        "activityDays": 30,
        "mentors": 1,
        "required": 10,
        "filled": 7,
        "deficit": 3,
        "surplus": 0,
        "inForce": 7,
        "engaged": 1,
        "paper": 6,
        "compliance": 70.0,
        "engagedCompliance": 10.0,
        "band": "PARTIAL",
    }
    page = data_of(graphql(MENTORS, {"asOf": "2026-10-01", "first": 5}))["mentorCompliance"]
    (edge,) = page["edges"]
    node = edge["node"]
    assert node["mentor"]["id"] == gid("Doctor", hanoi_mentor.public_id)
    assert node["mentor"]["specialties"] == [{"code": "cardiology"}]
    assert node["facility"]["id"] == gid("Facility", hanoi_mentor.facility_id)
    assert (node["province"]["code"], node["tier"], node["band"]) == (1, "CENTRAL", "PARTIAL")
    assert node["lastActivityAt"].startswith("2026-09-25")
    assert node["tiers"][0] == {
        "menteeTier": "PROVINCIAL",
        "required": 4,
        "maximum": 4,
        "inForce": 3,
        "engaged": 1,
        "paper": 2,
        "filled": 3,
        "deficit": 1,
        "surplus": 0,
    }
    assert [t["menteeTier"] for t in node["tiers"]] == ["PROVINCIAL", "DISTRICT", "COMMUNE"]


def test_filters_sorting_and_pagination(graphql, hanoi_mentor):
    danang = factories.facility(Tier.CENTRAL, province=factories.province(48, "Thành phố Đà Nẵng"))
    mentor(danang, full_name="Phạm Văn Ba")
    graphql.login(factories.auditor())

    def names(variables):
        page = data_of(graphql(MENTORS, {"asOf": "2026-10-01", "first": 10, **variables}))["mentorCompliance"]
        return [edge["node"]["mentor"]["fullName"] for edge in page["edges"]]

    assert names({}) == ["Phạm Văn Ba", "Trần Thị Một"]
    assert names({"orderBy": "BEST_FIRST"}) == ["Trần Thị Một", "Phạm Văn Ba"]
    assert names({"filters": {"provinceCode": 48}}) == ["Phạm Văn Ba"]
    assert names({"filters": {"band": "PARTIAL"}}) == ["Trần Thị Một"]
    assert names({"filters": {"tier": "PROVINCIAL"}}) == []
    assert names({"filters": {"facilityId": gid("Facility", danang.pk)}}) == ["Phạm Văn Ba"]
    specialty = gid("Specialty", factories.specialty().pk)
    assert names({"filters": {"specialtyId": specialty}}) == ["Trần Thị Một"]
    assert names({"filters": {"deficitOnly": True}}) == ["Phạm Văn Ba", "Trần Thị Một"]

    first = data_of(graphql(MENTORS, {"asOf": "2026-10-01", "first": 1}))["mentorCompliance"]
    assert first["totalCount"] == 2 and first["pageInfo"]["hasNextPage"]
    after = first["pageInfo"]["endCursor"]
    second = data_of(graphql(MENTORS, {"asOf": "2026-10-01", "first": 1, "after": after}))["mentorCompliance"]
    assert [e["node"]["mentor"]["fullName"] for e in second["edges"]] == ["Trần Thị Một"]
    assert not second["pageInfo"]["hasNextPage"] and second["pageInfo"]["hasPreviousPage"]

    provinces = data_of(graphql(PROVINCES, {"asOf": "2026-10-01"}))["complianceByProvince"]
    assert [(row["province"]["code"], row["compliance"]) for row in provinces] == [(48, 0.0), (1, 70.0)]
    facilities = data_of(graphql(FACILITIES, {"asOf": "2026-10-01", "first": 1}))["complianceByFacility"]
    assert (
        facilities["totalCount"] == 2 and facilities["edges"][0]["node"]["facility"]["province"]["code"] == 48
    )
    specialties = data_of(graphql(SPECIALTIES, {"asOf": "2026-10-01"}))["complianceBySpecialty"]
    assert [(row["specialty"] or {}).get("code") for row in specialties] == [None, "cardiology"]


def test_bad_arguments_are_refused_with_stable_codes(graphql, hanoi_mentor):
    graphql.login(factories.auditor())
    tomorrow = timezone.localdate().toordinal() + 1
    future = graphql(SUMMARY, {"asOf": date.fromordinal(tomorrow).isoformat()})
    assert error_codes(future) == ["INVALID"]
    assert error_codes(graphql(MENTORS, {"first": 101}, status=400)) == ["PAGE_SIZE_OUT_OF_RANGE"]
    assert error_codes(graphql(MENTORS, {}, status=400)) == ["PAGE_SIZE_REQUIRED"]
    assert error_codes(graphql(MENTORS, {"first": 1, "after": "nonsense"})) == ["INVALID"]
    assert error_codes(graphql(MENTORS, {"first": 1, "filters": {"facilityId": "bad"}})) == ["INVALID"]
    assert error_codes(graphql(TREND, {"months": 0})) == ["INVALID"]


def test_the_trend_month_by_month(graphql, hanoi_mentor):
    graphql.login(factories.auditor())
    points = data_of(graphql(TREND, {"months": 4}))["complianceTrend"]
    assert len(points) == 4
    assert points[-1]["asOf"] == timezone.localdate().isoformat()
    assert all(point["policyVersion"] == 1 for point in points)
    assert points[-1]["total"]["mentors"] == 1
    assert [row["province"]["code"] for row in points[-1]["provinces"]] == [1]


# --- The query budget ---------------------------------------------------------------------------


def execute(user, query, variables) -> tuple[int, dict]:
    """Run ``query`` as ``user`` (already loaded, as the HTTP view's authentication leaves it) and
    count the queries the resolvers make."""
    request = RequestFactory().post("/graphql/")
    request.user = user or AnonymousUser()
    with CaptureQueriesContext(connection) as captured:
        result = schema.execute(query, variable_values=variables, context_value=request)
    assert not result.errors, result.errors
    return len(captured), result.data


@pytest.fixture
def fifty_mentors(hanoi_mentor):
    cardiology = factories.specialty()
    facility = factories.facility(Tier.CENTRAL)
    for n in range(49):
        doctor = mentor(facility, full_name=f"Bác sĩ {n:02d}")
        doctor.specialties.add(cardiology)
    pair(doctor, Tier.COMMUNE, started=at(2026, 9, 1), activity=(at(2026, 9, 20),))


@pytest.mark.parametrize("size", [1, 50])
def test_each_view_costs_at_most_three_queries_at_any_page_size(fifty_mentors, size):
    auditor = factories.auditor()
    for query, variables, field in (
        (SUMMARY, {}, "complianceSummary"),
        (PROVINCES, {}, "complianceByProvince"),
        (MENTORS, {"first": size}, "mentorCompliance"),
        (FACILITIES, {"first": size}, "complianceByFacility"),
        (SPECIALTIES, {}, "complianceBySpecialty"),
        (TREND, {"months": 12}, "complianceTrend"),
    ):
        queries, data = execute(auditor, query, variables)
        assert queries <= 3, (field, queries)
        if field == "mentorCompliance":
            assert len(data[field]["edges"]) == size and data[field]["totalCount"] == 50
    # The summary and the province roll-up: the scope, then one statement.
    assert execute(auditor, SUMMARY, {})[0] == 2
    assert execute(auditor, PROVINCES, {})[0] == 2


def test_over_http_authentication_adds_only_the_session_and_the_user(
    client, fifty_mentors, django_assert_max_num_queries
):
    client.force_login(factories.auditor())
    with django_assert_max_num_queries(5):
        page = data_of(post_graphql(client, MENTORS, {"first": 50}))["mentorCompliance"]
    assert len(page["edges"]) == 50
