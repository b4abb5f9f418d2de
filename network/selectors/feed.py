"""The personalised feed: published cases the viewer may see, from the doctors they are
connected to, from their mentors and mentees, from the specialties they follow, and their own,
newest first.

:func:`feed_for` says which cases are in the feed; :func:`feed_page` fetches one page of it
fast at country scale. Both start from the visibility rule (``cases_visible_to``), so a case
the viewer may not see (hidden, deleted, a blocked author, connections-only or named cases
not meant for them, drafts) never reaches the feed.

A mentorship connects its two doctors when it starts, but either may later remove the
connection while the mentorship goes on: mentors and mentees are a source of their own.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import BigIntegerField, Func, OuterRef, Q, QuerySet
from django.db.models.expressions import RawSQL

from accounts.models import User
from accounts.services import is_verified_doctor
from mentorship.models import Mentorship
from mentorship.selectors.partners import ACTIVE as ACTIVE_MENTORSHIP
from mentorship.selectors.partners import partner_ids
from network.models import Case, SpecialtyFollow
from network.selectors.cases import Viewer, cases_visible_to
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
    caller adds (``with_card_data``) reads ``first`` rows, not every candidate.
    """
    if not is_verified_doctor(viewer):
        return Case.objects.none()
    assert isinstance(viewer, User)
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
    page = Case.objects.filter(pk__in=_compiled(candidates)).order_by(*NEWEST_FIRST).values("pk")[:first]
    return Case.objects.filter(pk__in=page).order_by(*NEWEST_FIRST)


def _compiled(rows: QuerySet[Any, Any]) -> RawSQL:
    """``rows`` compiled to SQL now, to nest as a subquery whose tree Django no longer walks.

    Django copies, relabels and resolves a nested queryset's whole tree again at every level it
    is nested into; for the candidates (the visibility rule twice, inside per-source walks,
    inside a union) that cost more Python time than PostgreSQL takes to run the page. The SQL
    is the same either way. Only for a self-contained queryset (no ``OuterRef``).
    """
    sql, params = rows.query.get_compiler(rows.db).as_sql()
    return RawSQL(sql, params)  # noqa: S611 (SQL and bound parameters from Django's compiler)
