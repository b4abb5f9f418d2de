"""Validated documents are cached (``api.documents.documents``): the same text is parsed and validated
once, while everything that depends on the request (variables, settings, language) is still
decided per request, and documents with errors are never kept."""

from __future__ import annotations

import pytest
from django.test import Client
from graphql import parse

from api import documents
from api.validation import validate_document
from config.schema import schema
from tests import factories
from tests.graphql.conftest import GRAPHQL_URL, data_of, error_codes

PAGE = "query ($n: Int) { facilities(first: $n) { totalCount } }"
SEARCH = "query ($n: Int, $s: String) { facilities(first: $n, search: $s) { totalCount } }"


@pytest.fixture(autouse=True)
def empty_cache():
    documents.documents.clear()
    yield
    documents.documents.clear()


def test_a_document_is_validated_once_then_served_from_the_cache(db, graphql, validations):
    factories.facility()
    for _ in range(3):
        assert data_of(graphql(PAGE, {"n": 5})) == {"facilities": {"totalCount": 1}}
    assert validations == [PAGE]
    assert len(documents.documents) == 1


@pytest.mark.parametrize(
    ("variables", "code"),
    [
        ({"n": 101}, "PAGE_SIZE_OUT_OF_RANGE"),
        ({"n": 0}, "PAGE_SIZE_OUT_OF_RANGE"),
        ({}, "PAGE_SIZE_REQUIRED"),
        (None, "PAGE_SIZE_REQUIRED"),
        ({"n": 5, "s": "a\u0000b"}, "INVALID_CHARACTERS"),
    ],
)
def test_a_cached_document_still_checks_each_requests_variables(
    db, graphql, validations, django_assert_num_queries, variables, code
):
    data_of(graphql(SEARCH, {"n": 5}))
    with django_assert_num_queries(0):
        result = graphql(SEARCH, variables, status=400)
    assert "data" not in result
    assert error_codes(result) == [code]
    assert validations == [SEARCH]


def test_the_variable_checks_give_the_same_errors_as_a_full_validation(db):
    """Several errors at once, in the order graphql-core reports them."""
    query = """query ($a: Int, $b: Int = 500, $s: String) {
        x: facilities(first: $a) { totalCount }
        y: facilities(last: $b, search: $s) { totalCount }
        z: facilities(first: 3) { totalCount }
    }"""
    document = parse(query)
    errors, checks = validate_document(schema.graphql_schema, document, {"a": 1, "b": 2})
    assert errors == []
    for variables in ({"a": 0, "b": 300, "s": "\u0000"}, {}, {"a": 7}, {"b": None}, [1]):
        expected, _ = validate_document(schema.graphql_schema, parse(query), variables)
        assert [(e.message, e.locations, e.extensions) for e in checks.errors(variables)] == [
            (e.message, e.locations, e.extensions) for e in expected
        ]


def test_a_variable_default_still_applies_to_a_cached_document(db, graphql):
    query = "query ($n: Int = 500) { facilities(last: $n) { totalCount } }"
    data_of(graphql(query, {"n": 10}))
    assert error_codes(graphql(query, status=400)) == ["PAGE_SIZE_OUT_OF_RANGE"]
    data_of(graphql(query, {"n": 100}))


def test_documents_with_errors_are_not_kept(db, graphql, validations):
    for _ in range(2):
        result = graphql("{ me { password } }", status=400)
        assert "Cannot query field 'password'" in result["errors"][0]["message"]
    assert len(validations) == 2
    assert len(documents.documents) == 0


def test_a_changed_limit_applies_to_a_cached_document(db, graphql, settings):
    deep = "{ facilities(first: 1) { edges { node { province { name } } } } }"
    data_of(graphql(deep))
    settings.GRAPHQL_MAX_DEPTH = 4
    assert error_codes(graphql(deep, status=400)) == ["QUERY_TOO_DEEP"]

    query = "{ facilities(first: 11) { totalCount } }"
    data_of(graphql(query))
    settings.GRAPHENE = {**settings.GRAPHENE, "RELAY_CONNECTION_MAX_LIMIT": 10}
    assert error_codes(graphql(query, status=400)) == ["PAGE_SIZE_OUT_OF_RANGE"]


def test_switching_introspection_off_applies_to_a_cached_document(db, graphql, settings):
    query = '{ __type(name: "Doctor") { name } }'
    settings.GRAPHQL_INTROSPECTION = True
    data_of(graphql(query))
    settings.GRAPHQL_INTROSPECTION = False
    graphql(query, status=400)


def test_errors_for_a_cached_document_are_in_the_requests_language(db, graphql):
    data_of(graphql(PAGE, {"n": 5}))
    english = graphql(PAGE, {"n": 500}, status=400, **{"Accept-Language": "en"})
    vietnamese = graphql(PAGE, {"n": 500}, status=400, **{"Accept-Language": "vi"})
    assert english["errors"][0]["message"].startswith("`first` on the `facilities` connection")
    assert vietnamese["errors"][0]["message"] != english["errors"][0]["message"]


def test_a_mutation_over_get_is_refused_even_when_cached(db):
    client = Client()
    client.force_login(factories.doctor())
    mutation = 'mutation { updateProfile(input: {position: "x"}) { errors { code } } }'
    client.post(GRAPHQL_URL, {"query": mutation}, content_type="application/json")
    assert len(documents.documents) == 1
    assert client.get(GRAPHQL_URL, {"query": mutation}).status_code == 405


def test_the_cache_is_bounded():
    cache = documents.DocumentCache(size=2, max_length=100)
    graphql_schema = schema.graphql_schema
    entry = documents.ValidatedDocument(*validated("{ __typename }"))
    for text in ("{ a }", "{ b }", "{ c }"):
        cache.put(graphql_schema, text, entry)
    assert cache.get(graphql_schema, "{ a }") is None
    assert cache.get(graphql_schema, "{ c }") is entry
    cache.put(graphql_schema, "{ " + "x " * 100 + "}", entry)
    assert len(cache) == 2


def validated(query: str):
    document = parse(query)
    errors, checks = validate_document(schema.graphql_schema, document, {})
    assert errors == []
    return document, checks
