"""Documents are validated before any resolver runs: graphql-core's standard rules plus our
depth, alias, page-size and introspection rules.

"No resolver ran" is shown twice: a spy on the selector the resolver calls, and zero database
queries for the whole request (an anonymous request touches the database only in resolvers).
"""

from __future__ import annotations

import pytest

from facilities import selectors as facility_selectors
from tests import factories
from tests.graphql.conftest import data_of, error_codes

DEEP = "{ facilities(first: 1) { edges { node { province { name } } } } }"  # 5 levels


@pytest.fixture
def facility_resolver_calls(monkeypatch):
    """Records each call of the selector behind `facilities` (and still runs it)."""
    calls = []
    real = facility_selectors.search_facilities

    def spy(**filters):
        calls.append(filters)
        return real(**filters)

    monkeypatch.setattr(facility_selectors, "search_facilities", spy)
    return calls


def refused_before_resolving(graphql, django_assert_num_queries, calls, query, variables=None):
    with django_assert_num_queries(0):
        result = graphql(query, variables, status=400)
    assert calls == []
    assert "data" not in result
    return result


def test_the_spy_sees_a_valid_query(db, graphql, facility_resolver_calls):
    data_of(graphql("{ facilities(first: 1) { totalCount } }"))
    assert len(facility_resolver_calls) == 1


def test_a_query_deeper_than_the_limit_is_refused(
    db, graphql, settings, django_assert_num_queries, facility_resolver_calls
):
    settings.GRAPHQL_MAX_DEPTH = 4
    result = refused_before_resolving(graphql, django_assert_num_queries, facility_resolver_calls, DEEP)
    assert error_codes(result) == ["QUERY_TOO_DEEP"]

    settings.GRAPHQL_MAX_DEPTH = 5
    data_of(graphql(DEEP))


def test_depth_counts_through_fragments(
    db, graphql, settings, django_assert_num_queries, facility_resolver_calls
):
    settings.GRAPHQL_MAX_DEPTH = 4
    query = """
        query { facilities(first: 1) { ...Page } }
        fragment Page on FacilityConnection { edges { node { ... on Facility { province { name } } } } }
    """
    result = refused_before_resolving(graphql, django_assert_num_queries, facility_resolver_calls, query)
    assert error_codes(result) == ["QUERY_TOO_DEEP"]


def test_too_many_aliases_are_refused(
    db, graphql, settings, django_assert_num_queries, facility_resolver_calls
):
    aliases = " ".join(
        f"p{n}: facilities(first: 1) {{ totalCount }}" for n in range(settings.GRAPHQL_MAX_ALIASES + 1)
    )
    result = refused_before_resolving(
        graphql, django_assert_num_queries, facility_resolver_calls, f"{{ {aliases} }}"
    )
    assert error_codes(result) == ["TOO_MANY_ALIASES"]


@pytest.mark.parametrize(
    ("query", "variables", "code"),
    [
        ("{ facilities(first: 101) { totalCount } }", None, "PAGE_SIZE_OUT_OF_RANGE"),
        ("{ facilities(last: 101) { totalCount } }", None, "PAGE_SIZE_OUT_OF_RANGE"),
        ("{ facilities(first: 0) { totalCount } }", None, "PAGE_SIZE_OUT_OF_RANGE"),
        ("{ facilities(first: -5) { totalCount } }", None, "PAGE_SIZE_OUT_OF_RANGE"),
        ("{ facilities { totalCount } }", None, "PAGE_SIZE_REQUIRED"),
        ("{ facilities(first: null) { totalCount } }", None, "PAGE_SIZE_REQUIRED"),
        ("query ($n: Int) { facilities(first: $n) { totalCount } }", {"n": 101}, "PAGE_SIZE_OUT_OF_RANGE"),
        ("query ($n: Int) { facilities(first: $n) { totalCount } }", {}, "PAGE_SIZE_REQUIRED"),
        ("query ($n: Int) { facilities(first: $n) { totalCount } }", None, "PAGE_SIZE_REQUIRED"),
        ("query ($n: Int = 500) { facilities(first: $n) { totalCount } }", None, "PAGE_SIZE_OUT_OF_RANGE"),
    ],
)
def test_connection_page_sizes_are_checked_before_resolving(
    db, graphql, django_assert_num_queries, facility_resolver_calls, query, variables, code
):
    result = refused_before_resolving(
        graphql, django_assert_num_queries, facility_resolver_calls, query, variables
    )
    assert error_codes(result) == [code]


def test_the_page_limit_applies_to_every_connection(db, graphql, django_assert_num_queries):
    graphql.login(factories.verifier())
    result = graphql("{ pendingLicenceSubmissions(first: 101) { totalCount } }", status=400)
    assert error_codes(result) == ["PAGE_SIZE_OUT_OF_RANGE"]


def test_a_full_page_is_allowed(db, graphql):
    factories.facility()
    assert data_of(graphql("{ facilities(first: 100) { totalCount } }"))["facilities"]["totalCount"] == 1
    assert data_of(graphql("query ($n: Int = 100) { facilities(last: $n) { totalCount } }"))


def test_the_page_limit_follows_the_setting(db, graphql, settings):
    settings.GRAPHENE = {**settings.GRAPHENE, "RELAY_CONNECTION_MAX_LIMIT": 10}
    assert error_codes(graphql("{ facilities(first: 11) { totalCount } }", status=400)) == [
        "PAGE_SIZE_OUT_OF_RANGE"
    ]


def test_an_unknown_field_is_still_rejected(db, graphql, django_assert_num_queries):
    with django_assert_num_queries(0):
        result = graphql("{ me { password } }", status=400)
    assert "Cannot query field 'password'" in result["errors"][0]["message"]


def test_an_undefined_fragment_is_a_validation_error_not_a_crash(db, graphql):
    result = graphql("{ me { ...Missing } }", status=400)
    assert "Unknown fragment 'Missing'" in result["errors"][0]["message"]


def test_cyclic_fragments_are_a_validation_error(db, graphql):
    query = """
        { me { ...A } }
        fragment A on Doctor { facility { name } ...B }
        fragment B on Doctor { ...A }
    """
    result = graphql(query, status=400)
    assert any("Cannot spread fragment" in error["message"] for error in result["errors"])


def test_introspection_is_refused_when_switched_off_but_typename_works(db, graphql, settings):
    settings.GRAPHQL_INTROSPECTION = False
    result = graphql("{ __schema { types { name } } }", status=400)
    assert "introspection" in result["errors"][0]["message"].lower()
    graphql('{ __type(name: "Doctor") { name } }', status=400)

    data = data_of(graphql("{ __typename facilities(first: 1) { __typename } }"))
    assert data == {"__typename": "Query", "facilities": {"__typename": "FacilityConnection"}}


def test_introspection_works_when_switched_on(db, graphql, settings):
    settings.GRAPHQL_INTROSPECTION = True
    data = data_of(graphql('{ __type(name: "Doctor") { name } }'))
    assert data == {"__type": {"name": "Doctor"}}


def test_a_variable_default_is_honoured_inside_a_fragment_defined_first(db, graphql):
    query = """
        fragment Page on Query { facilities(first: $n) { totalCount } }
        query ($n: Int = 20) { ...Page }
    """
    assert data_of(graphql(query)) == {"facilities": {"totalCount": 0}}
