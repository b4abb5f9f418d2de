"""The mentorship compliance audit and the nationwide planner at country scale (200,000 doctors,
~14,500 central-tier mentors with ~123,000 active mentorships, ~31,000 ended ones and ~780,000
activities: `seed_country`'s mentorship step).

Three audit screens, each over GraphQL through Django's whole HTTP stack in-process, with the
``X-Session-Token`` of a national auditor (a ``ComplianceAuditor`` grant), against raw SQL doing
the same work on a separate psycopg connection, interleaved in the same run:

1. ``complianceSummary``: the national figures as of today;
2. ``complianceByProvince``: one row per province, worst first;
3. ``mentorCompliance(first: 20)``: the page of the 20 worst mentors with their figures per
   mentee tier, facility, province, specialties and last activity.

The floors restate the audit's definitions (``mentorship.selectors.compliance``'s docstring) in
hand-written SQL: mentors of the tiers the policy in force makes mentor, mentorships in force at
the end of the day per mentee tier, engaged = with activity in the last
``MENTORSHIP_ACTIVITY_DAYS`` (read from ``last_activity_at``, which ``services.activity`` keeps
equal to the latest activity, and from the activities only when that moment is after the audit
date); the worst page's floor also fetches the page's specialties, as the GraphQL path does. The
floors' connection runs with ``jit = off``, as Django's do. Both paths must return the same figures (checked first: a definition changed
on one side fails loudly instead of timing different work). The SQL statements each GraphQL
request runs are counted (``CaptureQueriesContext``) beyond what authenticating the token costs
(measured on ``{ __typename }``), and printed.

4. The planner (``mentorship.services.planner``) on the bench database through its database path
   (``run_plan``: load today's country, solve, store the draft plan; rolled back afterwards) and
   on plain arrays at the issue's size (``synthetic_input(15,000 mentors, 185,000 candidates)``,
   every slot open): seconds, and whether every fillable slot was filled (filled == the maximum
   flow). The "floor" column there is the min-cost-flow solver's own time.

Targets (the issue's): at most 3 SQL queries per audit request, p95 at most 250 ms and at most
1.5x the SQL floor; the planner within 60 s with every fillable slot filled.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from typing import Any

import psycopg
from django.conf import settings
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bench.clients import graphql_data, graphql_post, raw_connection, session_token
from bench.harness import BenchContext, Result, measure_interleaved

PAGE = 20
RATIO_TARGET = 1.5
P95_TARGET_MS = 250.0
MAX_QUERIES = 3
PLANNER_TARGET_SECONDS = 60.0
PLANNER_MENTORS, PLANNER_CANDIDATES = 15_000, 185_000
AUDITOR_EMAIL_LOCAL = "kiemtra.quocgia"
PLANNER_ADMIN_EMAIL = "quantri.kehoach@bench.tuyen.test"  # made and dropped inside a rolled-back run
MENTORSHIP_TABLES = ("mentorship_mentorship", "mentorship_mentorshipactivity", "mentorship_quotarule")

# --- GraphQL ---------------------------------------------------------------------------------

FIGURES = "mentors required filled deficit surplus inForce engaged paper compliance engagedCompliance"
SUMMARY_QUERY = f"query {{ complianceSummary {{ asOf policyVersion activityDays {FIGURES} }} }}"
PROVINCES_QUERY = f"query {{ complianceByProvince {{ province {{ code name }} {FIGURES} }} }}"
WORST_QUERY = """
query Worst($first: Int!) {
  mentorCompliance(first: $first, orderBy: WORST_FIRST) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node {
      mentor { id fullName title specialties { nameVi } }
      facility { name } province { code name } tier
      required filled deficit surplus inForce engaged paper compliance band lastActivityAt
      tiers { menteeTier required maximum inForce engaged }
    } }
  }
}
"""
AUTHENTICATION_QUERY = "query { __typename }"
FIGURE_KEYS = ("mentors", "required", "filled", "deficit", "surplus", "inForce", "engaged", "paper")

# --- The SQL floors ----------------------------------------------------------------------------

# Every figure per mentor as of the end of %(day)s (see the selectors' definitions).
PER_MENTOR_SQL = """
    WITH policy AS (
        SELECT COALESCE(
            (SELECT id FROM mentorship_quotapolicy WHERE effective_from <= %(day)s
              ORDER BY effective_from DESC, version DESC LIMIT 1),
            (SELECT id FROM mentorship_quotapolicy ORDER BY effective_from, version LIMIT 1)) AS id
    ),
    rules AS (
        SELECT r.mentor_tier, r.mentee_tier, r.required, r.maximum
          FROM mentorship_quotarule r JOIN policy ON policy.id = r.policy_id
    ),
    mentors AS (
        SELECT u.id, u.full_name, u.facility_id, f.province_id, f.tier
          FROM facilities_facility f JOIN accounts_user u ON u.facility_id = f.id
         WHERE f.tier IN (SELECT mentor_tier FROM rules WHERE required > 0)
           AND u.is_active AND u.verification_status = 'verified'
           AND (u.licence_expires_on IS NULL OR u.licence_expires_on >= %(today)s)
           AND u.date_joined < %(cutoff)s
    ),
    held AS (
        SELECT ms.mentor_id, ms.mentee_tier, count(*) AS in_force,
               -- last_activity_at is the latest activity's moment (services.activity keeps it):
               -- only an audit of a past date needs to look at the activities themselves.
               count(*) FILTER (WHERE CASE
                   WHEN ms.last_activity_at IS NULL OR ms.last_activity_at < %(since)s THEN false
                   WHEN ms.last_activity_at < %(cutoff)s THEN true
                   ELSE EXISTS (
                       SELECT 1 FROM mentorship_mentorshipactivity a
                        WHERE a.mentorship_id = ms.id AND a.occurred_at >= %(since)s AND a.occurred_at < %(cutoff)s)
               END) AS engaged
          FROM mentorship_mentorship ms
         WHERE ms.started_at < %(cutoff)s AND (ms.ended_at IS NULL OR ms.ended_at >= %(cutoff)s)
         GROUP BY ms.mentor_id, ms.mentee_tier
    ),
    per_mentor AS (
        SELECT m.id, m.full_name, m.facility_id, m.province_id, m.tier,
               sum(r.required) AS required,
               sum(LEAST(COALESCE(h.in_force, 0), r.required)) AS filled,
               sum(GREATEST(COALESCE(h.in_force, 0) - r.maximum, 0)) AS surplus,
               sum(COALESCE(h.in_force, 0)) AS in_force,
               sum(COALESCE(h.engaged, 0)) AS engaged,
               sum(LEAST(COALESCE(h.engaged, 0), r.required)) AS engaged_filled
          FROM mentors m JOIN rules r ON r.mentor_tier = m.tier
          LEFT JOIN held h ON h.mentor_id = m.id AND h.mentee_tier = r.mentee_tier
         GROUP BY m.id, m.full_name, m.facility_id, m.province_id, m.tier
    )
"""
SUMS = """count(*) AS mentors, sum(required) AS required, sum(filled) AS filled,
          sum(required - filled) AS deficit, sum(surplus) AS surplus, sum(in_force) AS in_force,
          sum(engaged) AS engaged, sum(in_force - engaged) AS paper"""
SUMMARY_SQL = f"{PER_MENTOR_SQL} SELECT {SUMS} FROM per_mentor"
PROVINCES_SQL = f"""{PER_MENTOR_SQL}
    SELECT p.code, p.name, {SUMS},
           CASE WHEN sum(required) = 0 THEN 100.0 ELSE 100.0 * sum(filled) / sum(required) END AS compliance
      FROM per_mentor JOIN facilities_province p ON p.code = per_mentor.province_id
     GROUP BY p.code, p.name
     ORDER BY compliance, sum(required - filled) DESC, count(*) DESC, p.name, p.code
"""
WORST_SQL = f"""{PER_MENTOR_SQL},
    page AS (
        SELECT *, required - filled AS deficit,
               CASE WHEN required = 0 THEN 100.0 ELSE 100.0 * filled / required END AS compliance
          FROM per_mentor
         ORDER BY compliance, deficit DESC, full_name, id
         LIMIT %(limit)s
    ),
    page_tiers AS (
        SELECT page.id, json_agg(json_build_array(r.mentee_tier, r.required, r.maximum,
                                                  COALESCE(h.in_force, 0), COALESCE(h.engaged, 0))
                                 ORDER BY r.mentee_tier) AS tiers
          FROM page JOIN rules r ON r.mentor_tier = page.tier
          LEFT JOIN held h ON h.mentor_id = page.id AND h.mentee_tier = r.mentee_tier
         GROUP BY page.id
    )
    SELECT page.id, u.public_id, u.full_name, u.title, f.name, p.code, p.name, page.tier,
           page.required, page.filled, page.deficit, page.surplus, page.in_force, page.engaged,
           page.in_force - page.engaged AS paper,
           (SELECT max(a.occurred_at) FROM mentorship_mentorship ms
              JOIN mentorship_mentorshipactivity a ON a.mentorship_id = ms.id
             WHERE ms.mentor_id = page.id AND a.occurred_at < %(cutoff)s) AS last_activity_at,
           page_tiers.tiers,
           (SELECT count(*) FROM per_mentor) AS total
      FROM page JOIN page_tiers ON page_tiers.id = page.id
      JOIN accounts_user u ON u.id = page.id
      JOIN facilities_facility f ON f.id = page.facility_id
      JOIN facilities_province p ON p.code = page.province_id
     ORDER BY page.compliance, page.deficit DESC, page.full_name, page.id
"""
PAGE_SPECIALTIES_SQL = """
    SELECT us.user_id, s.name_vi
      FROM accounts_user_specialties us JOIN facilities_specialty s ON s.id = us.specialty_id
     WHERE us.user_id = ANY(%(mentors)s)
"""


def audit_parameters(day: date) -> dict[str, Any]:
    """The floors' parameters for an audit as of ``day``: its end is local midnight after it;
    the activity window is the ``MENTORSHIP_ACTIVITY_DAYS`` before that."""
    cutoff = timezone.make_aware(datetime.combine(day + timedelta(days=1), clock_time.min))
    return {
        "day": day,
        "today": timezone.localdate(),
        "cutoff": cutoff,
        "since": cutoff - timedelta(days=settings.MENTORSHIP_ACTIVITY_DAYS),
        "limit": PAGE,
    }


# --- Comparing the two paths -------------------------------------------------------------------


def figures_from_sql(row: Sequence[Any]) -> dict[str, int]:
    """The figures of a floor row whose first columns are ``SUMS``' (None when nothing was summed)."""
    return {key: int(value or 0) for key, value in zip(FIGURE_KEYS, row, strict=False)}


def figures_from_graphql(node: dict[str, Any]) -> dict[str, int]:
    return {key: int(node[key]) for key in FIGURE_KEYS if key in node}


def summary_figures(payload: dict[str, Any]) -> dict[str, int]:
    return figures_from_graphql(graphql_data(payload)["complianceSummary"])


def province_rows(payload: dict[str, Any]) -> list[tuple[int, dict[str, int]]]:
    return [
        (row["province"]["code"], figures_from_graphql(row))
        for row in graphql_data(payload)["complianceByProvince"]
    ]


@dataclass(frozen=True)
class MentorLine:
    """One mentor of the worst page, as both paths report it."""

    public_id: str
    figures: tuple[int, ...]
    tiers: tuple[tuple[str, int, int, int, int], ...]
    last_activity_at: datetime | None
    specialties: tuple[str, ...]


def mentor_lines(payload: dict[str, Any]) -> tuple[int, list[MentorLine]]:
    """(total mentors, the page) from a ``mentorCompliance`` answer."""
    from graphql_relay import from_global_id

    answer = graphql_data(payload)["mentorCompliance"]
    lines = []
    for edge in answer["edges"]:
        node = edge["node"]
        last = node["lastActivityAt"]
        lines.append(
            MentorLine(
                public_id=from_global_id(node["mentor"]["id"])[1],
                figures=tuple(int(node[key]) for key in FIGURE_KEYS[1:]),
                tiers=tuple(
                    sorted(
                        (t["menteeTier"].lower(), t["required"], t["maximum"], t["inForce"], t["engaged"])
                        for t in node["tiers"]
                    )
                ),
                last_activity_at=datetime.fromisoformat(last) if last else None,
                specialties=tuple(sorted(s["nameVi"] for s in node["mentor"]["specialties"])),
            )
        )
    return int(answer["totalCount"]), lines


# --- Results with more targets -----------------------------------------------------------------


@dataclass
class AuditResult(Result):
    """A result that also counts the SQL statements of one request (beyond authentication)."""

    queries: int | None = None
    max_queries: int | None = None

    @property
    def target(self) -> str:
        base = super().target
        return base if self.max_queries is None else f"{base}, queries<={self.max_queries}"

    @property
    def passed(self) -> bool:
        within = self.max_queries is None or (self.queries is not None and self.queries <= self.max_queries)
        return super().passed and within

    def as_json(self) -> dict[str, Any]:
        return {**super().as_json(), "queries": self.queries, "max_queries": self.max_queries}


@dataclass
class PlannerBenchResult(Result):
    """A planner run: passes within the time target only if every fillable slot was filled."""

    filled: int = 0
    max_flow: int = 0

    @property
    def target(self) -> str:
        return f"{super().target}, filled=max flow"

    @property
    def passed(self) -> bool:
        return super().passed and self.filled == self.max_flow

    def as_json(self) -> dict[str, Any]:
        return {**super().as_json(), "filled": self.filled, "max_flow": self.max_flow}


# --- Setting up --------------------------------------------------------------------------------


def _ensure_mentorship_data(ctx: BenchContext) -> None:
    """Seed the mentorships over the synthetic country unless they are there, then let the
    database settle as autovacuum would, so every run starts alike."""
    from accounts.management.seeding import country, mentorships
    from mentorship.models import Mentorship

    present = Mentorship.objects.filter(mentor__in=country.synthetic_users()).count()
    if present:
        ctx.log(f"Mentorship data present: {present} synthetic mentorships.")
    else:
        ctx.log("Seeding the mentorships of the synthetic country...")
        timings = mentorships.seed_mentorships(
            country.CountryParameters(doctors=ctx.doctors, seed=ctx.seed, as_of=timezone.localdate()),
            log=ctx.log,
        )
        ctx.log("Seeded: " + ", ".join(f"{name} {seconds:.0f} s" for name, seconds in timings.items()))
    with connection.cursor() as cursor:
        for table in MENTORSHIP_TABLES:
            cursor.execute(f"VACUUM (ANALYZE) {table}")


def _national_auditor() -> str:
    """The email of a synthetic Ministry inspector with a national audit grant (made once; a
    reset of the country deletes them with the other synthetic accounts)."""
    from allauth.account.models import EmailAddress

    from accounts.management.seeding.country import SYNTHETIC_DOMAIN
    from accounts.models import User
    from mentorship.models import AuditScope, ComplianceAuditor

    email = f"{AUDITOR_EMAIL_LOCAL}@{SYNTHETIC_DOMAIN}"
    user, _created = User.objects.get_or_create(
        email=email, defaults={"full_name": "Thanh tra Bộ Y tế", "position": "Thanh tra viên"}
    )
    EmailAddress.objects.update_or_create(
        user=user, email=email, defaults={"verified": True, "primary": True}
    )
    ComplianceAuditor.objects.update_or_create(
        user=user, defaults={"scope": AuditScope.NATIONAL, "province": None, "facility": None}
    )
    return email


def count_queries(request: Callable[[], Any]) -> tuple[int, list[str]]:
    """How many SQL statements one call runs, and their first lines."""
    with CaptureQueriesContext(connection) as captured:
        request()
    return len(captured.captured_queries), [
        " ".join(query["sql"].split())[:110] for query in captured.captured_queries
    ]


# --- The audit benchmarks ----------------------------------------------------------------------


@dataclass
class Screen:
    name: str
    graphql: Callable[[], Any]
    floor: Callable[[], Any]
    check: Callable[[Any, Any], None]


def _screens(client: Client, token: str, raw: psycopg.Connection[Any]) -> list[Screen]:
    def run_sql(sql: str) -> Callable[[], list[tuple[Any, ...]]]:
        def fetch() -> list[tuple[Any, ...]]:
            with raw.cursor() as cursor:
                cursor.execute(sql, audit_parameters(timezone.localdate()))
                return cursor.fetchall()

        return fetch

    def worst_floor() -> tuple[int, list[MentorLine]]:
        with raw.cursor() as cursor:
            cursor.execute(WORST_SQL, audit_parameters(timezone.localdate()))
            rows = cursor.fetchall()
            cursor.execute(PAGE_SPECIALTIES_SQL, {"mentors": [row[0] for row in rows]})
            specialties: dict[int, list[str]] = {}
            for user_id, name in cursor.fetchall():
                specialties.setdefault(user_id, []).append(name)
        lines = [
            MentorLine(
                public_id=str(row[1]),
                figures=tuple(int(value) for value in row[8:15]),
                tiers=tuple(sorted((t[0], t[1], t[2], t[3], t[4]) for t in row[16] or [])),
                last_activity_at=row[15],
                specialties=tuple(sorted(specialties.get(row[0], []))),
            )
            for row in rows
        ]
        return (int(rows[0][17]) if rows else 0), lines

    def check_summary(by_graphql: Any, by_sql: Any) -> None:
        same(summary_figures(by_graphql), figures_from_sql(by_sql[0]), "the national summary")

    def check_provinces(by_graphql: Any, by_sql: Any) -> None:
        same(
            province_rows(by_graphql),
            [(row[0], figures_from_sql(row[2:])) for row in by_sql],
            "the provinces",
        )

    def check_worst(by_graphql: Any, by_sql: Any) -> None:
        total, lines = mentor_lines(by_graphql)
        if len(lines) != PAGE:
            raise RuntimeError(f"Expected {PAGE} mentors, got {len(lines)}.")
        same((total, lines), by_sql, "the worst mentors")

    return [
        Screen("summary", graphql_post(client, token, SUMMARY_QUERY), run_sql(SUMMARY_SQL), check_summary),
        Screen(
            "provinces", graphql_post(client, token, PROVINCES_QUERY), run_sql(PROVINCES_SQL), check_provinces
        ),
        Screen(
            "worst mentors",
            graphql_post(client, token, WORST_QUERY, {"first": PAGE}),
            worst_floor,
            check_worst,
        ),
    ]


def same(by_graphql: Any, by_sql: Any, what: str) -> None:
    """Fail loudly when the two paths disagree (a definition changed on one side only)."""
    if by_graphql != by_sql:
        raise RuntimeError(
            f"GraphQL and SQL disagree on {what}:\n  GraphQL: {by_graphql}\n  SQL:     {by_sql}"
        )


def _audits(ctx: BenchContext) -> list[Result]:
    client = Client()
    token = session_token(client, _national_auditor())
    results: list[Result] = []
    try:
        with raw_connection() as raw:
            raw.execute("SET jit = off")  # as Django's connections run (config.settings)
            authentication, _ = count_queries(graphql_post(client, token, AUTHENTICATION_QUERY))
            for screen in _screens(client, token, raw):
                screen.check(screen.graphql(), screen.floor())
                total, statements = count_queries(screen.graphql)
                ctx.log(
                    f"  {screen.name}: {total} SQL statements per request, {authentication} of them "
                    f"authenticating the token:\n    " + "\n    ".join(statements)
                )
                samples, floor_samples = measure_interleaved(
                    screen.graphql, screen.floor, rounds=ctx.rounds, warmup=ctx.warmup
                )
                results.append(
                    AuditResult(
                        name=f"mentorship: {screen.name}",
                        samples=samples,
                        floor_samples=floor_samples,
                        max_ratio=RATIO_TARGET,
                        max_p95_ms=P95_TARGET_MS,
                        queries=total - authentication,
                        max_queries=MAX_QUERIES,
                        notes=f"GraphQL over Django's HTTP stack (national auditor, X-Session-Token) vs raw SQL; "
                        f"{total - authentication} audit statements + {authentication} authentication; "
                        f"{ctx.doctors} doctors",
                    )
                )
    finally:  # end the session, so the benchmark database keeps none from run to run
        client.delete("/_allauth/app/v1/auth/session", headers={"X-Session-Token": token})
    return results


def _export_memory(ctx: BenchContext) -> None:
    """The mentors' CSV (every mentor in the country) streamed the way the download view sends
    it, against loading every mentor's row at once: Python's peak memory for each (``tracemalloc``)."""
    import tracemalloc

    from accounts.models import User
    from mentorship.exports import ExportView, export_response
    from mentorship.selectors.compliance import iter_mentor_compliance
    from mentorship.services.permissions import NATIONAL

    auditor = User.objects.get(email=_national_auditor())
    today = timezone.localdate()

    def peak(count: Callable[[], int]) -> tuple[int, float]:
        with transaction.atomic():  # rolled back: the export's audit event
            tracemalloc.start()
            try:
                return count(), tracemalloc.get_traced_memory()[1] / 2**20
            finally:
                tracemalloc.stop()
                transaction.set_rollback(True)

    def stream() -> int:
        content = export_response(auditor, NATIONAL, ExportView.MENTORS, today).streaming_content
        assert isinstance(content, Iterator)  # a WSGI response's: not asynchronous
        lines: int = sum(chunk.count(b"\n") for chunk in content)
        return lines - 1  # the header

    lines, streamed = peak(stream)
    rows, loaded = peak(lambda: len(list(iter_mentor_compliance(NATIONAL, today))))
    ctx.log(
        f"  CSV export of every mentor: {lines} rows streamed with a peak of {streamed:.1f} MiB of Python "
        f"memory; the same {rows} rows loaded at once: {loaded:.1f} MiB"
    )


# --- The planner -------------------------------------------------------------------------------


def _planner_rounds(ctx: BenchContext) -> int:
    return max(1, min(3, ctx.rounds // 100))


def _planner_on_database(ctx: BenchContext) -> PlannerBenchResult:
    """``run_plan`` as an administrator would run it, in a transaction undone afterwards."""
    from django.contrib.auth.models import Permission

    from accounts.models import User
    from mentorship.services import planner
    from mentorship.services.permissions import MANAGE_PERMISSION

    samples: list[float] = []
    solver: list[float] = []
    summary: dict[str, Any] = {}
    for _round in range(_planner_rounds(ctx)):
        with transaction.atomic():
            admin = User.objects.create(
                email=PLANNER_ADMIN_EMAIL, full_name="Quản trị kế hoạch", is_staff=True
            )
            app_label, codename = MANAGE_PERMISSION.split(".")
            admin.user_permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )
            _activate_totp(admin)
            admin = User.objects.get(pk=admin.pk)
            started = time.perf_counter()
            plan = planner.run_plan(admin)
            samples.append(time.perf_counter() - started)
            summary = dict(plan.summary)
            solver.append(float(summary.get("solver", {}).get("solve_seconds", summary["seconds"])))
            # Undo the run: the plan, its pairs and the admin.
            transaction.set_rollback(True)
    ctx.log(
        f"  planner on the bench database: {summary['mentors']} mentors with open slots, "
        f"{summary['candidates']} candidates, {summary['slots']} slots, max flow {summary['max_flow']}, "
        f"filled {summary['filled']} (upper bound min(slots, room) per tier {summary['upper_bound']}), "
        f"status {summary['status']}, method {summary['method']}, {summary['arcs']} arcs; "
        f"load {summary.get('load_seconds')} s, solve {summary['seconds']} s, store {summary.get('store_seconds')} s"
    )
    return PlannerBenchResult(
        name=f"planner: run_plan on the bench DB ({summary['mentors']} x {summary['candidates']})",
        samples=samples,
        floor_samples=solver,
        max_p95_ms=PLANNER_TARGET_SECONDS * 1000,
        filled=int(summary["filled"]),
        max_flow=int(summary["max_flow"]),
        notes=f"load + solve + store a draft plan (rolled back); floor = the min-cost-flow solver; {summary}",
    )


def _planner_on_arrays(ctx: BenchContext) -> PlannerBenchResult:
    """``solve_plan`` on ``synthetic_input`` at the issue's size, every slot open."""
    from mentorship.services import planner

    data = planner.synthetic_input(PLANNER_MENTORS, PLANNER_CANDIDATES, seed=ctx.seed)
    samples: list[float] = []
    solver: list[float] = []
    result = None
    for _round in range(_planner_rounds(ctx)):
        started = time.perf_counter()
        result = planner.solve_plan(data)
        samples.append(time.perf_counter() - started)
        solver.append(float(result.stats.get("solve_seconds", result.seconds)))
    assert result is not None
    summary = planner.summarize(data, result)
    ctx.log(
        f"  planner on arrays: {PLANNER_MENTORS} mentors, {PLANNER_CANDIDATES} candidates, {summary['slots']} slots, "
        f"max flow {summary['max_flow']}, filled {summary['filled']} (upper bound {summary['upper_bound']}), "
        f"status {summary['status']}, method {summary['method']}, {summary['arcs']} arcs, {result.stats}"
    )
    return PlannerBenchResult(
        name=f"planner: solve_plan on arrays ({PLANNER_MENTORS} x {PLANNER_CANDIDATES})",
        samples=samples,
        floor_samples=solver,
        max_p95_ms=PLANNER_TARGET_SECONDS * 1000,
        filled=result.filled,
        max_flow=result.bound,
        notes=f"synthetic_input(seed={ctx.seed}), every slot open; floor = the min-cost-flow solver",
    )


def _activate_totp(user: Any) -> None:
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    TOTP.activate(user, generate_totp_secret())


def run(ctx: BenchContext) -> list[Result]:
    ctx.ensure_country_data()
    _ensure_mentorship_data(ctx)
    results = _audits(ctx)
    _export_memory(ctx)
    results.append(_planner_on_database(ctx))
    results.append(_planner_on_arrays(ctx))
    return results
