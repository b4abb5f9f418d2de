"""CSV export of any compliance audit view, streamed: rows come from a server-side cursor a
chunk at a time (``mentorship.selectors.compliance``) and go out as they are written, so 15,000
mentors never sit in memory together. Every export writes a ``mentorship.compliance_exported``
audit event (who, which view, date, filters, scope) before the first byte.

Column names are stable English identifiers (for spreadsheets and scripts); the values are
the audit's figures, defined in the selectors' docstring. The file starts with a UTF-8 byte
order mark so that spreadsheet programs read Vietnamese names correctly.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date
from enum import StrEnum
from typing import Any

from django.http import StreamingHttpResponse

from accounts.models import User
from audit.services import record
from common.spreadsheets import csv_line
from facilities.models import Tier
from mentorship.selectors import compliance as selectors
from mentorship.services.permissions import Scope


class ExportView(StrEnum):
    MENTORS = "mentors"
    SUMMARY = "summary"
    PROVINCES = "provinces"
    FACILITIES = "facilities"
    SPECIALTIES = "specialties"
    TREND = "trend"


FIGURE_COLUMNS = (
    "required",
    "filled",
    "deficit",
    "surplus",
    "in_force",
    "engaged",
    "paper",
    "compliance",
    "engaged_compliance",
    "band",
)
TIERS = tuple(choice.value for choice in Tier)


def _figures(figures: selectors.Figures, *, mentors: bool = True) -> list[Any]:
    values: list[Any] = [figures.mentors] if mentors else []
    return [*values, *(getattr(figures, name) for name in FIGURE_COLUMNS)]


def _mentor_lines(rows: Iterable[selectors.MentorRow]) -> Iterator[list[Any]]:
    tier_columns = [f"{tier}_{name}" for tier in TIERS for name in ("required", "in_force", "engaged")]
    yield [
        "mentor_id",
        "full_name",
        "facility",
        "province",
        "tier",
        *FIGURE_COLUMNS,
        "last_activity_at",
        *tier_columns,
    ]
    for row in rows:
        by_tier = {item.mentee_tier: item for item in row.tiers}
        per_tier: list[Any] = []
        for tier in TIERS:
            item = by_tier.get(tier)
            per_tier += [item.required, item.in_force, item.engaged] if item else ["", "", ""]
        yield [
            str(row.mentor.public_id),
            row.mentor.full_name,
            row.facility.name,
            row.province.name,
            row.tier,
            *_figures(row.figures, mentors=False),
            row.last_activity_at.isoformat() if row.last_activity_at else "",
            *per_tier,
        ]


def _lines(
    view: ExportView, scope: Scope, as_of: date, filters: selectors.ComplianceFilters
) -> Iterator[list[Any]]:
    head = ["mentors", *FIGURE_COLUMNS]
    if view == ExportView.MENTORS:
        yield from _mentor_lines(selectors.iter_mentor_compliance(scope, as_of, filters))
    elif view == ExportView.SUMMARY:
        summary = selectors.compliance_summary(scope, as_of, filters)
        yield ["as_of", "policy_version", "activity_days", *head]
        yield [
            summary.as_of.isoformat(),
            summary.policy_version,
            summary.activity_days,
            *_figures(summary.figures),
        ]
    elif view == ExportView.PROVINCES:
        yield ["province_code", "province", *head]
        for province in selectors.compliance_by_province(scope, as_of, filters):
            yield [province.province.code, province.province.name, *_figures(province.figures)]
    elif view == ExportView.FACILITIES:
        yield ["facility_id", "facility", "tier", "province", *head]
        for row in selectors.iter_compliance_by_facility(scope, as_of, filters):
            facility = row.facility
            yield [facility.pk, facility.name, facility.tier, facility.province.name, *_figures(row.figures)]
    elif view == ExportView.SPECIALTIES:
        yield ["specialty_code", "specialty", *head]
        for item in selectors.compliance_by_specialty(scope, as_of, filters):
            specialty = item.specialty
            yield [
                specialty.code if specialty else "",
                specialty.name_vi if specialty else "",
                *_figures(item.figures),
            ]
    else:
        yield ["month", "as_of", "policy_version", "province_code", "province", *head]
        for point in selectors.compliance_trend(scope, 12, filters, until=as_of):
            prefix = [point.month.isoformat(), point.as_of.isoformat(), point.policy_version]
            yield [*prefix, "", "", *_figures(point.figures)]
            for province in point.provinces:
                yield [*prefix, province.province.code, province.province.name, *_figures(province.figures)]


def _scope_details(scope: Scope) -> dict[str, Any]:
    return {
        "scope": str(scope.kind),
        "scope_province": scope.province_id,
        "scope_facility": scope.facility_id,
    }


def export_response(
    user: User,
    scope: Scope,
    view: ExportView,
    as_of: date,
    filters: selectors.ComplianceFilters = selectors.NO_FILTERS,
) -> StreamingHttpResponse:
    """A streamed CSV of ``view`` for ``scope``; the export is audited first."""
    record(
        "mentorship.compliance_exported",
        actor=user,
        target=user,
        details={
            "view": str(view),
            "as_of": as_of.isoformat(),
            "filters": {
                "tier": filters.tier,
                "province": filters.province_id,
                "facility": filters.facility_id,
                "specialty": filters.specialty_id,
                "band": filters.band,
                "deficit_only": filters.deficit_only,
            },
            **_scope_details(scope),
        },
    )

    def content() -> Iterator[str]:
        yield "\ufeff"
        for line in _lines(view, scope, as_of, filters):
            yield csv_line(line)

    response = StreamingHttpResponse(content(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="compliance-{view}-{as_of.isoformat()}.csv"'
    response["Cache-Control"] = "no-store"
    return response
