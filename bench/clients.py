"""What the benchmarks share to reach the product the way clients do, and the database raw."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import psycopg
from django.db import connection
from django.test import Client


def session_token(client: Client, email: str) -> str:
    """Sign in through allauth's app API, as a phone would. The password is set first: the
    seeded hash may come from another hasher profile than the one the benchmark runs with."""
    from accounts.models import User

    password = "bench-" + "x" * 20
    user = User.objects.get(email=email)
    user.set_password(password)
    user.save(update_fields=["password"])
    response = client.post(
        "/_allauth/app/v1/auth/login",
        data={"email": email, "password": password},
        content_type="application/json",
    )
    body = response.json()
    token = body.get("meta", {}).get("session_token")
    if response.status_code != 200 or not token:
        raise RuntimeError(f"Headless login of {email} failed ({response.status_code}): {body}")
    return token


def raw_connection() -> psycopg.Connection[Any]:
    """A plain psycopg connection to the benchmark database, outside Django."""
    settings = connection.settings_dict
    return psycopg.connect(
        dbname=settings["NAME"],
        user=settings["USER"] or None,
        password=settings["PASSWORD"] or None,
        host=settings["HOST"] or None,
        port=settings["PORT"] or None,
        autocommit=True,
    )


def graphql_data(payload: dict[str, Any]) -> dict[str, Any]:
    """The ``data`` of a GraphQL answer; any error stops the benchmark."""
    if payload.get("errors"):
        raise RuntimeError(f"GraphQL errors: {payload['errors']}")
    return payload["data"]


def graphql_post(
    client: Client, token: str, query: str, variables: dict[str, Any] | None = None
) -> Callable[[], dict[str, Any]]:
    """A request to ``/graphql/`` with ``token``, as a function to time; it checks the answer."""
    body = json.dumps({"query": query, "variables": variables or {}})

    def request() -> dict[str, Any]:
        response = client.post(
            "/graphql/", data=body, content_type="application/json", headers={"X-Session-Token": token}
        )
        if response.status_code != 200:
            raise RuntimeError(f"/graphql/ answered {response.status_code}: {response.content[:500]!r}")
        payload: dict[str, Any] = response.json()
        graphql_data(payload)
        return payload

    return request
