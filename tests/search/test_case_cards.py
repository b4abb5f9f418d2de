"""What a searchCases page reads for its cards follows what the document shows."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests import factories
from tests.graphql import conftest as graphql_conftest
from tests.graphql.conftest import data_of
from tests.network.test_cases_builders import comment_on, published_case
from tests.search.builders import searcher

pytestmark = pytest.mark.django_db

graphql = graphql_conftest.graphql

CARDS = """
query {
  searchCases(query: "dau nguc", first: 10) {
    edges { node { case { title commentCount %s } } }
  }
}
"""


def _run(graphql, shown: str) -> tuple[list[dict], list[str]]:
    with CaptureQueriesContext(connection) as captured:
        edges = data_of(graphql(CARDS % shown))["searchCases"]["edges"]
    return [edge["node"]["case"] for edge in edges], [query["sql"] for query in captured]


def test_first_comments_are_read_only_for_a_document_that_shows_them(graphql):
    """A results list without comment previews (the phone's search screen) skips the comments'
    query; one that shows them gets each card's first comments."""
    case = published_case(factories.doctor(), title="Đau ngực sau gắng sức")
    comment_on(case, factories.doctor(), body="Làm điện tâm đồ ngay.")
    graphql.login(searcher())

    bare, bare_sql = _run(graphql, "")
    shown, shown_sql = _run(graphql, "firstComments { body }")

    assert bare == [{"title": case.title, "commentCount": 1}]
    assert shown[0]["firstComments"] == [{"body": "Làm điện tâm đồ ngay."}]
    reads_bodies = ['"network_comment"."body"' in sql for sql in bare_sql]
    assert not any(reads_bodies)
    assert sum('"network_comment"."body"' in sql for sql in shown_sql) == 1
    assert len(shown_sql) > len(bare_sql)
