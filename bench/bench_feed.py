"""The mobile app's home screen: ``feed(first: 20)`` with each case's author, specialty,
comment count and first three comments with their authors, over GraphQL, at country scale
(200,000 doctors, ~6,000,000 connection rows, 1,000,000 cases, ~3,000,000 comments), against
raw SQL returning the same rows, in the same run.

Viewers are verified doctors with a typical number of connections (25 to 35; the median is
~28) who follow at least one specialty; each round asks for the next viewer's feed, through
both paths. The GraphQL request goes through Django's whole HTTP stack in-process with the
``X-Session-Token`` of a session made by allauth's headless login.

The floor is hand-written SQL on a separate psycopg connection: one query picks the page the
way the selector does (each source's newest cases through its index, then the newest of
those) and joins the authors and comment counts; one fetches the first comments with their
authors; one the authors' specialties. It restates the feed and visibility rules in SQL, so
the benchmark first checks that both paths return the same cases for every viewer: a rule
changed on one side only fails loudly instead of timing different work.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from typing import Any

import psycopg
from django.db import connection
from django.test import Client

from bench.clients import raw_connection, session_token
from bench.harness import BenchContext, Result, measure_interleaved

PAGE = 20
VIEWERS = 8
CONNECTIONS = (25, 35)
# Targets of the issue: at most 4x the SQL floor, and what a phone on 4G can bear.
RATIO_TARGET = 4.0
P95_TARGET_MS = 150.0
NETWORK_TABLES = (
    "network_connection",
    "network_specialtyfollow",
    "network_case",
    "network_caseaudience",
    "network_comment",
)

QUERY = """
query Feed($first: Int!) {
  feed(first: $first) {
    pageInfo { hasNextPage endCursor }
    edges { node {
      id title publishedAt status visibility commentCount
      specialty { id name }
      author { id fullName title avatarUrl facility { name tier province { name } } specialties { name } }
      firstComments { id body createdAt helpfulCount author { id fullName title avatarUrl } }
    } }
  }
}
"""

# The visibility rule for viewer %(viewer)s, on case c (mirrors network.selectors.cases).
VISIBLE = """
    c.published_at IS NOT NULL AND c.deleted_at IS NULL AND c.hidden_at IS NULL
    AND (c.author_id = %(viewer)s
         OR ((c.visibility = 'network'
              OR (c.visibility = 'connections' AND c.author_id IN (SELECT peer_id FROM peers))
              OR (c.visibility = 'named' AND EXISTS (
                    SELECT 1 FROM network_caseaudience a WHERE a.case_id = c.id AND a.doctor_id = %(viewer)s)))
             AND c.author_id NOT IN (SELECT id FROM blocked)))
"""
PAGE_SQL = f"""
    WITH peers AS (SELECT peer_id FROM network_connection WHERE doctor_id = %(viewer)s),
    blocked AS (
        SELECT blocked_id AS id FROM network_block WHERE blocker_id = %(viewer)s
        UNION SELECT blocker_id FROM network_block WHERE blocked_id = %(viewer)s
    ),
    candidates AS (
        SELECT newest.id FROM peers CROSS JOIN LATERAL (
            SELECT c.id FROM network_case c WHERE c.author_id = peers.peer_id AND {VISIBLE}
             ORDER BY c.published_at DESC, c.id DESC LIMIT %(limit)s) newest
        UNION
        SELECT newest.id FROM network_specialtyfollow f CROSS JOIN LATERAL (
            SELECT c.id FROM network_case c WHERE c.specialty_id = f.specialty_id AND {VISIBLE}
             ORDER BY c.published_at DESC, c.id DESC LIMIT %(limit)s) newest
         WHERE f.doctor_id = %(viewer)s
        UNION
        (SELECT c.id FROM network_case c WHERE c.author_id = %(viewer)s AND {VISIBLE}
          ORDER BY c.published_at DESC, c.id DESC LIMIT %(limit)s)
    )
    SELECT c.id, c.public_id, c.title, c.published_at, c.status, c.visibility,
           s.id, s.name_vi, u.id, u.public_id, u.full_name, u.title, u.avatar, f.name, f.tier, p.name,
           (SELECT count(*) FROM network_comment m
             WHERE m.case_id = c.id AND m.deleted_at IS NULL AND m.hidden_at IS NULL)
      FROM network_case c JOIN candidates USING (id)
      JOIN facilities_specialty s ON s.id = c.specialty_id
      JOIN accounts_user u ON u.id = c.author_id
      LEFT JOIN facilities_facility f ON f.id = u.facility_id
      LEFT JOIN facilities_province p ON p.code = f.province_id
     ORDER BY c.published_at DESC, c.id DESC
     LIMIT %(limit)s
"""
FIRST_COMMENTS_SQL = """
    SELECT page.case_id, m.public_id, m.body, m.created_at, u.id, u.public_id, u.full_name, u.title, u.avatar,
           (SELECT count(*) FROM network_helpfulreaction h WHERE h.comment_id = m.id)
      FROM unnest(%(cases)s::bigint[]) AS page(case_id)
      CROSS JOIN LATERAL (
          SELECT * FROM network_comment m
           WHERE m.case_id = page.case_id AND m.parent_id IS NULL
             AND m.deleted_at IS NULL AND m.hidden_at IS NULL
           ORDER BY m.created_at, m.id LIMIT 3) m
      JOIN accounts_user u ON u.id = m.author_id
"""
SPECIALTIES_SQL = """
    SELECT us.user_id, s.name_vi
      FROM accounts_user_specialties us JOIN facilities_specialty s ON s.id = us.specialty_id
     WHERE us.user_id = ANY(%(authors)s)
"""


def _ensure_network_data(ctx: BenchContext) -> None:
    """Seed the network over the synthetic doctors unless it is there, then let the database
    settle as autovacuum would (visibility map, statistics) so every run starts alike."""
    from django.utils import timezone

    from accounts.management.seeding import country, network
    from network.models import Case

    expected = int(ctx.doctors * network.CASES_PER_DOCTOR)
    present = Case.objects.filter(author__in=country.synthetic_users()).count()
    if present >= 0.9 * expected:
        ctx.log(f"Network data present: {present} synthetic cases.")
    else:
        ctx.log(
            f"Seeding the network of {ctx.doctors} doctors (found {present} cases); this takes a while..."
        )
        timings = network.seed_network(
            country.CountryParameters(doctors=ctx.doctors, seed=ctx.seed, as_of=timezone.localdate()),
            log=ctx.log,
        )
        ctx.log("Seeded: " + ", ".join(f"{name} {seconds:.0f} s" for name, seconds in timings.items()))
    with connection.cursor() as cursor:
        for table in NETWORK_TABLES:
            cursor.execute(f"VACUUM (ANALYZE) {table}")


def _viewers(ctx: BenchContext) -> list[tuple[int, str]]:
    """(id, email) of verified synthetic doctors with a typical number of connections who
    follow a specialty, spread over the data set."""
    from django.db.models import Count, Exists, OuterRef

    from accounts.management.seeding.country import synthetic_users
    from accounts.models import VerificationStatus
    from network.models import SpecialtyFollow

    candidates = list(
        synthetic_users()
        .filter(verification_status=VerificationStatus.VERIFIED, facility__isnull=False)
        .filter(Exists(SpecialtyFollow.objects.filter(doctor_id=OuterRef("pk"))))
        .annotate(connection_count=Count("connections"))
        .filter(connection_count__range=CONNECTIONS)
        .order_by("id")
        .values_list("id", "email")
    )
    if len(candidates) < VIEWERS:
        raise RuntimeError(
            f"Only {len(candidates)} doctors with {CONNECTIONS} connections: is the network seeded?"
        )
    step = len(candidates) // VIEWERS
    return [candidates[index * step] for index in range(VIEWERS)]


def _graphql_request(client: Client, token: str) -> Callable[[], list[str]]:
    body = json.dumps({"query": QUERY, "variables": {"first": PAGE}})

    def request() -> list[str]:
        response = client.post(
            "/graphql/", data=body, content_type="application/json", headers={"X-Session-Token": token}
        )
        if response.status_code != 200:
            raise RuntimeError(f"/graphql/ answered {response.status_code}: {response.content[:500]!r}")
        payload = response.json()
        if payload.get("errors"):
            raise RuntimeError(f"GraphQL errors: {payload['errors']}")
        edges = payload["data"]["feed"]["edges"]
        if len(edges) != PAGE:
            raise RuntimeError(f"Expected {PAGE} cases in the feed, got {len(edges)}.")
        return [edge["node"]["id"] for edge in edges]

    return request


def _sql_floor(raw: psycopg.Connection[Any], viewer_id: int) -> Callable[[], list[str]]:
    def fetch() -> list[str]:
        with raw.cursor() as cursor:
            cursor.execute(PAGE_SQL, {"viewer": viewer_id, "limit": PAGE + 1})
            cases = cursor.fetchall()[:PAGE]
            cursor.execute(FIRST_COMMENTS_SQL, {"cases": [row[0] for row in cases]})
            comments = cursor.fetchall()
            authors = sorted({row[8] for row in cases} | {row[4] for row in comments})
            cursor.execute(SPECIALTIES_SQL, {"authors": authors})
            cursor.fetchall()
        if len(cases) != PAGE:
            raise RuntimeError(f"Expected {PAGE} cases by SQL, got {len(cases)}.")
        return [str(row[1]) for row in cases]

    return fetch


def _describe(ctx: BenchContext, raw: psycopg.Connection[Any], viewer_ids: list[int]) -> None:
    """What the run reads: the network's size, and how much discussion the measured pages hold
    (first comments cost a query of their own when a page has any)."""
    with raw.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT count(*) FROM network_connection), (SELECT count(*) FROM network_case),"
            " (SELECT count(*) FROM network_comment), (SELECT count(*) FROM accounts_user)"
        )
        connections, cases, comments, users = cursor.fetchone() or (0, 0, 0, 1)
        commented = shown = 0
        for viewer_id in viewer_ids:
            cursor.execute(PAGE_SQL, {"viewer": viewer_id, "limit": PAGE})
            page = [row[0] for row in cursor.fetchall()]
            cursor.execute(FIRST_COMMENTS_SQL, {"cases": page})
            firsts = cursor.fetchall()
            commented += len({row[0] for row in firsts})
            shown += len(firsts)
    ctx.log(
        f"  {users} users, {connections} connection rows ({connections / users:.1f} a user), {cases} cases, "
        f"{comments} comments; the {len(viewer_ids)} measured pages: {commented} of "
        f"{PAGE * len(viewer_ids)} cases with first comments ({shown} comments)"
    )


def _rotating(functions: list[Callable[[], list[str]]]) -> Callable[[], None]:
    """Each call runs the next function (the next viewer's feed)."""
    turn = itertools.cycle(functions)

    def call() -> None:
        next(turn)()

    return call


def run(ctx: BenchContext) -> list[Result]:
    from graphql_relay import from_global_id

    ctx.ensure_country_data()
    _ensure_network_data(ctx)
    viewers = _viewers(ctx)
    client = Client()
    tokens = [session_token(client, email) for _, email in viewers]
    try:
        with raw_connection() as raw:
            _describe(ctx, raw, [viewer_id for viewer_id, _ in viewers])
            graphql = [_graphql_request(client, token) for token in tokens]
            floors = [_sql_floor(raw, viewer_id) for viewer_id, _ in viewers]
            for (_, email), by_graphql, by_sql in zip(viewers, graphql, floors, strict=True):
                # A broken setup, or rules that differ between the two paths, fail here.
                ids = [from_global_id(global_id)[1] for global_id in by_graphql()]
                if ids != by_sql():
                    raise RuntimeError(f"GraphQL and SQL disagree on the feed of {email}.")
            samples, floor_samples = measure_interleaved(
                _rotating(graphql), _rotating(floors), rounds=ctx.rounds, warmup=ctx.warmup
            )
    finally:  # end the sessions, so the benchmark database keeps none from run to run
        for token in tokens:
            client.delete("/_allauth/app/v1/auth/session", headers={"X-Session-Token": token})
    return [
        Result(
            name=f"feed: feed(first: {PAGE}) with authors, counts, first comments",
            samples=samples,
            floor_samples=floor_samples,
            max_ratio=RATIO_TARGET,
            max_p95_ms=P95_TARGET_MS,
            notes=f"GraphQL over Django's HTTP stack with X-Session-Token vs 3 raw SQL queries; "
            f"{len(viewers)} viewers with {CONNECTIONS[0]}-{CONNECTIONS[1]} connections, {ctx.doctors} doctors",
        )
    ]
