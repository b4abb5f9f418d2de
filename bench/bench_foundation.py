"""The mobile app's first screen: ``me`` + ``facilities(first: 100)`` over GraphQL, at country
scale (200,000 doctors), against the same rows fetched by raw SQL.

The GraphQL request goes through Django's whole HTTP stack in-process (middleware, the
``X-Session-Token`` authentication of a session made by allauth's headless login, validation,
resolvers, JSON). The floor is the least database work that returns the same columns: one
query for the viewer and their facility, one for their specialties, one for the page of
facilities with their provinces, on a separate psycopg connection.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import psycopg
from django.test import Client

from bench.clients import raw_connection, session_token
from bench.harness import BenchContext, Result, measure_interleaved

QUERY = """
query {
  me { id fullName facility { id name tier } specialties { id nameVi } }
  facilities(first: 100) { edges { node { id name tier province { code name } } } }
}
"""
PAGE = 100
# Judged on the ratio to the SQL floor (machine-independent) and on what a phone on 4G can bear.
RATIO_TARGET = 20.0
P95_TARGET_MS = 100.0

ME_SQL = """
    SELECT u.id, u.full_name, f.id, f.name, f.tier
      FROM accounts_user u LEFT JOIN facilities_facility f ON f.id = u.facility_id
     WHERE u.id = %s
"""
SPECIALTIES_SQL = """
    SELECT s.id, s.name_vi
      FROM facilities_specialty s JOIN accounts_user_specialties us ON us.specialty_id = s.id
     WHERE us.user_id = %s
     ORDER BY s.name_vi
"""
FACILITIES_SQL = """
    SELECT f.id, f.name, f.tier, p.code, p.name
      FROM facilities_facility f JOIN facilities_province p ON p.code = f.province_id
     WHERE f.is_active
     ORDER BY f.name, f.id
     LIMIT %s
"""


def _viewer_email() -> str:
    """A verified synthetic doctor of the central tier with two specialties: the fullest `me`."""
    from django.db.models import Count

    from accounts.management.seeding.country import synthetic_users
    from accounts.models import VerificationStatus
    from facilities.models import Tier

    return (
        synthetic_users()
        .filter(verification_status=VerificationStatus.VERIFIED, facility__tier=Tier.CENTRAL)
        .annotate(specialty_count=Count("specialties"))
        .filter(specialty_count=2)
        .order_by("id")
        .values_list("email", flat=True)[0]
    )


def _check(payload: dict[str, Any]) -> None:
    """Fail loudly rather than time an error: the response must carry the whole screen."""
    if payload.get("errors"):
        raise RuntimeError(f"GraphQL errors: {payload['errors']}")
    data = payload["data"]
    if data["me"] is None or data["me"]["facility"] is None:
        raise RuntimeError(f"`me` is incomplete (is X-Session-Token honoured?): {data['me']}")
    if len(data["facilities"]["edges"]) != PAGE:
        raise RuntimeError(f"Expected {PAGE} facilities, got {len(data['facilities']['edges'])}.")


def _graphql_request(client: Client, token: str) -> Callable[[], None]:
    body = json.dumps({"query": QUERY})

    def request() -> None:
        response = client.post(
            "/graphql/", data=body, content_type="application/json", headers={"X-Session-Token": token}
        )
        if response.status_code != 200:
            raise RuntimeError(f"/graphql/ answered {response.status_code}: {response.content[:500]!r}")
        _check(response.json())

    return request


def _sql_floor(raw: psycopg.Connection[Any], user_id: int) -> Callable[[], None]:
    def fetch() -> None:
        with raw.cursor() as cursor:
            cursor.execute(ME_SQL, [user_id])
            cursor.fetchall()
            cursor.execute(SPECIALTIES_SQL, [user_id])
            cursor.fetchall()
            cursor.execute(FACILITIES_SQL, [PAGE])
            if len(cursor.fetchall()) != PAGE:
                raise RuntimeError(f"Expected {PAGE} facilities by SQL.")

    return fetch


def run(ctx: BenchContext) -> list[Result]:
    from accounts.models import User

    ctx.ensure_country_data()
    email = _viewer_email()
    user_id = User.objects.values_list("id", flat=True).get(email=email)
    client = Client()
    token = session_token(client, email)
    try:
        with raw_connection() as raw:
            graphql, floor = _graphql_request(client, token), _sql_floor(raw, user_id)
            graphql()  # a broken setup fails here, before any timing
            samples, floor_samples = measure_interleaved(graphql, floor, rounds=ctx.rounds, warmup=ctx.warmup)
    finally:  # end the session, so the benchmark database keeps none from run to run
        client.delete("/_allauth/app/v1/auth/session", headers={"X-Session-Token": token})
    return [
        Result(
            name="foundation: me + facilities(first: 100)",
            samples=samples,
            floor_samples=floor_samples,
            max_ratio=RATIO_TARGET,
            max_p95_ms=P95_TARGET_MS,
            notes=f"GraphQL over Django's HTTP stack with X-Session-Token vs 3 raw SQL queries; "
            f"viewer {email}, {ctx.doctors} doctors",
        )
    ]
