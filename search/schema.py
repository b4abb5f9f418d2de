"""GraphQL of the search app, merged by config/schema.py: ``searchDoctors``,
``searchFacilities`` and ``searchCases``.

Each returns one page (offset cursors, ``first`` 1-100) with ``totalCount``, ``facets`` (value,
label, count; a value is what the matching filter argument takes) and each hit's highlighted
snippets (HTML-escaped text, matches in ``<mark>``). Input the search refuses (a query too
long, a reversed date range, a malformed ID) comes back as ``errors`` with an empty page.
Rules live in ``search.selectors``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import graphene
from graphene import relay
from graphql import GraphQLResolveInfo
from graphql_relay import to_global_id

from accounts.models import VerificationStatus
from accounts.schema import Doctor, VerificationStatusEnum
from api.errors import BaseError, error_code_enum, errors_as_data
from api.permissions import allow_any, login_required, verified_doctor_required
from api.relay import key_from_global_id, offset_connection, offset_page_bounds, selected_fields
from common.errors import ServiceError, input_name
from facilities.models import Tier
from facilities.schema import Facility, Specialty, TierEnum
from network.models import Case as CaseModel
from network.schema.cases import Case, CaseStatusEnum
from search import selectors
from search.backends.base import CaseQuery, DoctorQuery, FacilityQuery
from search.errors import SearchErrorCode as SearchErrorCodes

SearchErrorCode = error_code_enum(
    "SearchErrorCode", SearchErrorCodes, description="Why a search's input was refused."
)


class SearchError(BaseError):
    """Why a search's input was refused (the page is then empty)."""

    code = graphene.Field(SearchErrorCode, required=True)


class SearchFacetValue(graphene.ObjectType):
    value = graphene.String(
        required=True,
        description="What the matching filter argument takes: a Specialty ID, a province code, an enum name.",
    )
    label = graphene.String(required=True, description="The value's name in the request's language.")
    count = graphene.Int(required=True, description="Results with this value (other filters applied).")


class SearchFacet(graphene.ObjectType):
    name = graphene.String(
        required=True, description="specialty, province, tier, verificationStatus or status."
    )
    values = graphene.List(graphene.NonNull(SearchFacetValue), required=True)


class SearchHighlight(graphene.ObjectType):
    field = graphene.String(required=True, description="The matched field (camelCase).")
    fragment = graphene.String(
        required=True, description="A snippet of it, HTML-escaped, each match wrapped in <mark>."
    )


class DoctorHit(graphene.ObjectType):
    doctor = graphene.Field(Doctor, required=True)
    highlights = graphene.List(graphene.NonNull(SearchHighlight), required=True)


class FacilityHit(graphene.ObjectType):
    facility = graphene.Field(Facility, required=True)
    highlights = graphene.List(graphene.NonNull(SearchHighlight), required=True)


class CaseHit(graphene.ObjectType):
    case = graphene.Field(Case, required=True)
    highlights = graphene.List(graphene.NonNull(SearchHighlight), required=True)


class SearchConnection(relay.Connection):
    class Meta:
        abstract = True

    total_count = graphene.Int(required=True, description="Results on all pages together.")
    facets = graphene.List(graphene.NonNull(SearchFacet), required=True)
    errors = graphene.List(graphene.NonNull(SearchError), required=True)


class DoctorSearchConnection(SearchConnection):
    class Meta:
        node = DoctorHit


class FacilitySearchConnection(SearchConnection):
    class Meta:
        node = FacilityHit


class CaseSearchConnection(SearchConnection):
    class Meta:
        node = CaseHit


# How a facet's keys become the values the filter arguments take.
def _enum_name(choices: Any) -> Callable[[str], str]:
    names = {member.value: member.name for member in choices}
    return lambda key: names.get(key, key)


_FACET_VALUES: dict[str, Callable[[str], str]] = {
    "specialty": lambda key: to_global_id("Specialty", key),
    "tier": _enum_name(Tier),
    "status": _enum_name(CaseModel.Status),
    "verification_status": _enum_name(VerificationStatus),
}


def _facets(page: selectors.SearchPage[Any]) -> list[SearchFacet]:
    convert = _FACET_VALUES
    return [
        SearchFacet(
            name=input_name(name),
            values=[
                SearchFacetValue(
                    value=convert.get(name, str)(value.key), label=value.label, count=value.count
                )
                for value in values
            ],
        )
        for name, values in page.facets.items()
    ]


def _highlights(page: selectors.SearchPage[Any], pk: int) -> list[SearchHighlight]:
    return [
        SearchHighlight(field=input_name(item.field), fragment=item.fragment)
        for item in page.highlights.get(pk, [])
    ]


def _values(members: Any) -> tuple[str, ...]:
    return tuple(getattr(member, "value", member) for member in members or ())


def _specialty_ids(ids: list[str] | None) -> tuple[int, ...]:
    return tuple(int(key_from_global_id(gid, Specialty, "specialtyIds")) for gid in ids or ())


def _page(
    connection: type[SearchConnection],
    info: GraphQLResolveInfo,
    first: int | None,
    after: str | None,
    run: Callable[[int, int], selectors.SearchPage[Any]],
    hit: Callable[[Any, list[SearchHighlight]], Any],
) -> Any:
    start, size = offset_page_bounds(info, first, after)
    try:
        page = run(start, size)
    except ServiceError as error:
        return offset_connection(
            connection,
            [],
            start,
            has_next=False,
            total_count=0,
            facets=[],
            errors=errors_as_data(error, SearchError),
        )
    return offset_connection(
        connection,
        [hit(row, _highlights(page, row.pk)) for row in page.rows],
        start,
        has_next=start + len(page.rows) < page.total,
        total_count=page.total,
        facets=_facets(page),
        errors=[],
    )


class SearchQuery(graphene.ObjectType):
    search_doctors = graphene.Field(
        DoctorSearchConnection,
        required=True,
        query=graphene.String(
            description="Words of a name, title, specialty, facility or province; diacritics optional."
        ),
        specialty_ids=graphene.List(graphene.NonNull(graphene.ID)),
        province_codes=graphene.List(graphene.NonNull(graphene.Int)),
        tiers=graphene.List(graphene.NonNull(TierEnum)),
        verification_statuses=graphene.List(
            graphene.NonNull(VerificationStatusEnum), description="Only verifiers find doctors not VERIFIED."
        ),
        first=graphene.Int(),
        after=graphene.String(),
        description=(
            "Verified doctors (every account for a verifier), best match first; never a doctor "
            "blocked either way. A name one letter off still matches."
        ),
    )
    search_facilities = graphene.Field(
        FacilitySearchConnection,
        required=True,
        query=graphene.String(),
        province_codes=graphene.List(graphene.NonNull(graphene.Int)),
        tiers=graphene.List(graphene.NonNull(TierEnum)),
        first=graphene.Int(),
        after=graphene.String(),
        description="Active facilities, best match first.",
    )
    search_cases = graphene.Field(
        CaseSearchConnection,
        required=True,
        query=graphene.String(
            description="Words of the title, clinical text, tags or ICD-10 codes; diacritics optional."
        ),
        specialty_ids=graphene.List(graphene.NonNull(graphene.ID)),
        statuses=graphene.List(graphene.NonNull(CaseStatusEnum)),
        published_from=graphene.Date(description="First day of publication (inclusive)."),
        published_to=graphene.Date(description="Last day of publication (inclusive)."),
        first=graphene.Int(),
        after=graphene.String(),
        description="Cases you may open (verified doctors only), most relevant then most recent first.",
    )

    @staticmethod
    def resolve_search_doctors(
        root: Any,
        info: GraphQLResolveInfo,
        query: str = "",
        specialty_ids: list[str] | None = None,
        province_codes: list[int] | None = None,
        tiers: list[Any] | None = None,
        verification_statuses: list[Any] | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Any:
        viewer = login_required(info)

        def run(start: int, size: int) -> selectors.SearchPage[Any]:
            search = DoctorQuery(
                text=query or "",
                specialty_ids=_specialty_ids(specialty_ids),
                province_codes=tuple(province_codes or ()),
                tiers=_values(tiers),
                verification_statuses=_values(verification_statuses),
            )
            return selectors.search_doctors(viewer, search, offset=start, limit=size)

        return _page(
            DoctorSearchConnection,
            info,
            first,
            after,
            run,
            lambda row, marks: DoctorHit(doctor=row, highlights=marks),
        )

    @staticmethod
    def resolve_search_facilities(
        root: Any,
        info: GraphQLResolveInfo,
        query: str = "",
        province_codes: list[int] | None = None,
        tiers: list[Any] | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Any:
        allow_any(info)

        def run(start: int, size: int) -> selectors.SearchPage[Any]:
            search = FacilityQuery(
                text=query or "", province_codes=tuple(province_codes or ()), tiers=_values(tiers)
            )
            return selectors.search_facilities(search, offset=start, limit=size)

        return _page(
            FacilitySearchConnection,
            info,
            first,
            after,
            run,
            lambda row, marks: FacilityHit(facility=row, highlights=marks),
        )

    @staticmethod
    def resolve_search_cases(
        root: Any,
        info: GraphQLResolveInfo,
        query: str = "",
        specialty_ids: list[str] | None = None,
        statuses: list[Any] | None = None,
        published_from: date | None = None,
        published_to: date | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Any:
        viewer = verified_doctor_required(info)
        # Cards load attachments, accepted answers and first comments only for a document that
        # shows them.
        shown = selected_fields(info, "edges", "node", "case")

        def run(start: int, size: int) -> selectors.SearchPage[Any]:
            search = CaseQuery(
                text=query or "",
                specialty_ids=_specialty_ids(specialty_ids),
                statuses=_values(statuses),
                published_from=published_from,
                published_to=published_to,
            )
            options = {
                "attachments": "attachments" in shown,
                "accepted_answer": "acceptedAnswer" in shown,
                "first_comments": "firstComments" in shown,
            }
            return selectors.search_cases(viewer, search, offset=start, limit=size, card_options=options)

        return _page(
            CaseSearchConnection,
            info,
            first,
            after,
            run,
            lambda row, marks: CaseHit(case=row, highlights=marks),
        )


SEARCH_QUERY_ROOTS: tuple[type[graphene.ObjectType], ...] = (SearchQuery,)
SEARCH_MUTATION_ROOTS: tuple[type[graphene.ObjectType], ...] = ()
SEARCH_SUBSCRIPTION_ROOTS: tuple[type[graphene.ObjectType], ...] = ()
