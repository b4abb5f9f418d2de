"""Referral performance for administrators, each view one SQL statement.

Over the referrals *made* in a period (``date_from`` ≤ created < ``date_to`` + 1 day), per group
(nationally, per province, facility, specialty or month), where a referral belongs to the
facility that answers it (the consultant's, or the queue it waits in) and that facility's
province:

- ``referrals``; ``responded`` (accepted or rejected); median and p90 hours from request to
  first response, and to completion (``percentile_cont``; unanswered ones are not in them);
- ``response_within_target``: % of the referrals whose response was due by ``now`` or came,
  answered by their response due time; ``completion_within_target``: the same for completion,
  among the accepted ones (rejected and cancelled ones never count);
- ``escalation_rate``: % escalated at least once; ``transfers_advised``; ``outcomes`` (closed
  with an outcome) and ``transfers_avoided`` among them.

The auditor's scope (``mentorship.services.permissions.Scope``: national, a province, a
facility) is applied inside the statement, as for the compliance audit.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from mentorship.services.permissions import Scope


class Grouping(StrEnum):
    NATIONAL = "national"
    PROVINCE = "province"
    FACILITY = "facility"
    SPECIALTY = "specialty"
    MONTH = "month"


# (key, label, label join) per grouping: the statement groups by the key alone (narrow rows to
# sort), then names the few groups it found.
_GROUPS: dict[Grouping, tuple[str, str, str]] = {
    Grouping.NATIONAL: ("'national'", "g.key", ""),
    Grouping.PROVINCE: ("f.province_id", "p.name", "JOIN facilities_province p ON p.code = g.key"),
    Grouping.FACILITY: ("f.id", "lf.name", "JOIN facilities_facility lf ON lf.id = g.key"),
    Grouping.SPECIALTY: ("r.specialty_id", "s.name_vi", "JOIN facilities_specialty s ON s.id = g.key"),
    Grouping.MONTH: (
        "to_char(date_trunc('month', r.created_at AT TIME ZONE %(tz)s), 'YYYY-MM')",
        "g.key",
        "",
    ),
}
# Groupings that read the answering facility (the others join it only to cut to a scope).
_BY_FACILITY = frozenset({Grouping.PROVINCE, Grouping.FACILITY})

DEFAULT_PERIOD_DAYS = 365


@dataclass(frozen=True)
class MetricsRow:
    key: str
    label: str
    referrals: int
    responded: int
    median_response_hours: float | None
    p90_response_hours: float | None
    median_completion_hours: float | None
    p90_completion_hours: float | None
    response_within_target: float | None
    completion_within_target: float | None
    escalation_rate: float | None
    transfers_advised: int
    outcomes: int
    transfers_avoided: int


COLUMNS = tuple(MetricsRow.__dataclass_fields__)


def _sql(grouping: Grouping, *, by_place: bool) -> str:
    """The statement for ``grouping``; ``by_place``: a scope or filter names a province or facility."""
    key, label, label_join = _GROUPS[grouping]
    place = ""
    if grouping in _BY_FACILITY or by_place:
        place = "JOIN facilities_facility f ON f.id = r.target_facility_id"
    where_place = (
        """
          AND (%(province)s::int IS NULL OR f.province_id = %(province)s::int)
          AND (%(facility)s::int IS NULL OR f.id = %(facility)s::int)"""
        if by_place
        else ""
    )
    # Durations are stored (``Referral.response_hours``, ``completion_hours``), each sorted once
    # for both its percentiles. One group takes them straight from the scan. Several groups are
    # counted by hashing, each group's durations gathered into an array and sorted on its own:
    # an ordered-set aggregate in a grouping makes PostgreSQL sort every row by its group first
    # (~1.3x slower per province, ~3x per facility). Only fixed fragments of this module are
    # interpolated; every value is a parameter.
    percentile = "percentile_cont(array[0.5, 0.9]) WITHIN GROUP (ORDER BY {})"
    durations, percentiles, laterals = {}, {}, ""
    for column in ("response_hours", "completion_hours"):
        if grouping is Grouping.NATIONAL:
            durations[column], percentiles[column] = percentile.format(f"r.{column}"), f"g.{column}"
            continue
        durations[column] = f"array_agg(r.{column}) FILTER (WHERE r.{column} IS NOT NULL)"
        percentiles[column] = f"{column}.percentiles"
        laterals += f"""
        CROSS JOIN LATERAL (
          SELECT {percentile.format("hours")} FROM unnest(g.{column}) hours
        ) {column}(percentiles)"""  # noqa: S608 (fixed column names)
    response, completion = percentiles["response_hours"], percentiles["completion_hours"]
    return f"""
        SELECT g.key::text AS key, {label} AS label, g.referrals, g.responded,
          {response}[1], {response}[2], {completion}[1], {completion}[2],
          100.0 * g.response_in_time / nullif(g.response_due, 0),
          100.0 * g.completion_in_time / nullif(g.completion_due, 0),
          100.0 * g.escalated / g.referrals,
          g.transfers_advised, g.outcomes, g.transfers_avoided
        FROM (
          SELECT {key} AS key,
            count(*) AS referrals,
            count(r.first_response_at) AS responded,
            {durations["response_hours"]} AS response_hours,
            {durations["completion_hours"]} AS completion_hours,
            count(*) FILTER (WHERE r.first_response_at <= r.response_due_at) AS response_in_time,
            count(*) FILTER (WHERE r.first_response_at IS NOT NULL OR r.response_due_at <= %(now)s)
              AS response_due,
            count(*) FILTER (WHERE r.completed_at <= r.completion_due_at) AS completion_in_time,
            count(*) FILTER (WHERE r.accepted_at IS NOT NULL AND r.status <> 'cancelled'
                             AND (r.completed_at IS NOT NULL OR r.completion_due_at <= %(now)s))
              AS completion_due,
            count(*) FILTER (WHERE r.escalation_level > 0) AS escalated,
            count(*) FILTER (WHERE r.transfer_advised) AS transfers_advised,
            count(r.closed_at) AS outcomes,
            count(*) FILTER (WHERE r.transfer_avoided) AS transfers_avoided
          FROM referrals_referral r
          {place}
          WHERE r.created_at >= %(start)s AND r.created_at < %(end)s{where_place}
            AND (%(specialty)s::int IS NULL OR r.specialty_id = %(specialty)s::int)
          GROUP BY 1
        ) g{laterals}
        {label_join}
        ORDER BY 2, 1
    """  # noqa: S608


@dataclass(frozen=True)
class MetricsFilters:
    date_from: date | None = None
    date_to: date | None = None
    province_id: int | None = None
    specialty_id: int | None = None


def period(filters: MetricsFilters, today: date | None = None) -> tuple[date, date]:
    """The period asked for, both ends included: by default the last 365 days to today."""
    date_to = filters.date_to or today or timezone.localdate()
    date_from = filters.date_from or date_to - timedelta(days=DEFAULT_PERIOD_DAYS - 1)
    return date_from, date_to


def _params(scope: Scope, filters: MetricsFilters, now: datetime) -> dict[str, Any]:
    date_from, date_to = period(filters, timezone.localdate(now))
    zone = timezone.get_current_timezone()
    return {
        "start": timezone.make_aware(datetime.combine(date_from, time.min), zone),
        "end": timezone.make_aware(datetime.combine(date_to + timedelta(days=1), time.min), zone),
        "now": now,
        "tz": str(zone),
        # The scope and the filter are ANDed: a province filter outside a province scope is empty.
        "province": _both(scope.province_id, filters.province_id),
        "facility": scope.facility_id,
        "specialty": filters.specialty_id,
    }


def _both(scoped: int | None, asked: int | None) -> int | None:
    if scoped is not None and asked is not None and scoped != asked:
        return -1  # no province has this code
    return scoped if scoped is not None else asked


def _row(values: tuple[Any, ...]) -> MetricsRow:
    row = dict(zip(COLUMNS, values, strict=True))
    for name, value in row.items():
        if hasattr(value, "is_finite"):  # Decimal from numeric arithmetic
            row[name] = float(value)
    return MetricsRow(**row)


def referral_metrics(
    scope: Scope, grouping: Grouping, filters: MetricsFilters | None = None, *, now: datetime | None = None
) -> list[MetricsRow]:
    """One row per group (one row nationally; none when there is nothing in the period)."""
    return list(iter_referral_metrics(scope, grouping, filters, now=now))


def statement_settings() -> dict[str, str]:
    """What the metrics statement runs with: its sorts in memory, not in temporary files, and
    the covering index read rather than the whole table."""
    return {
        "work_mem": settings.REFERRAL_METRICS_WORK_MEM,
        "random_page_cost": settings.REFERRAL_METRICS_RANDOM_PAGE_COST,
    }


def iter_referral_metrics(
    scope: Scope, grouping: Grouping, filters: MetricsFilters | None = None, *, now: datetime | None = None
) -> Iterator[MetricsRow]:
    params = _params(scope, filters or MetricsFilters(), now or timezone.now())
    sql = _sql(grouping, by_place=params["province"] is not None or params["facility"] is not None)
    with transaction.atomic(), connection.cursor() as cursor:
        for name, value in statement_settings().items():
            cursor.execute(f"SET LOCAL {name} = %s", [value])
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    for values in rows:
        yield _row(values)
