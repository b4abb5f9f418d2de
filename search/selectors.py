"""Search reads: who may find what, and one page of results shaped for a screen.

The scopes come from the owning apps' rules, written there once: ``cases_visible_to`` for
cases; verified doctors (every account for a verifier), never one blocked either way, for
doctors; active facilities for facilities. Whatever backend ranks, the page's rows are loaded
through the scope again, so nothing the viewer may not see is returned, counted or highlighted
(the Elasticsearch backend applies the same scope inside its query, so its facets agree).

When Elasticsearch fails at query time, PostgreSQL answers and the failure is logged; later
searches go straight to PostgreSQL for a while (``search.breaker``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import Model, QuerySet
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from accounts.models import User, VerificationStatus
from accounts.selectors import is_verifier, verified_doctors_q, with_profile
from accounts.services import is_verified_doctor
from common.errors import FieldError, ServiceError
from facilities.models import Facility, Tier
from facilities.selectors import active_facilities
from network.models import Case
from network.selectors.cases import cases_visible_to, with_card_data
from network.selectors.connections import blocked_either_way_ids
from search import backends, breaker
from search.backends.base import (
    NAMED_FACETS,
    CaseQuery,
    CaseScope,
    DoctorQuery,
    DoctorScope,
    FacetValue,
    FacilityQuery,
    Hits,
    SearchBackend,
)
from search.errors import SearchErrorCode
from search.folding import folded_words
from search.highlight import Highlight, fragment

logger = logging.getLogger("search")

Viewer = AbstractBaseUser | AnonymousUser | None
Row = TypeVar("Row", bound=Model)

MAX_QUERY_LENGTH = 200
# How deep results can be paged (Elasticsearch's default max_result_window).
MAX_RESULTS = 10_000

# What a highlight is taken from, per kind, in the order fragments are shown.
DOCTOR_HIGHLIGHTS = ("full_name",)
FACILITY_HIGHLIGHTS = ("name",)
CASE_HIGHLIGHTS = ("title", "presenting_problem", "question", "history", "findings", "investigations")


@dataclass(frozen=True)
class Facet:
    """One value of a facet: ``key`` as the filter takes it (an id, a code, a choice value)."""

    key: str
    label: str
    count: int


@dataclass
class SearchPage(Generic[Row]):
    rows: list[Row]
    total: int
    facets: dict[str, list[Facet]] = field(default_factory=dict)
    highlights: dict[int, list[Highlight]] = field(default_factory=dict)
    backend: str = ""


# --- Scopes ------------------------------------------------------------------------------------


def doctor_scope(viewer: Viewer) -> DoctorScope:
    """Verified doctors (every account for a verifier), never one blocked either way; nobody for
    an anonymous viewer."""
    if not isinstance(viewer, User) or not viewer.is_authenticated:
        none = User.objects.none()
        return DoctorScope(doctors=none, all_accounts=False, excluded_ids=none.values_list("pk", flat=True))
    all_accounts = is_verifier(viewer)
    doctors = User.objects.all() if all_accounts else User.objects.filter(verified_doctors_q())
    excluded = blocked_either_way_ids(viewer.pk)
    return DoctorScope(
        doctors=doctors.exclude(pk__in=excluded), all_accounts=all_accounts, excluded_ids=excluded
    )


def case_scope(viewer: Viewer) -> CaseScope:
    verified = is_verified_doctor(viewer)
    return CaseScope(viewer_id=viewer.pk if verified and viewer else None, cases=cases_visible_to(viewer))


# --- Input -----------------------------------------------------------------------------------


def _check(text: str, offset: int, limit: int, problems: list[FieldError]) -> None:
    if len(text) > MAX_QUERY_LENGTH:
        problems.append(
            FieldError(
                SearchErrorCode.QUERY_TOO_LONG,
                _("Search with at most %(length)d characters.") % {"length": MAX_QUERY_LENGTH},
                "query",
            )
        )
    if offset + limit > MAX_RESULTS:
        # Paging deeper costs every match up to the page (and Elasticsearch refuses it).
        problems.append(
            FieldError(
                SearchErrorCode.PAGE_TOO_DEEP,
                _("Only the first %(count)d results can be paged through: refine the search.")
                % {"count": MAX_RESULTS},
                "after",
            )
        )
    if problems:
        raise ServiceError.many(problems)


def _check_case_query(query: CaseQuery, offset: int, limit: int) -> None:
    problems: list[FieldError] = []
    if query.published_from and query.published_to and query.published_from > query.published_to:
        problems.append(
            FieldError(
                SearchErrorCode.INVALID_DATE_RANGE, _("The end date is before the start date."), "publishedTo"
            )
        )
    _check(query.text, offset, limit, problems)


# --- Searches ----------------------------------------------------------------------------------


def _ranked(run: Callable[[SearchBackend], Hits]) -> tuple[Hits, str]:
    """The configured backend's answer, or PostgreSQL's when Elasticsearch fails (logged) or
    was seen down a moment ago (``search.breaker``)."""
    backend = backends.configured()
    if backend.name != "postgresql":
        if not breaker.elasticsearch_resting():
            from elastic_transport import TransportError
            from elasticsearch import ApiError

            try:
                return run(backend), backend.name
            except (TransportError, ApiError) as error:
                if breaker.is_outage(error):
                    logger.warning(
                        "Elasticsearch unavailable, PostgreSQL answers searches for the next %s s: %s",
                        settings.ELASTICSEARCH_PAUSE_SECONDS,
                        error,
                    )
                    breaker.elasticsearch_failed()
                else:  # this search refused (a bug to fix): the next one may go through
                    logger.error("Elasticsearch refused a search, PostgreSQL answers it: %s", error)
        backend = backends.postgres()
    return run(backend), backend.name


def _in_order(rows: QuerySet[Row], ids: list[int]) -> list[Row]:
    by_id = {row.pk: row for row in rows.filter(pk__in=ids)}
    return [by_id[pk] for pk in ids if pk in by_id]


def _highlights(rows: list[Row], text: str, fields: tuple[str, ...]) -> dict[int, list[Highlight]]:
    """The rows' fields marked where ``text``'s words occur, taken from the rows as loaded now
    (whatever the backend, so text edited out since it was indexed never shows)."""
    words = set(folded_words(text))
    if not words:
        return {}
    found: dict[int, list[Highlight]] = {}
    for row in rows:
        for name in fields:
            marked = fragment(getattr(row, name) or "", words)
            if marked is not None:
                found.setdefault(row.pk, []).append(Highlight(field=name, fragment=marked))
    return found


def _labelled(facets: dict[str, list[FacetValue]]) -> dict[str, list[Facet]]:
    """Facet values with their labels in the request's language (reference rows' names as the
    backend read them with the counts, else looked up here)."""
    english = (get_language() or "").startswith("en")
    labels: dict[str, dict[str, str]] = {
        "tier": {value: str(label) for value, label in Tier.choices},
        "verification_status": {value: str(label) for value, label in VerificationStatus.choices},
        "status": {value: str(label) for value, label in Case.Status.choices},
    }
    for name, (model, vi, en) in NAMED_FACETS.items():
        values = facets.get(name)
        if not values:
            continue
        if all(value.names is not None for value in values):
            labels[name] = {value.value: value.names[1 if english else 0] for value in values if value.names}
            continue
        keys = [int(value.value) for value in values]
        labels[name] = {
            str(pk): names[1 if english else 0]
            for pk, *names in model.objects.filter(pk__in=keys).values_list("pk", vi, en)
        }
    return {
        name: [
            Facet(
                key=value.value, label=labels.get(name, {}).get(value.value, value.value), count=value.count
            )
            for value in values
            if value.value in labels.get(name, {})
        ]
        for name, values in facets.items()
    }


def _page_of(
    hits: Hits, backend: str, scope: QuerySet[Row], load: QuerySet[Row], text: str, fields: tuple[str, ...]
) -> SearchPage[Row]:
    """The page's rows, loaded with ``load``'s joins. Ids from PostgreSQL were selected through
    ``scope`` in this request; ids from Elasticsearch go through ``scope`` again (an index
    behind its rows must not show what the viewer may no longer see)."""
    rows = _in_order(load if backend == "postgresql" else load.filter(pk__in=scope.values("pk")), hits.ids)
    return SearchPage(
        rows=rows,
        total=hits.total,
        facets=_labelled(hits.facets),
        highlights=_highlights(rows, text, fields),
        backend=backend,
    )


def search_doctors(viewer: Viewer, query: DoctorQuery, *, offset: int, limit: int) -> SearchPage[User]:
    """Doctors matching ``query`` that ``viewer`` may find, best first, with facets."""
    _check(query.text, offset, limit, [])
    scope = doctor_scope(viewer)
    hits, backend = _ranked(lambda engine: engine.doctors(scope, query, offset, limit))
    return _page_of(
        hits, backend, scope.doctors, with_profile(User.objects.all()), query.text, DOCTOR_HIGHLIGHTS
    )


def search_facilities(query: FacilityQuery, *, offset: int, limit: int) -> SearchPage[Facility]:
    """Active facilities matching ``query``, best first, with facets (public reference data)."""
    _check(query.text, offset, limit, [])
    scope = active_facilities()
    hits, backend = _ranked(lambda engine: engine.facilities(scope, query, offset, limit))
    return _page_of(hits, backend, scope, scope, query.text, FACILITY_HIGHLIGHTS)


def search_cases(
    viewer: Viewer, query: CaseQuery, *, offset: int, limit: int, card_options: dict[str, Any] | None = None
) -> SearchPage[Case]:
    """Cases matching ``query`` that ``viewer`` may open (``cases_visible_to``), by relevance
    then recency, with facets; rows carry the card data (``with_card_data``, options passed on)."""
    _check_case_query(query, offset, limit)
    scope = case_scope(viewer)
    hits, backend = _ranked(lambda engine: engine.cases(scope, query, offset, limit))
    cards = with_card_data(Case.objects.all(), viewer, **(card_options or {}))
    return _page_of(hits, backend, scope.cases, cards, query.text, CASE_HIGHLIGHTS)
