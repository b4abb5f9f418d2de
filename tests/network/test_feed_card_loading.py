"""The feed loads attachments and accepted answers only when the document asks for them
(``api.relay.selected_fields``), and shows the same cards either way."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from network.models import Case, CaseAttachment
from tests import factories
from tests.graphql import conftest as graphql_conftest
from tests.graphql.conftest import data_of
from tests.network.test_cases_builders import comment_on, connect, published_case

pytestmark = pytest.mark.django_db

graphql = graphql_conftest.graphql

CARD = "id title commentCount author { fullName }"
WITH_EXTRAS = f"""query ($first: Int!) {{ feed(first: $first) {{ edges {{ node {{
    {CARD} attachments {{ contentType }} acceptedAnswer {{ body author {{ fullName }} }}
}} }} }} }}"""
THROUGH_FRAGMENTS = """query ($first: Int!) { feed(first: $first) { ...Page } }
fragment Page on FeedConnection { edges { node { ... on Case { id ...Extras } } } }
fragment Extras on Case { files: attachments { contentType } acceptedAnswer { body } }"""
PLAIN = f"query ($first: Int!) {{ feed(first: $first) {{ edges {{ node {{ {CARD} }} }} }} }}"


@pytest.fixture
def viewer():
    """A doctor whose feed has 4 answered cases with an attachment each."""
    doctor = factories.doctor()
    for n in range(4):
        author = factories.doctor()
        connect(doctor, author)
        case = published_case(author, title=f"Ca {n}", status=Case.Status.ANSWERED)
        answer = comment_on(case, doctor, f"Trả lời {n}")
        Case.objects.filter(pk=case.pk).update(accepted_answer=answer)
        CaseAttachment.objects.create(
            case=case, file=f"cases/{n}.pdf", content_type="application/pdf", size=3
        )
    return doctor


def table_queries(captured: CaptureQueriesContext, table: str) -> int:
    return sum(f'FROM "{table}"' in query["sql"] for query in captured.captured_queries)


@pytest.mark.parametrize("query", [WITH_EXTRAS, THROUGH_FRAGMENTS], ids=["fields", "fragments"])
def test_a_feed_that_shows_attachments_and_answers_gets_them(graphql, viewer, query):
    graphql.login(viewer)
    with CaptureQueriesContext(connection) as captured:
        cards = [edge["node"] for edge in data_of(graphql(query, {"first": 10}))["feed"]["edges"]]
    assert len(cards) == 4
    assert all(
        card.get("attachments", card.get("files")) == [{"contentType": "application/pdf"}] for card in cards
    )
    assert {card["acceptedAnswer"]["body"] for card in cards} == {f"Trả lời {n}" for n in range(4)}
    # Prefetched once each, not once per card.
    assert table_queries(captured, "network_caseattachment") == 1


def test_a_feed_that_does_not_show_them_does_not_load_them(graphql, viewer):
    graphql.login(viewer)
    with CaptureQueriesContext(connection) as plain:
        cards = data_of(graphql(PLAIN, {"first": 10}))["feed"]["edges"]
    assert len(cards) == 4
    assert table_queries(plain, "network_caseattachment") == 0
    with CaptureQueriesContext(connection) as full:
        data_of(graphql(WITH_EXTRAS, {"first": 10}))
    # The attachments, the accepted answers and their authors' specialties.
    assert len(plain) == len(full) - 3


def test_the_cards_are_the_same_either_way(graphql, viewer):
    graphql.login(viewer)
    plain = data_of(graphql(PLAIN, {"first": 10}))["feed"]["edges"]
    full = data_of(graphql(WITH_EXTRAS, {"first": 10}))["feed"]["edges"]
    shared = ("id", "title", "commentCount", "author")
    assert plain == [{"node": {key: edge["node"][key] for key in shared}} for edge in full]
