"""feed_page compiles its SQL once per page size and binds it to each viewer
(``network.selectors.feed._PageTemplate``): the bound SQL must be exactly what the selectors
build for that viewer, for doctors of every kind, and a page whose SQL came to depend on the
viewer otherwise than through bound parameters must be refused, not cached."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from network.models import Case, SpecialtyFollow
from network.selectors import feed
from network.selectors.feed import FeedPosition, feed_page
from tests import factories
from tests.network.test_cases_builders import block, connect, moderator, published_case

pytestmark = pytest.mark.django_db

NOW = timezone.now()


@pytest.fixture(autouse=True)
def fresh_templates() -> Iterator[None]:
    feed._page_template.cache_clear()
    yield
    feed._page_template.cache_clear()


def compiled(rows: Any) -> tuple[str, list[Any]]:
    sql, params = rows.query.get_compiler(rows.db).as_sql()
    return sql, list(params)


def bound(viewer: User, first: int, after: FeedPosition | None) -> tuple[str, list[Any]]:
    raw = feed._page_template(first, after is not None).bind(viewer.pk, after)
    return raw.sql, list(raw.params)


def doctors_of_every_kind() -> list[User]:
    lonely = factories.doctor()
    busy = factories.doctor(tier="district")
    for _ in range(2):
        connect(busy, factories.doctor())
    block(busy, factories.doctor())
    block(factories.doctor(), busy)
    factories.mentorship(factories.doctor(), busy)
    SpecialtyFollow.objects.create(doctor=busy, specialty=factories.specialty())
    staff = factories.doctor(is_staff=True, is_superuser=True)
    expiring = factories.doctor()
    User.objects.filter(pk=expiring.pk).update(licence_expires_on=timezone.localdate() + timedelta(days=1))
    return [lonely, busy, staff, moderator(), User.objects.get(pk=expiring.pk)]


@pytest.mark.parametrize("first", [1, 21])
@pytest.mark.parametrize("after", [None, FeedPosition(NOW, 42)], ids=["first page", "next page"])
def test_the_bound_sql_is_what_the_selectors_build_for_each_viewer(first, after):
    for viewer in doctors_of_every_kind():
        fresh = compiled(feed._page_ids(viewer, first=first, after=after))

        assert bound(viewer, first, after) == fresh


def test_the_page_reads_the_same_cases_bound_or_built():
    viewer = factories.doctor()
    peer = factories.doctor()
    connect(viewer, peer)
    cases = [published_case(peer, published_at=NOW - timedelta(minutes=n)) for n in range(5)]
    published_case(factories.doctor(), visibility=Case.Visibility.CONNECTIONS)  # not the viewer's

    page = list(feed_page(viewer, first=3, after=FeedPosition.of(cases[0])).values_list("pk", flat=True))

    built = feed._page_ids(viewer, first=3, after=FeedPosition.of(cases[0]))
    assert page == [row["pk"] for row in built] == [case.pk for case in cases[1:4]]


def test_a_page_whose_sql_depends_on_the_viewer_otherwise_is_refused(monkeypatch):
    visible_to = feed.cases_visible_to

    def written_in(viewer: Any) -> Any:
        # The viewer's id written into the SQL itself rather than passed as a parameter.
        return visible_to(viewer).extra(where=[f"{viewer.pk} <> 0"])  # noqa: S610 (the point of the test)

    monkeypatch.setattr(feed, "cases_visible_to", written_in)

    with pytest.raises(RuntimeError, match="depends on the viewer"):
        feed_page(factories.doctor(), first=20)


def test_a_page_whose_parameters_depend_on_the_viewer_otherwise_is_refused(monkeypatch):
    visible_to = feed.cases_visible_to

    def derived(viewer: Any) -> Any:
        return visible_to(viewer).exclude(author_id=viewer.pk + 1)

    monkeypatch.setattr(feed, "cases_visible_to", derived)

    with pytest.raises(RuntimeError, match="depends on the viewer"):
        feed_page(factories.doctor(), first=20)


def test_a_template_is_compiled_once_per_page_size_and_kind_of_page():
    viewers = [factories.doctor() for _ in range(3)]
    for viewer in viewers:
        feed_page(viewer, first=20)
        feed_page(viewer, first=20, after=FeedPosition(NOW, 42))

    assert feed._page_template.cache_info().currsize == 2


@pytest.mark.parametrize(
    ("condition", "refusal"),
    [
        # Today is the same for both probes: caught among the constants.
        (lambda: Q(author__licence_expires_on__gte=timezone.localdate()), "date parameter"),
        # Now differs between the two compilations already.
        (lambda: Q(published_at__lte=timezone.now()), "depends on the viewer"),
    ],
    ids=["today", "now"],
)
def test_a_page_with_a_date_of_its_own_is_refused(monkeypatch, condition, refusal):
    visible_to = feed.cases_visible_to

    def dated(viewer: Any) -> Any:
        return visible_to(viewer).filter(condition())

    monkeypatch.setattr(feed, "cases_visible_to", dated)

    with pytest.raises(RuntimeError, match=refusal):
        feed_page(factories.doctor(), first=20)
