"""The personalised feed: which cases it shows (connections, mentors and mentees, followed
specialties, one's own),
what it never shows (every case the visibility rule hides), its order and its cursor pages,
over the selectors and over GraphQL, in a constant number of queries."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import User, VerificationStatus
from mentorship.services.mentorships import end_mentorship
from network.models import Case, SpecialtyFollow
from network.selectors.feed import FeedPosition, feed_for, feed_page
from network.services.connections import remove_connection
from network.services.follows import follow_specialty, unfollow_specialty
from tests import factories
from tests.graphql import conftest as graphql_conftest
from tests.graphql.conftest import data_of, error_codes
from tests.network.test_cases_builders import block, case_gid, comment_on, connect, published_case

pytestmark = pytest.mark.django_db

# The fixture of tests/graphql: operations as ``graphql.login(user)``, over HTTP.
graphql = graphql_conftest.graphql

FEED = """query ($first: Int!, $after: String) { feed(first: $first, after: $after) {
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node {
        id title publishedAt commentCount status visibility
        specialty { code name }
        author { id fullName title facility { name tier province { name } } specialties { code name } }
        firstComments { id body createdAt helpfulCount author { id fullName title } }
    } }
} }"""

NOW = timezone.now()


def ago(minutes: float) -> datetime:
    return NOW - timedelta(minutes=minutes)


def paediatrics():
    return factories.specialty(code="paediatrics", name_vi="Nhi khoa", name_en="Paediatrics")


def post(author: User, *, specialty=None, minutes_ago: float = 0, **extra: Any) -> Case:
    """A case published ``minutes_ago`` (in cardiology unless ``specialty`` is given)."""
    case = published_case(author, published_at=ago(minutes_ago), **extra)
    if specialty is not None:
        Case.objects.filter(pk=case.pk).update(specialty=specialty)
        case.specialty = specialty
    return case


def feed_ids(viewer: User) -> list[int]:
    return list(feed_for(viewer).values_list("pk", flat=True))


def walk_pages(viewer: User, first: int) -> list[int]:
    """The whole feed read page by page through feed_page, as the clients do."""
    seen: list[int] = []
    position = None
    while True:
        page = list(feed_page(viewer, first=first, after=position))
        seen.extend(case.pk for case in page)
        if len(page) < first:
            return seen
        position = FeedPosition.of(page[-1])


def graphql_feed(graphql, viewer: User, first: int = 50, after: str | None = None) -> dict[str, Any]:
    graphql.login(viewer)
    return data_of(graphql(FEED, {"first": first, "after": after}))["feed"]


def graphql_ids(graphql, viewer: User, first: int = 50) -> list[str]:
    return [edge["node"]["id"] for edge in graphql_feed(graphql, viewer, first)["edges"]]


@pytest.fixture
def stranger() -> User:
    return factories.doctor()


# --- What the feed shows ---------------------------------------------------------------------


def test_the_feed_shows_connections_followed_specialties_and_own_cases_newest_first(
    graphql, viewer, peer, stranger
):
    SpecialtyFollow.objects.create(doctor=viewer, specialty=paediatrics())
    from_peer = post(peer, minutes_ago=30)
    from_followed_specialty = post(stranger, specialty=paediatrics(), minutes_ago=20)
    own = post(viewer, minutes_ago=10)
    peer_connections_only = post(peer, visibility=Case.Visibility.CONNECTIONS, minutes_ago=5)
    peer_named_for_viewer = post(peer, visibility=Case.Visibility.NAMED, audience=(viewer,), minutes_ago=1)
    post(stranger, minutes_ago=2)  # a stranger's case in a specialty the viewer does not follow

    expected = [peer_named_for_viewer, peer_connections_only, own, from_followed_specialty, from_peer]
    assert feed_ids(viewer) == [case.pk for case in expected]
    assert walk_pages(viewer, first=2) == [case.pk for case in expected]
    assert graphql_ids(graphql, viewer) == [case_gid(case) for case in expected]


def test_following_and_unfollowing_a_specialty_adds_and_removes_its_cases(graphql, viewer, stranger):
    children = paediatrics()
    case = post(stranger, specialty=children)
    assert case_gid(case) not in graphql_ids(graphql, viewer)

    follow_specialty(viewer, children.pk)
    assert graphql_ids(graphql, viewer) == [case_gid(case)]
    assert feed_ids(viewer) == [case.pk]

    unfollow_specialty(viewer, children.pk)
    assert graphql_ids(graphql, viewer) == []
    assert feed_ids(viewer) == []


def test_connecting_brings_a_doctors_cases_into_the_feed(viewer, stranger):
    case = post(stranger, visibility=Case.Visibility.CONNECTIONS)
    assert feed_ids(viewer) == []

    connect(viewer, stranger)

    assert feed_ids(viewer) == [case.pk]


def test_mentors_and_mentees_cases_stay_in_the_feed_after_the_connection_is_removed(graphql):
    mentor = factories.doctor(tier="central")
    mentee = factories.doctor(tier="provincial")
    factories.mentorship(mentor, mentee)  # starting it connects them
    mentees_case = post(mentee, minutes_ago=2)
    mentors_case = post(mentor, minutes_ago=1)
    remove_connection(mentee, mentor.pk)

    assert feed_ids(mentor) == [mentors_case.pk, mentees_case.pk]
    assert feed_ids(mentee) == [mentors_case.pk, mentees_case.pk]
    assert walk_pages(mentor, first=1) == feed_ids(mentor)
    assert graphql_ids(graphql, mentee) == [case_gid(mentors_case), case_gid(mentees_case)]


def test_an_ended_mentorship_is_no_source(viewer):
    mentee = factories.doctor(tier="provincial")
    mentor = factories.doctor(tier="central")
    mentorship = factories.mentorship(mentor, mentee)
    post(mentee, visibility=Case.Visibility.NETWORK)
    remove_connection(mentor, mentee.pk)
    end_mentorship(mentor, mentorship.public_id, reason="Kết thúc chương trình")

    assert feed_ids(mentor) == []
    assert walk_pages(mentor, first=5) == []


# --- What it never shows -------------------------------------------------------------------------


def named_for_someone_else(viewer: User, peer: User, stranger: User) -> Case:
    return post(peer, visibility=Case.Visibility.NAMED, audience=(stranger,))


def connections_only_of_a_non_connection(viewer: User, peer: User, stranger: User) -> Case:
    SpecialtyFollow.objects.get_or_create(doctor=viewer, specialty=paediatrics())
    return post(stranger, specialty=paediatrics(), visibility=Case.Visibility.CONNECTIONS)


def by_a_doctor_the_viewer_blocked(viewer: User, peer: User, stranger: User) -> Case:
    block(viewer, peer)  # the connection rows are left in place: the rule alone must hide it
    return post(peer)


def by_a_doctor_who_blocked_the_viewer(viewer: User, peer: User, stranger: User) -> Case:
    block(peer, viewer)
    return post(peer)


def by_a_blocked_doctor_in_a_followed_specialty(viewer: User, peer: User, stranger: User) -> Case:
    SpecialtyFollow.objects.get_or_create(doctor=viewer, specialty=paediatrics())
    block(stranger, viewer)
    return post(stranger, specialty=paediatrics())


def hidden_by_a_moderator(viewer: User, peer: User, stranger: User) -> Case:
    return post(peer, hidden_at=NOW, hidden_reason="Identifies a patient")


def deleted_by_its_author(viewer: User, peer: User, stranger: User) -> Case:
    return post(peer, deleted_at=NOW)


def a_connections_draft(viewer: User, peer: User, stranger: User) -> Case:
    return published_case(peer, status=Case.Status.DRAFT)


def the_viewers_own_draft(viewer: User, peer: User, stranger: User) -> Case:
    return published_case(viewer, status=Case.Status.DRAFT)


def the_viewers_own_deleted_case(viewer: User, peer: User, stranger: User) -> Case:
    return post(viewer, deleted_at=NOW)


@pytest.mark.parametrize(
    "unseen",
    [
        named_for_someone_else,
        connections_only_of_a_non_connection,
        by_a_doctor_the_viewer_blocked,
        by_a_doctor_who_blocked_the_viewer,
        by_a_blocked_doctor_in_a_followed_specialty,
        hidden_by_a_moderator,
        deleted_by_its_author,
        a_connections_draft,
        the_viewers_own_draft,
        the_viewers_own_deleted_case,
    ],
)
def test_a_case_the_viewer_may_not_see_never_reaches_the_feed(graphql, viewer, peer, stranger, unseen):
    other_peer = factories.doctor()
    connect(viewer, other_peer)
    shown = post(other_peer, minutes_ago=60)  # proves the feed is not simply empty
    case = unseen(viewer, peer, stranger)

    assert feed_ids(viewer) == [shown.pk]
    assert walk_pages(viewer, first=1) == [shown.pk]
    assert graphql_ids(graphql, viewer) == [case_gid(shown)]
    assert case.pk not in set(feed_page(viewer, first=50).values_list("pk", flat=True))


def test_a_case_leaves_the_feed_once_hidden_deleted_or_its_author_blocked(viewer, peer):
    cases = [post(peer, minutes_ago=n) for n in range(3)]
    assert feed_ids(viewer) == [case.pk for case in cases]

    Case.objects.filter(pk=cases[0].pk).update(hidden_at=NOW)
    Case.objects.filter(pk=cases[1].pk).update(deleted_at=NOW)
    assert feed_ids(viewer) == [cases[2].pk]

    block(peer, viewer)
    assert feed_ids(viewer) == []
    assert walk_pages(viewer, first=5) == []


# --- Order and pages -------------------------------------------------------------------------


def test_the_feed_is_ordered_by_publication_time_then_id(graphql, viewer, peer):
    published_later = published_case(peer, published_at=ago(1), created_at=ago(500))
    same_moment = [post(peer, minutes_ago=10) for _ in range(3)]
    Case.objects.filter(pk__in=[c.pk for c in same_moment]).update(published_at=ago(10))
    oldest = post(peer, minutes_ago=100)

    expected = [published_later, *sorted(same_moment, key=lambda c: -c.pk), oldest]
    assert feed_ids(viewer) == [case.pk for case in expected]
    assert walk_pages(viewer, first=1) == [case.pk for case in expected]
    assert walk_pages(viewer, first=2) == [case.pk for case in expected]
    assert graphql_ids(graphql, viewer) == [case_gid(case) for case in expected]


def test_cursor_pages_stay_stable_when_a_case_is_published_between_pages(graphql, viewer, peer):
    cases = [post(peer, minutes_ago=10 * (n + 1)) for n in range(5)]  # newest first

    first_page = graphql_feed(graphql, viewer, first=2)
    assert [edge["node"]["id"] for edge in first_page["edges"]] == [case_gid(c) for c in cases[:2]]
    assert first_page["pageInfo"]["hasNextPage"] is True
    assert first_page["pageInfo"]["hasPreviousPage"] is False
    assert first_page["pageInfo"]["endCursor"] == first_page["edges"][-1]["cursor"]

    fresh = post(peer)  # published while the doctor reads the first page

    second_page = graphql_feed(graphql, viewer, first=2, after=first_page["pageInfo"]["endCursor"])
    assert [edge["node"]["id"] for edge in second_page["edges"]] == [case_gid(c) for c in cases[2:4]]
    assert second_page["pageInfo"]["hasPreviousPage"] is True
    last_page = graphql_feed(graphql, viewer, first=2, after=second_page["pageInfo"]["endCursor"])
    assert [edge["node"]["id"] for edge in last_page["edges"]] == [case_gid(cases[4])]
    assert last_page["pageInfo"]["hasNextPage"] is False

    # Pulling to refresh starts from the top again, where the new case now is.
    assert graphql_ids(graphql, viewer, first=1) == [case_gid(fresh)]


def test_paging_through_a_mixed_feed_returns_exactly_the_feed(viewer):
    """Every source's newest cases are looked up on their own (connections, mentees, specialties,
    own):
    pages must still be exactly the feed, however sources interleave and whatever they hide."""
    rng = random.Random(7)
    specialties = [
        factories.specialty(code=f"s{n}", name_vi=f"Chuyên khoa {n}", name_en=f"S{n}") for n in range(3)
    ]
    for specialty in specialties[:2]:
        SpecialtyFollow.objects.create(doctor=viewer, specialty=specialty)
    peers = [factories.doctor() for _ in range(4)]
    for doctor in peers:
        connect(viewer, doctor)
    strangers = [factories.doctor() for _ in range(4)]
    block(strangers[0], viewer)
    block(viewer, peers[3])
    mentee = factories.doctor(tier="district")
    factories.mentorship(viewer, mentee)
    remove_connection(viewer, mentee.pk)  # a source as a mentee, not as a connection
    visibilities = list(Case.Visibility)
    for minute in range(120):
        author = rng.choice([viewer, *peers, *strangers, mentee])
        extra: dict[str, Any] = {}
        roll = rng.random()
        if roll < 0.05:
            extra["hidden_at"] = NOW
        elif roll < 0.1:
            extra["deleted_at"] = NOW
        visibility = rng.choice(visibilities)
        audience = (
            tuple(rng.sample([viewer, *peers, *strangers], 2)) if visibility == Case.Visibility.NAMED else ()
        )
        if roll > 0.95:
            published_case(author, status=Case.Status.DRAFT)
            continue
        post(
            author,
            specialty=rng.choice(specialties),
            minutes_ago=minute // 2,  # pairs of cases share a moment: ties are broken by id
            visibility=visibility,
            audience=audience,
            **extra,
        )

    expected = feed_ids(viewer)
    assert 30 < len(expected) < 110
    for first in (1, 3, 7, 50):
        assert walk_pages(viewer, first=first) == expected


# --- Who may read it ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "status", [VerificationStatus.PENDING, VerificationStatus.UNVERIFIED, VerificationStatus.REVOKED]
)
def test_only_verified_doctors_have_a_feed(graphql, peer, status):
    doctor = factories.doctor(status=status)
    connect(doctor, peer)
    post(peer)
    graphql.login(doctor)

    result = graphql(FEED, {"first": 10})

    assert error_codes(result) == ["NOT_VERIFIED"]
    assert result["data"] is None
    assert feed_ids(doctor) == []
    assert list(feed_page(doctor, first=10)) == []


def test_anonymous_visitors_have_no_feed(graphql):
    result = graphql(FEED, {"first": 10})

    assert error_codes(result) == ["NOT_AUTHENTICATED"]


@pytest.mark.parametrize("cursor", ["not-a-cursor", "bm9wZQ==", FeedPosition(NOW, 1).cursor[:-4] + "@@@@"])
def test_a_malformed_cursor_is_refused(graphql, viewer, cursor):
    graphql.login(viewer)

    result = graphql(FEED, {"first": 10, "after": cursor})

    assert error_codes(result) == ["INVALID"]


@pytest.mark.parametrize("first", [0, 101])
def test_the_page_size_is_bounded(graphql, viewer, first):
    graphql.login(viewer)

    result = graphql(FEED, {"first": first}, status=400)  # refused before execution

    assert error_codes(result) == ["PAGE_SIZE_OUT_OF_RANGE"]


def test_a_cursor_names_a_position_and_nothing_else():
    position = FeedPosition(NOW, 42)

    assert FeedPosition.from_cursor(position.cursor) == position


# --- Cost ------------------------------------------------------------------------------------


def test_the_page_writes_the_visibility_rule_once_per_kind_of_source(viewer):
    # One walk over the authors and one over the followed specialties, however many of each:
    # a copy of the rule per source would grow the query, and its planning, with the network.
    SpecialtyFollow.objects.create(doctor=viewer, specialty=paediatrics())
    SpecialtyFollow.objects.create(doctor=viewer, specialty=factories.specialty())
    for _ in range(3):
        connect(viewer, factories.doctor())

    for after in (None, FeedPosition(NOW, 42)):
        sql = str(feed_page(viewer, first=20, after=after).query)
        assert sql.count("network_caseaudience") == 2


def test_the_feed_costs_the_same_for_1_and_50_cases(graphql, viewer, django_assert_max_num_queries):
    SpecialtyFollow.objects.create(doctor=viewer, specialty=paediatrics())
    authors = [factories.doctor() for _ in range(5)]
    for author in authors[:3]:
        connect(viewer, author)
        author.specialties.add(paediatrics(), factories.specialty())
    for n in range(55):
        # Connections post in either specialty; the two strangers in the followed one.
        case = post(authors[n % 5], specialty=paediatrics() if n % 2 or n % 5 > 2 else None, minutes_ago=n)
        for k in range(n % 5):
            top = comment_on(case, authors[(n + k + 1) % 5])
            comment_on(case, authors[n % 5], parent=top)
    graphql.login(viewer)

    with CaptureQueriesContext(connection) as small:
        page = data_of(graphql(FEED, {"first": 1}))["feed"]
    assert len(page["edges"]) == 1
    with django_assert_max_num_queries(len(small)):
        page = data_of(graphql(FEED, {"first": 50}))["feed"]

    assert len(page["edges"]) == 50
    assert page["pageInfo"]["hasNextPage"] is True
    cards = [edge["node"] for edge in page["edges"]]
    assert {card["commentCount"] for card in cards} == {0, 2, 4, 6, 8}  # n % 5 comments and replies
    assert {len(card["firstComments"]) for card in cards} == {0, 1, 2, 3}  # top-level only, three at most
    assert all(card["author"]["facility"]["province"]["name"] for card in cards)
