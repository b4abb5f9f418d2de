"""searchDoctors, searchFacilities and searchCases over /graphql/: filters, facets, highlights,
pages, refusals as data, who may call them, and what a page costs in queries."""

from __future__ import annotations

from datetime import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from graphql_relay import offset_to_cursor

from accounts.models import VerificationStatus
from facilities.models import Tier
from network.models import Case
from search.selectors import MAX_RESULTS
from tests import factories
from tests.graphql import conftest as graphql_conftest
from tests.graphql.conftest import data_of, error_codes, gid
from tests.network.test_cases_builders import block, comment_on, published_case
from tests.search.builders import hospital, hue, named_doctor, neurology, searcher

pytestmark = pytest.mark.django_db

graphql = graphql_conftest.graphql

DOCTORS = """
query ($query: String, $specialtyIds: [ID!], $tiers: [Tier!], $first: Int, $after: String) {
  searchDoctors(query: $query, specialtyIds: $specialtyIds, tiers: $tiers, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    facets { name values { value label count } }
    errors { field code message }
    edges { node {
      highlights { field fragment }
      doctor { id fullName facility { name tier province { name } } specialties { name } }
    } }
  }
}
"""
FACILITIES = """
query ($query: String, $tiers: [Tier!]) {
  searchFacilities(query: $query, tiers: $tiers, first: 10) {
    totalCount facets { name values { value count } }
    edges { node { facility { id name tier } highlights { fragment } } }
  }
}
"""
CASES = """
query ($query: String, $statuses: [CaseStatus!], $from: Date, $to: Date, $first: Int, $after: String) {
  searchCases(query: $query, statuses: $statuses, publishedFrom: $from, publishedTo: $to, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    facets { name values { value label count } }
    errors { field code message }
    edges { node {
      highlights { field fragment }
      case { id title status commentCount specialty { name }
             author { id fullName facility { name } specialties { name } }
             firstComments { body author { fullName } } }
    } }
  }
}
"""


def facet(result, name):
    [found] = [item for item in result["facets"] if item["name"] == name]
    return {value["value"]: value["count"] for value in found["values"]}


def test_search_doctors_with_filters_facets_highlights_and_pages(graphql):
    cardiology = factories.specialty()
    neuro = neurology()
    duc = named_doctor("Nguyễn Văn Đức", specialty=cardiology)
    other = named_doctor(
        "Nguyễn Văn Đức",
        specialty=neuro,
        facility=hospital("Bệnh viện Huế", tier=Tier.PROVINCIAL, province=hue()),
    )
    graphql.login(searcher())

    result = data_of(graphql(DOCTORS, {"query": "nguyen van duc", "first": 1}))["searchDoctors"]
    assert result["totalCount"] == 2
    assert result["pageInfo"]["hasNextPage"] is True
    assert result["errors"] == []
    assert facet(result, "specialty") == {gid("Specialty", cardiology.pk): 1, gid("Specialty", neuro.pk): 1}
    assert facet(result, "tier") == {"CENTRAL": 1, "PROVINCIAL": 1}
    assert facet(result, "verificationStatus") == {"VERIFIED": 2}
    second = data_of(
        graphql(DOCTORS, {"query": "nguyen van duc", "first": 1, "after": result["pageInfo"]["endCursor"]})
    )["searchDoctors"]
    assert second["pageInfo"]["hasNextPage"] is False
    ids = {result["edges"][0]["node"]["doctor"]["id"], second["edges"][0]["node"]["doctor"]["id"]}
    assert ids == {gid("Doctor", duc.public_id), gid("Doctor", other.public_id)}

    filtered = data_of(
        graphql(
            DOCTORS,
            {
                "query": "duc",
                "specialtyIds": [gid("Specialty", cardiology.pk)],
                "tiers": ["CENTRAL"],
                "first": 5,
            },
        )
    )["searchDoctors"]
    [edge] = filtered["edges"]
    assert edge["node"]["doctor"]["id"] == gid("Doctor", duc.public_id)
    assert edge["node"]["highlights"] == [{"field": "fullName", "fragment": "Nguyễn Văn <mark>Đức</mark>"}]


def test_refused_input_comes_back_as_errors(graphql):
    graphql.login(searcher())

    too_long = data_of(graphql(DOCTORS, {"query": "a" * 201, "first": 5}))["searchDoctors"]
    assert [(error["field"], error["code"]) for error in too_long["errors"]] == [("query", "QUERY_TOO_LONG")]
    assert too_long["edges"] == [] and too_long["totalCount"] == 0

    bad_id = data_of(graphql(DOCTORS, {"specialtyIds": ["not-an-id"], "first": 5}))["searchDoctors"]
    assert [(error["field"], error["code"]) for error in bad_id["errors"]] == [("specialtyIds", "INVALID")]

    reversed_range = data_of(graphql(CASES, {"from": "2026-05-02", "to": "2026-05-01", "first": 5}))[
        "searchCases"
    ]
    assert [(error["field"], error["code"]) for error in reversed_range["errors"]] == [
        ("publishedTo", "INVALID_DATE_RANGE")
    ]

    # Deep offsets cost every match up to the page (Elasticsearch refuses past 10,000).
    deep = offset_to_cursor(MAX_RESULTS - 5)
    too_deep = data_of(graphql(CASES, {"first": 5, "after": deep}))["searchCases"]
    assert [(error["field"], error["code"]) for error in too_deep["errors"]] == [("after", "PAGE_TOO_DEEP")]
    last = data_of(graphql(DOCTORS, {"first": 4, "after": deep}))["searchDoctors"]
    assert last["errors"] == []


def test_who_may_search(graphql):
    assert error_codes(graphql(DOCTORS, {"first": 5})) == ["NOT_AUTHENTICATED"]
    assert error_codes(graphql(CASES, {"first": 5})) == ["NOT_AUTHENTICATED"]
    hospital("Bệnh viện Bạch Mai")
    public = data_of(graphql(FACILITIES, {"query": "bach mai"}))["searchFacilities"]
    assert [edge["node"]["facility"]["name"] for edge in public["edges"]] == ["Bệnh viện Bạch Mai"]
    assert (
        public["edges"][0]["node"]["highlights"][0]["fragment"]
        == "Bệnh viện <mark>Bạch</mark> <mark>Mai</mark>"
    )

    graphql.login(factories.doctor(status=VerificationStatus.PENDING, full_name="Võ Chờ Duyệt"))
    assert error_codes(graphql(CASES, {"first": 5})) == ["NOT_VERIFIED"]
    assert "errors" not in graphql(DOCTORS, {"first": 5})  # finding colleagues is open to the signed-in


def test_search_cases_obeys_visibility_and_blocks(graphql):
    viewer = searcher()
    shown = published_case(factories.doctor(), title="Đau ngực trái cấp")
    blocker = factories.doctor()
    published_case(blocker, title="Đau ngực của người chặn")
    block(blocker, viewer)
    published_case(
        factories.doctor(),
        title="Đau ngực riêng",
        visibility=Case.Visibility.NAMED,
        audience=(factories.doctor(),),
    )
    graphql.login(viewer)

    result = data_of(graphql(CASES, {"query": "dau nguc", "first": 10}))["searchCases"]

    assert result["totalCount"] == 1
    assert [edge["node"]["case"]["id"] for edge in result["edges"]] == [gid("Case", shown.public_id)]
    assert facet(result, "status") == {"OPEN": 1}
    assert result["edges"][0]["node"]["highlights"][0] == {
        "field": "title",
        "fragment": "<mark>Đau</mark> <mark>ngực</mark> trái cấp",
    }


def test_facets_and_filters_of_cases(graphql):
    author = factories.doctor()
    published_case(author, title="Đau ngực A")
    published_case(author, title="Đau ngực B", status=Case.Status.CLOSED)
    graphql.login(searcher())

    closed = data_of(graphql(CASES, {"query": "dau nguc", "statuses": ["CLOSED"], "first": 10}))[
        "searchCases"
    ]

    assert [edge["node"]["case"]["title"] for edge in closed["edges"]] == ["Đau ngực B"]
    assert facet(closed, "status") == {"CLOSED": 1}


def _queries(run) -> int:
    with CaptureQueriesContext(connection) as captured:
        run()
    return len(captured)


@pytest.mark.parametrize("kind", ["doctors", "cases"])
def test_a_page_costs_the_same_for_2_and_30_hits(graphql, django_assert_max_num_queries, kind):
    viewer = searcher()
    for n in range(32):
        if kind == "doctors":
            doctor = named_doctor(f"Nguyễn Văn Đức {n}", facility=hospital(f"Bệnh viện {n}"))
            doctor.specialties.add(neurology())
        else:
            case = published_case(factories.doctor(), title=f"Đau ngực {n}")
            comment_on(case, factories.doctor())
    graphql.login(viewer)
    query, field, text = (
        (DOCTORS, "searchDoctors", "nguyen van duc")
        if kind == "doctors"
        else (CASES, "searchCases", "dau nguc")
    )

    small = _queries(lambda: data_of(graphql(query, {"query": text, "first": 2})))
    with django_assert_max_num_queries(small):
        page = data_of(graphql(query, {"query": text, "first": 30}))[field]

    assert len(page["edges"]) == 30
    assert page["totalCount"] == 32


def test_facilities_page_costs_the_same_for_2_and_30_hits(graphql, django_assert_max_num_queries):
    for n in range(32):
        hospital(f"Bệnh viện Đa khoa số {n}", tier=Tier.PROVINCIAL, province=hue())
    query = """query ($first: Int!) { searchFacilities(query: "benh vien da khoa", first: $first) {
        totalCount edges { node { facility { name tier province { name } commune { name } } highlights { fragment } } }
        facets { name values { value label count } } } }"""

    small = _queries(lambda: data_of(graphql(query, {"first": 2})))
    with django_assert_max_num_queries(small):
        page = data_of(graphql(query, {"first": 30}))["searchFacilities"]

    assert len(page["edges"]) == 30
    assert page["totalCount"] == 32


def test_case_pages_follow_the_cursor(graphql):
    author = factories.doctor()
    for n in range(5):
        published_case(author, title=f"Đau ngực {n}")
    graphql.login(searcher())

    first = data_of(graphql(CASES, {"query": "dau nguc", "first": 3}))["searchCases"]
    rest = data_of(
        graphql(CASES, {"query": "dau nguc", "first": 3, "after": first["pageInfo"]["endCursor"]})
    )["searchCases"]

    titles = [edge["node"]["case"]["title"] for edge in first["edges"] + rest["edges"]]
    assert sorted(titles) == [f"Đau ngực {n}" for n in range(5)]
    assert (first["pageInfo"]["hasNextPage"], rest["pageInfo"]["hasNextPage"]) == (True, False)


CASES_BY_SPECIALTY = """
query ($query: String, $specialtyIds: [ID!]) {
  searchCases(query: $query, specialtyIds: $specialtyIds, first: 10) {
    totalCount errors { field code }
    facets { name values { value label count } }
    edges { node { case { title specialty { name } } } }
  }
}
"""


def _case_in(specialty, title: str, **extra) -> Case:
    case = published_case(factories.doctor(), title=title, **extra)
    case.specialty = specialty
    case.save(update_fields=["specialty"])  # search's receivers rewrite the document
    return case


def titles(result) -> list[str]:
    return [edge["node"]["case"]["title"] for edge in result["edges"]]


def test_search_cases_narrowed_to_specialties(graphql):
    """Filtering by specialty (the facet's own values are what the argument takes) keeps only
    cases of those specialties, and the facets count what is left."""
    cardiology, neuro = factories.specialty(), neurology()
    dermatology = factories.specialty("dermatology", "Da liễu", "Dermatology")
    _case_in(cardiology, "Đau ngực khi gắng sức")
    _case_in(neuro, "Đau ngực kèm yếu nửa người")
    _case_in(dermatology, "Đau ngực và ban đỏ")
    graphql.login(searcher())

    everything = data_of(graphql(CASES_BY_SPECIALTY, {"query": "dau nguc"}))["searchCases"]
    assert everything["totalCount"] == 3
    neuro_value = gid("Specialty", neuro.pk)
    assert facet(everything, "specialty") == {
        gid("Specialty", cardiology.pk): 1,
        neuro_value: 1,
        gid("Specialty", dermatology.pk): 1,
    }

    neurology_only = data_of(
        graphql(CASES_BY_SPECIALTY, {"query": "dau nguc", "specialtyIds": [neuro_value]})
    )["searchCases"]
    assert neurology_only["errors"] == []
    assert titles(neurology_only) == ["Đau ngực kèm yếu nửa người"]
    assert neurology_only["totalCount"] == 1
    assert facet(neurology_only, "specialty") == {neuro_value: 1}

    two = data_of(
        graphql(
            CASES_BY_SPECIALTY,
            {"query": "dau nguc", "specialtyIds": [neuro_value, gid("Specialty", dermatology.pk)]},
        )
    )["searchCases"]
    assert sorted(titles(two)) == ["Đau ngực kèm yếu nửa người", "Đau ngực và ban đỏ"]
    assert two["totalCount"] == 2


def _local(*moment: int):
    return timezone.make_aware(datetime(*moment))


def test_search_cases_published_between_two_days_counts_whole_local_days(graphql):
    """``publishedFrom`` and ``publishedTo`` are inclusive days of the site's calendar
    (Asia/Ho_Chi_Minh, UTC+7): a case published at 00:30 on the first day or at 23:30 on the
    last is in, one published a minute before the first day or on the day after the last is
    not, even where UTC's date differs."""
    author = factories.doctor()
    before = published_case(author, title="Đau ngực: ca trước", published_at=_local(2026, 3, 9, 23, 59))
    first_day = published_case(author, title="Đau ngực: ca thứ nhất", published_at=_local(2026, 3, 10, 0, 30))
    last_day = published_case(author, title="Đau ngực: ca cuối", published_at=_local(2026, 3, 12, 23, 30))
    after = published_case(author, title="Đau ngực: ca sau", published_at=_local(2026, 3, 13, 0, 5))
    graphql.login(searcher())

    def published(**dates) -> dict:
        return data_of(graphql(CASES, {"query": "dau nguc", "first": 10, **dates}))["searchCases"]

    between = published(**{"from": "2026-03-10", "to": "2026-03-12"})
    assert between["errors"] == []
    assert set(titles(between)) == {first_day.title, last_day.title}
    assert between["totalCount"] == 2
    assert facet(between, "status") == {"OPEN": 2}

    since = published(**{"from": "2026-03-10"})
    assert set(titles(since)) == {first_day.title, last_day.title, after.title}
    until = published(**{"to": "2026-03-12"})
    assert set(titles(until)) == {before.title, first_day.title, last_day.title}
    one_day = published(**{"from": "2026-03-13", "to": "2026-03-13"})
    assert titles(one_day) == [after.title]


FACILITIES_FILTERED = """
query ($query: String, $provinceCodes: [Int!], $tiers: [Tier!]) {
  searchFacilities(query: $query, provinceCodes: $provinceCodes, tiers: $tiers, first: 10) {
    totalCount errors { field code }
    facets { name values { value label count } }
    edges { node { facility { name tier province { name } } } }
  }
}
"""


def facility_names(result) -> list[str]:
    return sorted(edge["node"]["facility"]["name"] for edge in result["edges"])


def test_search_facilities_narrowed_by_province_and_tier_with_facets(graphql):
    """Anyone may look for a facility in a province or at a tier: the filters narrow the
    results, combine, and the facets (province codes, tier names, labelled) count what is
    left."""
    hospital("Bệnh viện Bạch Mai")
    hospital("Bệnh viện Đa khoa Hà Đông", tier=Tier.PROVINCIAL)
    hospital("Bệnh viện Trung ương Huế", province=hue())
    hospital("Bệnh viện Đa khoa tỉnh Thừa Thiên", tier=Tier.PROVINCIAL, province=hue())

    def search(**filters) -> dict:
        result = data_of(graphql(FACILITIES_FILTERED, {"query": "benh vien", **filters}))
        return result["searchFacilities"]

    everywhere = search()
    assert everywhere["totalCount"] == 4
    assert facet(everywhere, "province") == {"1": 2, "46": 2}
    assert facet(everywhere, "tier") == {"CENTRAL": 2, "PROVINCIAL": 2}
    [provinces] = [item for item in everywhere["facets"] if item["name"] == "province"]
    assert {value["label"] for value in provinces["values"]} == {"Thành phố Hà Nội", "Thành phố Huế"}

    in_hue = search(provinceCodes=[46])
    assert in_hue["errors"] == []
    assert facility_names(in_hue) == ["Bệnh viện Trung ương Huế", "Bệnh viện Đa khoa tỉnh Thừa Thiên"]
    assert in_hue["totalCount"] == 2
    assert facet(in_hue, "province") == {"46": 2}
    assert facet(in_hue, "tier") == {"CENTRAL": 1, "PROVINCIAL": 1}

    provincial = search(tiers=["PROVINCIAL"])
    assert facility_names(provincial) == ["Bệnh viện Đa khoa Hà Đông", "Bệnh viện Đa khoa tỉnh Thừa Thiên"]
    assert facet(provincial, "tier") == {"PROVINCIAL": 2}
    assert facet(provincial, "province") == {"1": 1, "46": 1}

    both = search(provinceCodes=[1], tiers=["CENTRAL"])
    assert facility_names(both) == ["Bệnh viện Bạch Mai"]
    assert both["totalCount"] == 1
    assert facet(both, "province") == {"1": 1} and facet(both, "tier") == {"CENTRAL": 1}

    nowhere = search(provinceCodes=[46], tiers=["COMMUNE"])
    assert (nowhere["edges"], nowhere["totalCount"], nowhere["errors"]) == ([], 0, [])
