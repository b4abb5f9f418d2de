"""The personalised feed: published cases the viewer may see, from the doctors they are
connected to, from their mentors and mentees, from the specialties they follow, and their own,
newest first.

:func:`feed_for` says which cases are in the feed; :func:`feed_page` fetches one page of it
fast at country scale, :func:`feed_cards` the same page as the screens' cards. Both start from
the visibility rule (``cases_visible_to``), so a case the viewer may not see (hidden, deleted,
a blocked author, connections-only or named cases not meant for them, drafts) never reaches
the feed.

A mentorship connects its two doctors when it starts, but either may later remove the
connection while the mentorship goes on: mentors and mentees are a source of their own.
"""

from __future__ import annotations

import base64
import binascii
import functools
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import Enum
from typing import Any

from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import BigIntegerField, Func, OuterRef, Q, QuerySet
from django.db.models.expressions import RawSQL

from accounts.models import User, VerificationStatus
from accounts.services import is_verified_doctor
from mentorship.models import Mentorship
from mentorship.selectors.partners import ACTIVE as ACTIVE_MENTORSHIP
from mentorship.selectors.partners import partner_ids
from network.models import Case, SpecialtyFollow
from network.selectors.cases import Viewer, cases_visible_to, load_first_comments, with_card_data
from network.selectors.connections import peer_ids

NEWEST_FIRST = ("-published_at", "-id")


@dataclass(frozen=True)
class FeedPosition:
    """Where a page of the feed ended: the last case's publication time and id.

    Pages continue strictly below this position, so a case published while the viewer scrolls
    shows at the top next time instead of shifting the following pages (no case is repeated or
    skipped, as offsets would)."""

    published_at: datetime
    case_id: int

    @classmethod
    def of(cls, case: Case) -> FeedPosition:
        assert case.published_at is not None
        return cls(case.published_at, case.pk)

    @property
    def cursor(self) -> str:
        raw = f"{self.published_at.isoformat()}|{self.case_id}"
        return base64.urlsafe_b64encode(raw.encode()).decode()

    @classmethod
    def from_cursor(cls, cursor: str) -> FeedPosition:
        """The position a cursor names; ValueError when it names none."""
        try:
            raw = base64.urlsafe_b64decode(cursor.encode("ascii")).decode()
            moment, case_id = raw.split("|")
            published_at = datetime.fromisoformat(moment)
            position = cls(published_at, int(case_id))
        except (ValueError, UnicodeError, binascii.Error) as error:
            raise ValueError("Not a feed cursor.") from error
        if published_at.tzinfo is None:
            raise ValueError("Not a feed cursor.")
        return position

    def older(self) -> Q:
        """Cases after this position in the feed's order."""
        # The first condition lets PostgreSQL start the index scan at the position; the second
        # breaks ties between cases published in the same microsecond.
        return Q(published_at__lte=self.published_at) & (
            Q(published_at__lt=self.published_at) | Q(pk__lt=self.case_id)
        )


def feed_for(viewer: Viewer) -> QuerySet[Case]:
    """Every case of the viewer's feed, newest first (by publication time, then id).

    A mature feed shows one's own posts too: a doctor sees their case where their peers do,
    with its new comments. Empty for anyone but a verified doctor.
    """
    visible = cases_visible_to(viewer)
    if not is_verified_doctor(viewer):
        return visible
    assert isinstance(viewer, User)
    followed = SpecialtyFollow.objects.filter(doctor_id=viewer.pk).values("specialty_id")
    return (
        visible.filter(published_at__isnull=False)
        .filter(
            Q(author_id=viewer.pk)
            | Q(author_id__in=peer_ids(viewer.pk))
            | Q(author_id__in=partner_ids(viewer.pk))
            | Q(specialty_id__in=followed)
        )
        .order_by(*NEWEST_FIRST)
    )


def feed_page(viewer: Viewer, *, first: int, after: FeedPosition | None = None) -> QuerySet[Case]:
    """The next ``first`` cases of :func:`feed_for` after ``after``, fetched fast at scale.

    The feed is the union of its sources (each doctor whose cases it shows: connections,
    mentors, mentees, oneself; each followed specialty), so its next ``first`` cases are among
    the next ``first`` visible ones of each source. Each source's are found by walking its own
    index (author or specialty, by publication time), and only those few hundred candidates are
    sorted: the cost follows the viewer's number of sources and the page size, not the millions
    of cases around them nor how sparse their feed is.

    The page is cut from the candidates' ids before anything is joined to it, so whatever the
    caller adds (``with_card_data``) reads ``first`` rows, not every candidate. Its SQL is
    built once per page size (see :class:`_PageTemplate`) and bound to the viewer.
    """
    if not is_verified_doctor(viewer):
        return Case.objects.none()
    assert isinstance(viewer, User)
    page = _page_template(first, after is not None).bind(viewer.pk, after)
    return Case.objects.filter(pk__in=page).order_by(*NEWEST_FIRST)


def feed_cards(
    viewer: Viewer,
    *,
    first: int,
    after: FeedPosition | None = None,
    attachments: bool = True,
    accepted_answer: bool = True,
    comment_author_profile: bool = True,
) -> list[Case]:
    """:func:`feed_page` as cards (``with_card_data``, options passed on).

    First comments are loaded once the page is known, for its cases that have comments only: a
    page of new cases nobody has answered yet (the top of a feed, often) reads none; their
    authors without facility and specialties unless ``comment_author_profile``."""
    cards = with_card_data(
        feed_page(viewer, first=first, after=after),
        viewer,
        attachments=attachments,
        accepted_answer=accepted_answer,
        first_comments=False,
    )
    cases = list(cards)
    load_first_comments(cases, viewer, author_profile=comment_author_profile)
    return cases


def _page_ids(viewer: User, *, first: int, after: FeedPosition | None) -> QuerySet[Case, Any]:
    """The ids of :func:`feed_page`'s cases, newest first: the query its SQL is compiled from."""
    visible = cases_visible_to(viewer).filter(published_at__isnull=False)
    if after is not None:
        visible = visible.filter(after.older())

    def each(sources: QuerySet[Any], **source: object) -> QuerySet[Any, Any]:
        # One index walk per source row, its ids spread back into rows (a lateral join).
        newest = visible.filter(**source).order_by(*NEWEST_FIRST).values("pk")[:first]
        ids = Func(ArraySubquery(newest), function="unnest", output_field=BigIntegerField())
        return sources.order_by().values(case_id=ids)

    # The doctors whose cases the feed shows, each once: one walk per author however many ways
    # the viewer is tied to them, and the visibility rule written into the query twice (authors,
    # specialties) rather than once per kind of source.
    ties = (
        peer_ids(viewer.pk),
        Mentorship.objects.filter(ACTIVE_MENTORSHIP, mentor_id=viewer.pk).values_list("mentee_id"),
        Mentorship.objects.filter(ACTIVE_MENTORSHIP, mentee_id=viewer.pk).values_list("mentor_id"),
        User.objects.filter(pk=viewer.pk).values_list("pk"),
    )
    # Unordered: the models' default orderings would only make PostgreSQL sort each part.
    connections, *others = (tie.order_by() for tie in ties)
    authors = connections.union(*others, all=True)
    candidates = each(User.objects.filter(pk__in=_compiled(authors)), author_id=OuterRef("pk")).union(
        each(SpecialtyFollow.objects.filter(doctor_id=viewer.pk), specialty_id=OuterRef("specialty_id")),
        all=True,
    )
    return Case.objects.filter(pk__in=_compiled(candidates)).order_by(*NEWEST_FIRST).values("pk")[:first]


class _Slot(Enum):
    """A parameter of the page's SQL that is the viewer's or the position's, not a constant."""

    VIEWER = "viewer"
    AFTER_PUBLISHED_AT = "after.published_at"
    AFTER_CASE_ID = "after.case_id"


@dataclass(frozen=True)
class _PageTemplate:
    """:func:`_page_ids` compiled once, its viewer and position left as slots to bind.

    Building and compiling the page (the visibility rule twice, inside per-source walks, inside
    a union) cost PostgreSQL's time to run it twice over in Python, on every request; its SQL is
    the same for every verified doctor, only the parameters differ. The template is compiled
    from the real selectors for two made-up doctors and positions, and refused unless the two
    compilations differ in nothing but those slots, so a rule whose shape came to depend on a
    doctor's id or a parameter derived from it fails loudly instead of being cached wrong.

    A date among the constants (a rule's "today") is refused too: the template would keep it.
    What the compilation cannot see is a rule whose shape depends on another attribute of the
    viewer (``cases_visible_to`` documents that it does not):
    ``tests/network/test_feed_template.py`` compares the template with a fresh compilation for
    doctors of every kind.
    """

    sql: str
    params: tuple[object, ...]

    def bind(self, viewer_id: int, after: FeedPosition | None) -> RawSQL:
        values: dict[_Slot, object] = {_Slot.VIEWER: viewer_id}
        if after is not None:
            values |= {_Slot.AFTER_PUBLISHED_AT: after.published_at, _Slot.AFTER_CASE_ID: after.case_id}
        params = [values[param] if isinstance(param, _Slot) else param for param in self.params]
        return RawSQL(self.sql, params)  # noqa: S611 (SQL and parameters from Django's compiler)


# Two doctors and positions no row can have, to compile the template from (negative ids).
_PROBES = (
    (
        -7_000_000_000_000_001,
        FeedPosition(datetime(1901, 2, 3, 4, 5, 6, 7, tzinfo=UTC), -7_000_000_000_000_002),
    ),
    (
        -8_000_000_000_000_001,
        FeedPosition(datetime(1902, 3, 4, 5, 6, 7, 8, tzinfo=UTC), -8_000_000_000_000_002),
    ),
)


def _slot_of(value: object, viewer_id: int, after: FeedPosition | None) -> _Slot | None:
    if type(value) is int and value == viewer_id:
        return _Slot.VIEWER
    if after is not None and type(value) is int and value == after.case_id:
        return _Slot.AFTER_CASE_ID
    if after is not None and isinstance(value, datetime) and value == after.published_at:
        return _Slot.AFTER_PUBLISHED_AT
    return None


@functools.lru_cache(maxsize=256)
def _page_template(first: int, has_after: bool) -> _PageTemplate:
    compiled: list[tuple[str, list[object | _Slot]]] = []
    for viewer_id, position in _PROBES:
        doctor = User(pk=viewer_id, is_active=True, verification_status=VerificationStatus.VERIFIED)
        after = position if has_after else None
        rows = _page_ids(doctor, first=first, after=after)
        sql, params = rows.query.get_compiler(rows.db).as_sql()
        compiled.append((sql, [_slot_of(value, viewer_id, after) or value for value in params]))
    (sql, params), other = compiled
    if other != (sql, params):
        raise RuntimeError(
            "The feed page's SQL depends on the viewer otherwise than through bound parameters."
        )
    if any(isinstance(param, date) for param in params):
        # A date of the rule's own (today, now) would stay the day the template was compiled.
        raise RuntimeError("The feed page's SQL has a date parameter: compare with Now() instead.")
    return _PageTemplate(sql, tuple(params))


def _compiled(rows: QuerySet[Any, Any]) -> RawSQL:
    """``rows`` compiled to SQL now, to nest as a subquery whose tree Django no longer walks.

    Django copies, relabels and resolves a nested queryset's whole tree again at every level it
    is nested into; for the candidates (the visibility rule twice, inside per-source walks,
    inside a union) that cost more Python time than PostgreSQL takes to run the page. The SQL
    is the same either way. Only for a self-contained queryset (no ``OuterRef``).
    """
    sql, params = rows.query.get_compiler(rows.db).as_sql()
    return RawSQL(sql, params)  # noqa: S611 (SQL and bound parameters from Django's compiler)
