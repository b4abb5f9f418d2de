"""The compliance audit: who must mentor, how far they meet the quota, as of any date.

Every figure is computed by ONE SQL statement per view (hand-written CTEs, scope and filters
passed as parameters, never formatted into the text); Python only maps rows to dataclasses and
model instances. The adapters (GraphQL, the CSV export, the dashboard, the reminder command)
call these functions after ``mentorship.services.permissions.require_auditor`` gave them the
caller's :class:`~mentorship.services.permissions.Scope`, which every statement is cut to.

Definitions, for an audit date D ("end of D" is local midnight after D, ``TIME_ZONE``):

* **Policy**: the version in force on D (``selectors.policy.policy_in_force``: latest
  ``effective_from`` ≤ D, highest version on a tie; before the first version, the first one).
* **Mentors as of D**: active verified doctors (licence not lapsed today) whose facility's tier
  must mentor under that policy (a rule with ``required`` > 0) and who joined by the end of D.
  *Limitation*: the model keeps no history of facility moves or verification, so a doctor's
  facility, tier, province and verification are today's, also for past dates.
* **Per mentor and per rule of the policy for their tier** (one rule per mentee tier):
  ``required`` and ``maximum`` come from the rule; ``in_force`` = mentorships of that mentor
  with ``started_at`` before the end of D and ``ended_at`` null or at/after the end of D, at
  that ``mentee_tier`` (the mentee's tier counted at the start); ``engaged`` = those of them
  with a ``MentorshipActivity`` in (D - ``MENTORSHIP_ACTIVITY_DAYS``, D] (whole local days);
  ``paper`` = ``in_force`` - ``engaged``; ``filled`` = min(in_force, required);
  ``deficit`` = required - filled; ``surplus`` = max(0, in_force - maximum) (over the allowed
  maximum, not merely over the requirement). Mentorships at a mentee tier the policy has no
  rule for (e.g. a pair a later policy dropped) count nowhere.
* **Compliance %** = 100 x Σ filled / Σ required (100 when nothing is required), per mentor
  and for every roll-up (sums over its mentors, so large facilities weigh more);
  **engaged compliance %** is the same with min(engaged, required): paper mentorships excluded.
* **Band** of a mentor: FULL (100 %), PARTIAL (50 % to under 100 %), LOW (under 50 %).
* **Last activity**: the latest activity before the end of D in any of the mentor's mentorships.
* **Filters**: ``tier`` is the mentor's facility tier; ``province``/``facility`` their
  facility's; ``specialty`` one of the mentor's profile specialties; ``band`` the mentor's
  band; ``deficit_only`` mentors with a deficit. A roll-up sums the mentors that pass them. In
  the specialty roll-up a mentor counts once in each of their specialties (mentors without one
  form the group with ``specialty`` None), so its rows do not add up to the total.

Sorting is worst first: lowest compliance, then largest deficit, then name and id (stable).
"""

from __future__ import annotations

import calendar
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any, Generic, TypeVar

from django.conf import settings
from django.db import connection, models
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User, VerificationStatus
from common.errors import CommonErrorCode, ServiceError
from facilities.models import Commune, Facility, Province, Specialty, Tier
from mentorship.models import Mentorship, MentorshipActivity, QuotaPolicy, QuotaRule
from mentorship.services.permissions import Scope

T = TypeVar("T")

MAX_TREND_MONTHS = 36
EXPORT_CHUNK_SIZE = 2000


class ComplianceBand(StrEnum):
    FULL = "FULL"
    PARTIAL = "PARTIAL"
    LOW = "LOW"


class MentorOrder(StrEnum):
    WORST_FIRST = "WORST_FIRST"
    BEST_FIRST = "BEST_FIRST"
    DEFICIT = "DEFICIT"
    NAME = "NAME"


# Whitelisted ORDER BY clauses, formatted with the table alias (never with a value).
_ORDERS: dict[MentorOrder, str] = {
    MentorOrder.WORST_FIRST: "{t}.compliance ASC, {t}.deficit DESC, {t}.full_name ASC, {t}.mentor_id ASC",
    MentorOrder.BEST_FIRST: "{t}.compliance DESC, {t}.surplus DESC, {t}.full_name ASC, {t}.mentor_id ASC",
    MentorOrder.DEFICIT: "{t}.deficit DESC, {t}.compliance ASC, {t}.full_name ASC, {t}.mentor_id ASC",
    MentorOrder.NAME: "{t}.full_name ASC, {t}.mentor_id ASC",
}
_ROLLUP_ORDER = "compliance ASC, deficit DESC, mentors DESC"


@dataclass(frozen=True)
class ComplianceFilters:
    """Narrowing an audit view; every filter is ANDed with the auditor's scope."""

    tier: str | None = None
    province_id: int | None = None
    facility_id: int | None = None
    specialty_id: int | None = None
    band: str | None = None
    deficit_only: bool = False


NO_FILTERS = ComplianceFilters()


@dataclass(frozen=True)
class Figures:
    """Sums over a set of mentors (or one mentor)."""

    mentors: int = 0
    required: int = 0
    filled: int = 0
    deficit: int = 0
    surplus: int = 0
    in_force: int = 0
    engaged: int = 0
    engaged_filled: int = 0

    @property
    def paper(self) -> int:
        return self.in_force - self.engaged

    @property
    def compliance(self) -> float:
        return 100.0 if self.required == 0 else round(100.0 * self.filled / self.required, 2)

    @property
    def engaged_compliance(self) -> float:
        return 100.0 if self.required == 0 else round(100.0 * self.engaged_filled / self.required, 2)

    @property
    def band(self) -> ComplianceBand:
        if self.filled >= self.required:
            return ComplianceBand.FULL
        return ComplianceBand.PARTIAL if 2 * self.filled >= self.required else ComplianceBand.LOW


@dataclass(frozen=True)
class TierFigures:
    """One rule's figures for one mentor: mentees of ``mentee_tier``."""

    mentee_tier: str
    required: int
    maximum: int
    in_force: int
    engaged: int

    @property
    def paper(self) -> int:
        return self.in_force - self.engaged

    @property
    def filled(self) -> int:
        return min(self.in_force, self.required)

    @property
    def deficit(self) -> int:
        return self.required - self.filled

    @property
    def surplus(self) -> int:
        return max(0, self.in_force - self.maximum)


@dataclass(frozen=True)
class Summary:
    as_of: date
    policy_version: int
    activity_days: int
    figures: Figures


@dataclass(frozen=True)
class ProvinceRow:
    province: Province
    figures: Figures


@dataclass(frozen=True)
class FacilityRow:
    facility: Facility  # with its province (and commune) loaded
    figures: Figures


@dataclass(frozen=True)
class SpecialtyRow:
    specialty: Specialty | None  # None: mentors with no specialty on their profile
    figures: Figures


@dataclass(frozen=True)
class MentorRow:
    mentor: User  # with facility, province and commune loaded
    tier: str
    figures: Figures
    tiers: list[TierFigures]
    last_activity_at: datetime | None

    @property
    def facility(self) -> Facility:
        assert self.mentor.facility is not None
        return self.mentor.facility

    @property
    def province(self) -> Province:
        return self.facility.province


@dataclass(frozen=True)
class Page(Generic[T]):
    rows: list[T]
    total: int
    offset: int

    @property
    def has_next(self) -> bool:
        return self.offset + len(self.rows) < self.total


@dataclass(frozen=True)
class TrendPoint:
    month: date  # the first day of the month
    as_of: date  # its last day, or today for the current month
    policy_version: int
    figures: Figures  # the whole scope (nationally for a national auditor)
    provinces: list[ProvinceRow] = field(default_factory=list)


# --- Dates ------------------------------------------------------------------------------------


def audit_date(value: date | None, field_name: str = "asOf") -> date:
    """The audit date: today by default; a future date is refused (INVALID)."""
    today = timezone.localdate()
    if value is None:
        return today
    if value > today:
        raise ServiceError(CommonErrorCode.INVALID, _("The audit date cannot be in the future."), field_name)
    return value


def _end_of(day: date) -> datetime:
    """Local midnight after ``day``: the exclusive upper bound of "on or before ``day``"."""
    return timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


def _dates_params(days: Sequence[date]) -> dict[str, Any]:
    window = timedelta(days=settings.MENTORSHIP_ACTIVITY_DAYS)
    cutoffs = [_end_of(day) for day in days]
    return {
        "as_of": list(days),
        "cutoff": cutoffs,
        "since": [cutoff - window for cutoff in cutoffs],
    }


def trend_months(months: int, until: date | None = None) -> list[tuple[date, date]]:
    """(first day, audit date) of the last ``months`` months, oldest first; the current month
    is audited as of ``until`` (today by default), earlier months as of their last day."""
    until = until or timezone.localdate()
    points: list[tuple[date, date]] = []
    year, month = until.year, until.month
    for _index in range(months):
        first = date(year, month, 1)
        last = date(year, month, calendar.monthrange(year, month)[1])
        points.append((first, min(last, until)))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return points[::-1]


# --- SQL --------------------------------------------------------------------------------------


def _table(model: type[models.Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _columns(model: type[models.Model], alias: str) -> str:
    """Every concrete column of ``model`` from ``alias``, named ``alias__column``."""
    qn = connection.ops.quote_name
    return ", ".join(
        f"{alias}.{qn(f.column)} AS {qn(f'{alias}__{f.column}')}" for f in model._meta.concrete_fields
    )


def _instance(model: type[models.Model], row: dict[str, Any], alias: str) -> Any:
    fields = model._meta.concrete_fields
    values = [row[f"{alias}__{f.column}"] for f in fields]
    if values[[f.primary_key for f in fields].index(True)] is None:
        return None
    return model.from_db(connection.alias, [f.attname for f in fields], values)


def _base_sql(*, with_tiers: bool = False) -> str:
    """The CTEs every view starts from, ending in ``selected``: one row per (audit date index,
    mentor) that passes the scope and the filters, with its figures and band."""
    user, facility = _table(User), _table(Facility)
    specialties = _table(User.specialties.through)
    mentorship, activity = _table(Mentorship), _table(MentorshipActivity)
    policy, rule = _table(QuotaPolicy), _table(QuotaRule)
    tiers = (
        """,
               jsonb_agg(jsonb_build_object(
                   'mentee_tier', pr.mentee_tier, 'required', pr.required, 'maximum', pr.maximum,
                   'in_force', pr.in_force, 'engaged', pr.engaged)
                   ORDER BY array_position(%(tier_order)s::text[], pr.mentee_tier::text)) AS tiers"""
        if with_tiers
        else ""
    )
    return f"""
    WITH dates AS (
        SELECT d.idx, d.as_of, d.cutoff, d.since,
               (SELECT p.id FROM {policy} p
                 ORDER BY (p.effective_from <= d.as_of) DESC,
                          CASE WHEN p.effective_from <= d.as_of THEN p.effective_from END DESC NULLS LAST,
                          CASE WHEN p.effective_from <= d.as_of THEN p.version END DESC NULLS LAST,
                          p.effective_from ASC, p.version ASC
                 LIMIT 1) AS policy_id
        FROM unnest(%(as_of)s::date[], %(cutoff)s::timestamptz[], %(since)s::timestamptz[])
             WITH ORDINALITY AS d(as_of, cutoff, since, idx)
    ),
    rules AS (
        SELECT d.idx, r.mentor_tier, r.mentee_tier, r.required, r.maximum
        FROM dates d JOIN {rule} r ON r.policy_id = d.policy_id
    ),
    mentor_tiers AS (
        SELECT DISTINCT idx, mentor_tier FROM rules WHERE required > 0
    ),
    mentors AS (
        SELECT d.idx, u.id, u.full_name, u.facility_id, f.province_id, f.tier
        FROM {user} u
        JOIN {facility} f ON f.id = u.facility_id
        JOIN dates d ON u.date_joined < d.cutoff
        JOIN mentor_tiers mt ON mt.idx = d.idx AND mt.mentor_tier = f.tier
        WHERE u.is_active
          AND u.verification_status = %(verified)s
          AND (u.licence_expires_on IS NULL OR u.licence_expires_on >= %(today)s::date)
          AND (%(scope_province)s::integer IS NULL OR f.province_id = %(scope_province)s::integer)
          AND (%(scope_facility)s::bigint IS NULL OR f.id = %(scope_facility)s::bigint)
          AND (%(tier)s::text IS NULL OR f.tier = %(tier)s::text)
          AND (%(province)s::integer IS NULL OR f.province_id = %(province)s::integer)
          AND (%(facility)s::bigint IS NULL OR f.id = %(facility)s::bigint)
          AND (%(specialty)s::bigint IS NULL OR EXISTS (
                SELECT 1 FROM {specialties} us
                WHERE us.user_id = u.id AND us.specialty_id = %(specialty)s::bigint))
    ),
    counts AS (
        -- Every mentorship in force, counted per mentor and tier in one pass over the table (a
        -- hash aggregate); per_rule keeps the mentors in scope. Joining the mentors here first
        -- makes PostgreSQL, misjudging their number, walk the index once per mentor.
        SELECT d.idx, ms.mentor_id, ms.mentee_tier, count(*) AS in_force,
               -- last_activity_at is the latest activity (services.activity keeps it so): the
               -- activities are read only for a past date with later activity.
               -- (IS NOT NULL first: with a NULL the AND would go on to the subquery.)
               count(*) FILTER (WHERE ms.last_activity_at IS NOT NULL AND ms.last_activity_at >= d.since AND (
                   ms.last_activity_at < d.cutoff OR EXISTS (
                       SELECT 1 FROM {activity} a
                       WHERE a.mentorship_id = ms.id AND a.occurred_at >= d.since AND a.occurred_at < d.cutoff
                   ))) AS engaged
        FROM dates d
        JOIN {mentorship} ms ON ms.started_at < d.cutoff AND (ms.ended_at IS NULL OR ms.ended_at >= d.cutoff)
        GROUP BY d.idx, ms.mentor_id, ms.mentee_tier
    ),
    per_rule AS (
        SELECT m.idx, m.id AS mentor_id, m.full_name, m.facility_id, m.province_id, m.tier,
               r.mentee_tier, r.required::bigint AS required,
               r.maximum::bigint AS maximum,
               COALESCE(c.in_force, 0)::bigint AS in_force, COALESCE(c.engaged, 0)::bigint AS engaged
        FROM mentors m
        JOIN rules r ON r.idx = m.idx AND r.mentor_tier = m.tier
        LEFT JOIN counts c ON c.idx = m.idx AND c.mentor_id = m.id AND c.mentee_tier = r.mentee_tier
    ),
    per_mentor AS (
        SELECT pr.idx, pr.mentor_id, pr.full_name, pr.facility_id, pr.province_id, pr.tier,
               sum(pr.required)::bigint AS required,
               sum(LEAST(pr.in_force, pr.required))::bigint AS filled,
               sum(GREATEST(pr.in_force - pr.maximum, 0))::bigint AS surplus,
               sum(pr.in_force)::bigint AS in_force,
               sum(pr.engaged)::bigint AS engaged,
               sum(LEAST(pr.engaged, pr.required))::bigint AS engaged_filled{tiers}
        FROM per_rule pr
        GROUP BY pr.idx, pr.mentor_id, pr.full_name, pr.facility_id, pr.province_id, pr.tier
    ),
    graded AS (
        SELECT pm.idx, pm.mentor_id, pm.full_name, pm.facility_id, pm.province_id, pm.tier,
               pm.required, pm.filled, pm.required - pm.filled AS deficit, pm.surplus,
               pm.in_force, pm.engaged, pm.engaged_filled,
               CASE WHEN pm.required = 0 THEN 100.0::float8
                    ELSE 100.0::float8 * pm.filled / pm.required END AS compliance,
               CASE WHEN pm.filled >= pm.required THEN 'FULL'
                    WHEN 2 * pm.filled >= pm.required THEN 'PARTIAL'
                    ELSE 'LOW' END AS band{", pm.tiers" if with_tiers else ""}
        -- From per_mentor alone: joining the mentors again lets PostgreSQL, misjudging both
        -- sides' sizes, loop over every mentor for every mentor.
        FROM per_mentor pm
    ),
    selected AS (
        SELECT * FROM graded
        WHERE (%(band)s::text IS NULL OR band = %(band)s::text)
          AND (NOT %(deficit_only)s::boolean OR deficit > 0)
    )"""  # noqa: S608 (identifiers from _meta or whitelists; every value is a parameter)


_AGGREGATES = """
    count(s.mentor_id) AS mentors,
    COALESCE(sum(s.required), 0)::bigint AS required,
    COALESCE(sum(s.filled), 0)::bigint AS filled,
    COALESCE(sum(s.deficit), 0)::bigint AS deficit,
    COALESCE(sum(s.surplus), 0)::bigint AS surplus,
    COALESCE(sum(s.in_force), 0)::bigint AS in_force,
    COALESCE(sum(s.engaged), 0)::bigint AS engaged,
    COALESCE(sum(s.engaged_filled), 0)::bigint AS engaged_filled"""

# A roll-up's compliance for sorting, from the aggregates above.
_ROLLUP_COMPLIANCE = """CASE WHEN COALESCE(sum(s.required), 0) = 0 THEN 100.0::float8
         ELSE 100.0::float8 * sum(s.filled) / sum(s.required) END AS compliance"""


def _params(scope: Scope, days: Sequence[date], filters: ComplianceFilters) -> dict[str, Any]:
    return {
        **_dates_params(days),
        "verified": VerificationStatus.VERIFIED.value,
        "today": timezone.localdate(),
        "scope_province": scope.province_id,
        "scope_facility": scope.facility_id,
        "tier": filters.tier,
        "province": filters.province_id,
        "facility": filters.facility_id,
        "specialty": filters.specialty_id,
        "band": filters.band,
        "deficit_only": filters.deficit_only,
        "tier_order": [choice.value for choice in Tier],
    }


def _fetch(sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [column.name for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _stream(sql: str, params: dict[str, Any], chunk_size: int) -> Iterator[dict[str, Any]]:
    """Rows through a server-side cursor, ``chunk_size`` at a time: never all in memory."""
    cursor = connection.chunked_cursor()
    try:
        cursor.execute(sql, params)
        names = [column.name for column in cursor.description]
        while batch := cursor.fetchmany(chunk_size):
            for row in batch:
                yield dict(zip(names, row, strict=True))
    finally:
        cursor.close()


def _figures(row: dict[str, Any]) -> Figures:
    return Figures(
        mentors=int(row.get("mentors", 1) or 0),
        required=int(row["required"] or 0),
        filled=int(row["filled"] or 0),
        deficit=int(row["deficit"] or 0),
        surplus=int(row["surplus"] or 0),
        in_force=int(row["in_force"] or 0),
        engaged=int(row["engaged"] or 0),
        engaged_filled=int(row["engaged_filled"] or 0),
    )


# --- Summary ------------------------------------------------------------------------------------


def _summary_sql() -> str:
    return f"""{_base_sql()}
    SELECT d.as_of, p.version AS policy_version, agg.*
    FROM dates d
    JOIN {_table(QuotaPolicy)} p ON p.id = d.policy_id
    LEFT JOIN LATERAL (SELECT {_AGGREGATES} FROM selected s WHERE s.idx = d.idx) agg ON TRUE
    ORDER BY d.idx"""  # noqa: S608 (identifiers from _meta or whitelists; every value is a parameter)


def compliance_summary(
    scope: Scope, as_of: date | None = None, filters: ComplianceFilters = NO_FILTERS
) -> Summary:
    """One row of figures for everything in ``scope`` that passes ``filters``, as of ``as_of``."""
    day = as_of or timezone.localdate()
    (row,) = _fetch(_summary_sql(), _params(scope, [day], filters))
    return Summary(
        as_of=row["as_of"],
        policy_version=row["policy_version"],
        activity_days=settings.MENTORSHIP_ACTIVITY_DAYS,
        figures=_figures(row),
    )


# --- Roll-ups -----------------------------------------------------------------------------------


def _province_sql() -> str:
    return f"""{_base_sql()}
    , rolled AS (
        SELECT s.province_id, {_AGGREGATES}, {_ROLLUP_COMPLIANCE}
        FROM selected s GROUP BY s.province_id
    )
    SELECT rolled.*, {_columns(Province, "p")}
    FROM rolled JOIN {_table(Province)} p ON p.code = rolled.province_id
    ORDER BY {_ROLLUP_ORDER}, p.name ASC, p.code ASC"""  # noqa: S608 (identifiers from _meta or whitelists; every value is a parameter)


def _province_row(row: dict[str, Any]) -> ProvinceRow:
    return ProvinceRow(province=_instance(Province, row, "p"), figures=_figures(row))


def compliance_by_province(
    scope: Scope, as_of: date | None = None, filters: ComplianceFilters = NO_FILTERS
) -> list[ProvinceRow]:
    """One row per province with mentors in scope, worst first (at most 34 rows)."""
    day = as_of or timezone.localdate()
    return [_province_row(row) for row in _fetch(_province_sql(), _params(scope, [day], filters))]


def _facility_sql(*, paged: bool) -> str:
    limit = "LIMIT %(limit)s OFFSET %(offset)s" if paged else ""
    return f"""{_base_sql()}
    , rolled AS (
        SELECT s.facility_id, {_AGGREGATES}, {_ROLLUP_COMPLIANCE}
        FROM selected s GROUP BY s.facility_id
    ),
    page AS (
        SELECT rolled.*, f.name AS facility_name FROM rolled
        JOIN {_table(Facility)} f ON f.id = rolled.facility_id
        ORDER BY {_ROLLUP_ORDER}, f.name ASC, f.id ASC {limit}
    )
    SELECT total.total, page.*, {_columns(Facility, "f")}, {_columns(Province, "p")},
           {_columns(Commune, "c")}
    FROM (SELECT count(*) AS total FROM rolled) total
    LEFT JOIN page ON TRUE
    LEFT JOIN {_table(Facility)} f ON f.id = page.facility_id
    LEFT JOIN {_table(Province)} p ON p.code = f.province_id
    LEFT JOIN {_table(Commune)} c ON c.code = f.commune_id
    ORDER BY page.compliance ASC, page.deficit DESC, page.mentors DESC, page.facility_name ASC,
             page.facility_id ASC"""  # noqa: S608 (identifiers from _meta or whitelists; every value is a parameter)


def _facility_row(row: dict[str, Any]) -> FacilityRow:
    facility: Facility = _instance(Facility, row, "f")
    facility.province = _instance(Province, row, "p")
    facility.commune = _instance(Commune, row, "c")
    return FacilityRow(facility=facility, figures=_figures(row))


def compliance_by_facility(
    scope: Scope,
    as_of: date | None = None,
    filters: ComplianceFilters = NO_FILTERS,
    *,
    offset: int = 0,
    limit: int = 50,
) -> Page[FacilityRow]:
    """One page of facilities with mentors in scope, worst first, with the total count."""
    day = as_of or timezone.localdate()
    params = {**_params(scope, [day], filters), "limit": limit, "offset": offset}
    rows = _fetch(_facility_sql(paged=True), params)
    total = int(rows[0]["total"]) if rows else 0
    return Page(
        rows=[_facility_row(row) for row in rows if row["facility_id"] is not None],
        total=total,
        offset=offset,
    )


def _specialty_sql() -> str:
    specialties = _table(User.specialties.through)
    return f"""{_base_sql()}
    , rolled AS (
        SELECT us.specialty_id, {_AGGREGATES}, {_ROLLUP_COMPLIANCE}
        FROM selected s LEFT JOIN {specialties} us ON us.user_id = s.mentor_id
        GROUP BY us.specialty_id
    )
    SELECT rolled.*, {_columns(Specialty, "sp")}
    FROM rolled LEFT JOIN {_table(Specialty)} sp ON sp.id = rolled.specialty_id
    ORDER BY {_ROLLUP_ORDER}, sp.name_vi ASC NULLS LAST, sp.id ASC"""  # noqa: S608 (identifiers from _meta or whitelists; every value is a parameter)


def _specialty_row(row: dict[str, Any]) -> SpecialtyRow:
    return SpecialtyRow(specialty=_instance(Specialty, row, "sp"), figures=_figures(row))


def compliance_by_specialty(
    scope: Scope, as_of: date | None = None, filters: ComplianceFilters = NO_FILTERS
) -> list[SpecialtyRow]:
    """One row per specialty of the mentors in scope (a mentor counts in each of theirs; those
    with none form the row whose specialty is None), worst first."""
    day = as_of or timezone.localdate()
    return [_specialty_row(row) for row in _fetch(_specialty_sql(), _params(scope, [day], filters))]


# --- Mentors ------------------------------------------------------------------------------------


def _mentor_sql(order: MentorOrder, *, paged: bool) -> str:
    limit = "LIMIT %(limit)s OFFSET %(offset)s" if paged else ""
    mentorship, activity = _table(Mentorship), _table(MentorshipActivity)
    # A page's per-tier figures are gathered for its rows only; an export gathers them for all.
    page_tiers = (
        """
    , page_tiers AS (
        SELECT pr.idx, pr.mentor_id, jsonb_agg(jsonb_build_object(
                   'mentee_tier', pr.mentee_tier, 'required', pr.required, 'maximum', pr.maximum,
                   'in_force', pr.in_force, 'engaged', pr.engaged)
                   ORDER BY array_position(%(tier_order)s::text[], pr.mentee_tier::text)) AS tiers
        FROM page JOIN per_rule pr ON pr.idx = page.idx AND pr.mentor_id = page.mentor_id
        GROUP BY pr.idx, pr.mentor_id
    )"""
        if paged
        else ""
    )
    return f"""{_base_sql(with_tiers=not paged)}
    , page AS (
        SELECT * FROM selected s ORDER BY {_ORDERS[order].format(t="s")} {limit}
    ){page_tiers}
    SELECT total.total, page.*{", page_tiers.tiers" if paged else ""},
           (SELECT max(a.occurred_at) FROM {mentorship} ms
              JOIN {activity} a ON a.mentorship_id = ms.id
             WHERE ms.mentor_id = page.mentor_id AND a.occurred_at < d.cutoff) AS last_activity_at,
           {_columns(User, "u")}, {_columns(Facility, "f")}, {_columns(Province, "p")},
           {_columns(Commune, "c")}
    FROM (SELECT count(*) AS total FROM selected) total
    LEFT JOIN page ON TRUE
    LEFT JOIN dates d ON d.idx = page.idx{
        " LEFT JOIN page_tiers ON page_tiers.idx = page.idx AND page_tiers.mentor_id = page.mentor_id"
        if paged
        else ""
    }
    LEFT JOIN {_table(User)} u ON u.id = page.mentor_id
    LEFT JOIN {_table(Facility)} f ON f.id = page.facility_id
    LEFT JOIN {_table(Province)} p ON p.code = f.province_id
    LEFT JOIN {_table(Commune)} c ON c.code = f.commune_id
    ORDER BY {_ORDERS[order].format(t="page")}"""  # noqa: S608 (identifiers from _meta or whitelists; every value is a parameter)


def _json(value: Any) -> Any:
    # Django's PostgreSQL backend leaves jsonb undecoded (JSONField decodes it itself).
    return json.loads(value) if isinstance(value, str | bytes) else (value or [])


def _mentor_row(row: dict[str, Any]) -> MentorRow:
    mentor: User = _instance(User, row, "u")
    facility: Facility = _instance(Facility, row, "f")
    facility.province = _instance(Province, row, "p")
    facility.commune = _instance(Commune, row, "c")
    mentor.facility = facility
    tiers = [
        TierFigures(
            mentee_tier=item["mentee_tier"],
            required=int(item["required"]),
            maximum=int(item["maximum"]),
            in_force=int(item["in_force"]),
            engaged=int(item["engaged"]),
        )
        for item in _json(row["tiers"])
    ]
    return MentorRow(
        mentor=mentor,
        tier=row["tier"],
        figures=_figures(row),
        tiers=tiers,
        last_activity_at=row["last_activity_at"],
    )


def mentor_compliance(
    scope: Scope,
    as_of: date | None = None,
    filters: ComplianceFilters = NO_FILTERS,
    *,
    order: MentorOrder = MentorOrder.WORST_FIRST,
    offset: int = 0,
    limit: int = 50,
) -> Page[MentorRow]:
    """One page of mentors in scope with their figures per mentee tier and last activity,
    worst first by default, with the total count: one statement."""
    day = as_of or timezone.localdate()
    params = {**_params(scope, [day], filters), "limit": limit, "offset": offset}
    rows = _fetch(_mentor_sql(order, paged=True), params)
    total = int(rows[0]["total"]) if rows else 0
    return Page(
        rows=[_mentor_row(row) for row in rows if row["mentor_id"] is not None], total=total, offset=offset
    )


def with_specialties(rows: Sequence[MentorRow]) -> Sequence[MentorRow]:
    """Load the mentors' specialties in one query (for screens that show them)."""
    models.prefetch_related_objects([row.mentor for row in rows], "specialties")
    return rows


# --- Streaming (for the CSV export and the reminder command) ----------------------------------


def _iterate(
    sql: str, params: dict[str, Any], mapper: Callable[[dict[str, Any]], T], key: str, chunk_size: int
) -> Iterator[T]:
    for row in _stream(sql, params, chunk_size):
        if row[key] is not None:
            yield mapper(row)


def iter_mentor_compliance(
    scope: Scope,
    as_of: date | None = None,
    filters: ComplianceFilters = NO_FILTERS,
    *,
    order: MentorOrder = MentorOrder.WORST_FIRST,
    chunk_size: int = EXPORT_CHUNK_SIZE,
) -> Iterator[MentorRow]:
    """Every mentor row, in order, through a server-side cursor (``chunk_size`` rows at a time)."""
    day = as_of or timezone.localdate()
    return _iterate(
        _mentor_sql(order, paged=False), _params(scope, [day], filters), _mentor_row, "mentor_id", chunk_size
    )


def iter_compliance_by_facility(
    scope: Scope,
    as_of: date | None = None,
    filters: ComplianceFilters = NO_FILTERS,
    *,
    chunk_size: int = EXPORT_CHUNK_SIZE,
) -> Iterator[FacilityRow]:
    """Every facility row, worst first, through a server-side cursor."""
    day = as_of or timezone.localdate()
    return _iterate(
        _facility_sql(paged=False), _params(scope, [day], filters), _facility_row, "facility_id", chunk_size
    )


# --- Trend ------------------------------------------------------------------------------------


def _trend_sql() -> str:
    return f"""{_base_sql()}
    , rolled AS (
        SELECT s.idx, s.province_id, GROUPING(s.province_id) AS is_total, {_AGGREGATES}
        FROM selected s
        GROUP BY GROUPING SETS ((s.idx), (s.idx, s.province_id))
    )
    SELECT d.idx, d.as_of, pol.version AS policy_version, rolled.*, {_columns(Province, "p")}
    FROM dates d
    JOIN {_table(QuotaPolicy)} pol ON pol.id = d.policy_id
    LEFT JOIN rolled ON rolled.idx = d.idx
    LEFT JOIN {_table(Province)} p ON p.code = rolled.province_id AND rolled.is_total = 0
    ORDER BY d.idx, rolled.is_total DESC, p.name ASC"""  # noqa: S608 (identifiers from _meta or whitelists; every value is a parameter)


def compliance_trend(
    scope: Scope, months: int = 12, filters: ComplianceFilters = NO_FILTERS, *, until: date | None = None
) -> list[TrendPoint]:
    """Month by month, oldest first: the scope's figures (national for a national auditor) and
    each province's within the scope, each month audited as of its last day (the current
    month as of today) under the policy in force then. One statement for all months."""
    if not 1 <= months <= MAX_TREND_MONTHS:
        raise ServiceError(
            CommonErrorCode.INVALID,
            _("Ask for 1 to %(limit)d months.") % {"limit": MAX_TREND_MONTHS},
            "months",
        )
    points = trend_months(months, until)
    rows = _fetch(_trend_sql(), _params(scope, [as_of for _first, as_of in points], filters))
    totals: dict[int, Figures] = {}
    provinces: dict[int, list[ProvinceRow]] = {index: [] for index in range(1, len(points) + 1)}
    versions: dict[int, int] = {}
    for row in rows:
        index = int(row["idx"])
        versions[index] = row["policy_version"]
        if row["is_total"] is None:
            continue
        if row["is_total"]:
            totals[index] = _figures(row)
        else:
            provinces[index].append(_province_row(row))
    return [
        TrendPoint(
            month=first,
            as_of=as_of,
            policy_version=versions[index],
            figures=totals.get(index, Figures()),
            provinces=sorted(
                provinces[index], key=lambda item: (item.figures.compliance, -item.figures.deficit)
            ),
        )
        for index, (first, as_of) in enumerate(points, start=1)
    ]
