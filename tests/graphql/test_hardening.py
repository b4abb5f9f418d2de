"""Hostile or broken input gets a clear error, fast, and never a 500."""

from __future__ import annotations

import base64
import time

import pytest

from tests import factories
from tests.graphql.conftest import error_codes, post_graphql

pytestmark = pytest.mark.django_db


def nested_fragments(levels: int) -> str:
    """Each fragment spreads the next twice: 2**levels paths through a 1 kB document."""
    fragments = " ".join(f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(levels))
    return "{ ...F0 } " + fragments + f" fragment F{levels} on Query {{ __typename }}"


def test_the_depth_rule_does_not_explode_on_fragments_that_spread_each_other_twice(client):
    started = time.monotonic()
    result = post_graphql(client, nested_fragments(40))
    # 2**40 walks without memoisation; linear with it. A generous bound, not a benchmark.
    assert time.monotonic() - started < 5
    assert result["data"] == {"__typename": "Query"}


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        ('{ facilities(first: 1, search: "a\\u0000b") { edges { node { id } } } }', None),
        (
            "query ($s: String) { facilities(first: 1, search: $s) { edges { node { id } } } }",
            {"s": "a\u0000b"},
        ),
    ],
    ids=["literal", "variable"],
)
def test_text_with_nul_characters_is_refused_before_execution(
    client, query, variables, django_assert_num_queries
):
    with django_assert_num_queries(0):
        result = post_graphql(client, query, variables, status=400)
    assert error_codes(result) == ["INVALID_CHARACTERS"]


@pytest.mark.parametrize("cursor", ["arrayconnection:-100", "not a cursor"])
def test_a_bad_cursor_is_refused_with_a_code(client, cursor):
    after = base64.b64encode(cursor.encode()).decode()
    result = post_graphql(
        client,
        "query ($a: String) { facilities(first: 1, after: $a) { edges { node { id } } } }",
        {"a": after},
    )
    assert error_codes(result) == ["INVALID_CURSOR"]


def test_a_search_of_too_many_words_is_refused(client):
    factories.facility(name="Bệnh viện Bạch Mai")
    result = post_graphql(
        client, '{ facilities(first: 5, search: "%s") { edges { node { id } } } }' % ("a " * 50)
    )
    assert error_codes(result) == ["INVALID"]


def test_an_oversized_upload_is_refused_before_it_is_read(client):
    client.force_login(factories.doctor())
    response = client.generic(
        "POST",
        "/graphql/",
        data=b"--x\r\n",
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(26 * 1024 * 1024),
    )
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "REQUEST_TOO_LARGE"
