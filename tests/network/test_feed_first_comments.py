"""A feed page loads its cards' first comments for the cases that have comments only
(``network.selectors.cases.load_first_comments``): the same comments as the one-case path
(``first_comments_of``), and no comments query for a page of cases nobody has answered yet."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import User
from network.models import Case, Comment, HelpfulReaction
from network.selectors.cases import first_comments_of, with_card_data
from network.selectors.feed import feed_cards
from tests import factories
from tests.graphql import conftest as graphql_conftest
from tests.graphql.conftest import data_of
from tests.network.test_cases_builders import comment_on, published_case

pytestmark = pytest.mark.django_db

graphql = graphql_conftest.graphql

FEED = """query ($first: Int!) { feed(first: $first) { edges { node {
    id commentCount firstComments { id body helpfulCount author { fullName } }
} } } }"""


def post(author: User, minutes_ago: int) -> Case:
    return published_case(author, published_at=timezone.now() - timedelta(minutes=minutes_ago))


def comments_queries(captured: CaptureQueriesContext) -> int:
    return sum('FROM "network_comment"' in query["sql"] for query in captured.captured_queries)


def test_the_first_comments_are_those_of_the_one_case_path(viewer, peer):
    quiet, busy, replied_only = post(peer, 1), post(peer, 2), post(peer, 3)
    now = timezone.now()
    comments = [comment_on(busy, viewer, f"Ý kiến {n}") for n in range(5)]
    Comment.objects.filter(pk=comments[0].pk).update(hidden_at=now)
    Comment.objects.filter(pk=comments[2].pk).update(deleted_at=now)
    comment_on(busy, peer, "Trả lời", parent=comments[1])
    HelpfulReaction.objects.create(comment=comments[1], doctor=viewer)
    top = comment_on(replied_only, viewer, "Gốc")
    Comment.objects.filter(pk=top.pk).update(deleted_at=now)
    comment_on(replied_only, peer, "Trả lời còn lại", parent=top)

    cards = {case.pk: case for case in feed_cards(viewer, first=10)}
    prefetched = {case.pk: case for case in with_card_data(Case.objects.all(), viewer)}  # ranked

    assert [c.body for c in cards[busy.pk].first_comments] == ["Ý kiến 1", "Ý kiến 3", "Ý kiến 4"]
    for case in (quiet, busy, replied_only):
        one_case = first_comments_of(Case.objects.get(pk=case.pk), viewer)
        for expected in (one_case, prefetched[case.pk].first_comments):
            assert [
                (c.pk, c.helpful_count, c.viewer_found_helpful) for c in cards[case.pk].first_comments
            ] == [(c.pk, c.helpful_count, c.viewer_found_helpful) for c in expected]
    assert cards[quiet.pk].first_comments == []
    assert cards[replied_only.pk].first_comments == []  # a live reply under a deleted comment


def test_a_page_without_comments_reads_no_comments(graphql, viewer, peer):
    for minutes in range(3):
        post(peer, minutes)
    graphql.login(viewer)

    with CaptureQueriesContext(connection) as captured:
        cards = [edge["node"] for edge in data_of(graphql(FEED, {"first": 10}))["feed"]["edges"]]

    assert [card["firstComments"] for card in cards] == [[], [], []]
    assert comments_queries(captured) == 1  # the comment counts, in the page's query


def test_a_page_with_comments_reads_them_once(graphql, viewer, peer):
    cases = [post(peer, minutes) for minutes in range(4)]
    for case in cases[1:]:
        for n in range(4):
            comment_on(case, viewer, f"Ý kiến {n}")
    graphql.login(viewer)

    with CaptureQueriesContext(connection) as captured:
        cards = [edge["node"] for edge in data_of(graphql(FEED, {"first": 10}))["feed"]["edges"]]

    assert [len(card["firstComments"]) for card in cards] == [0, 3, 3, 3]
    assert [card["commentCount"] for card in cards] == [0, 4, 4, 4]
    assert comments_queries(captured) == 2  # the counts, then the first comments


def test_comment_authors_come_with_their_profile_only_when_asked(graphql, viewer, peer):
    """The home screen shows a comment's author by name: their facility and specialties are
    read only for a document that asks for them, and then for every comment at once."""
    peer.specialties.add(factories.specialty())
    for minutes in range(3):
        comment_on(post(viewer, minutes), peer, "Nên làm thêm siêu âm tim")
    profile = FEED.replace(
        "author { fullName }", "author { fullName facility { name } specialties { code } }"
    )
    graphql.login(viewer)

    with CaptureQueriesContext(connection) as lean:
        data_of(graphql(FEED, {"first": 10}))
    with CaptureQueriesContext(connection) as full:
        cards = [edge["node"] for edge in data_of(graphql(profile, {"first": 10}))["feed"]["edges"]]

    authors = [comment["author"] for card in cards for comment in card["firstComments"]]
    expected = {
        "fullName": peer.full_name,
        "facility": {"name": peer.facility.name},
        "specialties": [{"code": "cardiology"}],
    }
    assert authors == [expected] * 3
    assert len(full) == len(lean) + 1  # the comment authors' specialties, once for the page
