"""What every search backend takes and returns.

A backend ranks and counts; it does not decide who may see what. The selectors hand it a
*scope* built from the owning apps' visibility selectors (``cases_visible_to``, verified
doctors, blocks) and load the page's rows through that same scope, so a row the viewer may not
see is never returned whatever the backend answered.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

from django.db.models import QuerySet

from accounts.models import User
from facilities.models import Facility, Province, Specialty
from network.models import Case


@dataclass(frozen=True)
class DoctorQuery:
    text: str = ""
    specialty_ids: tuple[int, ...] = ()
    province_codes: tuple[int, ...] = ()
    tiers: tuple[str, ...] = ()
    verification_statuses: tuple[str, ...] = ()


@dataclass(frozen=True)
class FacilityQuery:
    text: str = ""
    province_codes: tuple[int, ...] = ()
    tiers: tuple[str, ...] = ()


@dataclass(frozen=True)
class CaseQuery:
    text: str = ""
    specialty_ids: tuple[int, ...] = ()
    statuses: tuple[str, ...] = ()
    published_from: date | None = None
    published_to: date | None = None


@dataclass(frozen=True)
class DoctorScope:
    """The doctors a viewer may find: ``doctors`` (live queryset); for Elasticsearch the same
    rule as data: every account (a verifier) or verified doctors only, minus ``excluded_ids``
    (blocked either way)."""

    doctors: QuerySet[User]
    all_accounts: bool
    excluded_ids: QuerySet  # ids, as a subquery


@dataclass(frozen=True)
class CaseScope:
    """The cases a viewer may open: ``cases`` is ``cases_visible_to(viewer)``; ``viewer_id``
    is None when that is nothing (not a verified doctor)."""

    viewer_id: int | None
    cases: QuerySet[Case]


@dataclass(frozen=True)
class FacetValue:
    """A facet value and its count; ``names`` (Vietnamese, English) when the backend read them
    with the counts (``()``: no such row), None when they are still to be looked up."""

    value: str
    count: int
    names: tuple[str, ...] | None = None


@dataclass
class Hits:
    """One page of ids, best first, with the total and facets."""

    ids: list[int]
    total: int
    facets: dict[str, list[FacetValue]] = field(default_factory=dict)


# Facets whose values are reference rows (keyed by primary key): model, Vietnamese and English
# name fields.
NAMED_FACETS: dict[str, tuple[type[Specialty] | type[Province], str, str]] = {
    "specialty": (Specialty, "name_vi", "name_en"),
    "province": (Province, "name", "name"),
}

# Facet names per kind (the GraphQL facet fields).
DOCTOR_FACETS = ("specialty", "province", "tier", "verification_status")
FACILITY_FACETS = ("province", "tier")
CASE_FACETS = ("specialty", "status")


class SearchBackend(Protocol):
    name: str

    def doctors(self, scope: DoctorScope, query: DoctorQuery, offset: int, limit: int) -> Hits: ...

    def facilities(
        self, scope: QuerySet[Facility], query: FacilityQuery, offset: int, limit: int
    ) -> Hits: ...

    def cases(self, scope: CaseScope, query: CaseQuery, offset: int, limit: int) -> Hits: ...

    def index(self, kind: str, ids: list[int]) -> None:
        """Bring the documents of ``ids`` in step with their rows (a row gone: its document too)."""
