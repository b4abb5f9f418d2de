"""Helpers for talking to /graphql/ the way clients do: HTTP POSTs through Django's test client."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from graphql_relay import to_global_id

from tests import factories

GRAPHQL_URL = "/graphql/"
APP_LOGIN_URL = "/_allauth/app/v1/auth/login"
APP_SESSION_URL = "/_allauth/app/v1/auth/session"


def post_graphql(
    client: Client,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    status: int = 200,
    **headers: Any,
) -> dict[str, Any]:
    """POST one operation as JSON; assert the HTTP status; return the decoded body."""
    body: dict[str, Any] = {"query": query}
    if variables is not None:
        body["variables"] = variables
    response = client.post(GRAPHQL_URL, json.dumps(body), content_type="application/json", headers=headers)
    assert response.status_code == status, response.content
    return response.json()


def data_of(result: dict[str, Any]) -> dict[str, Any]:
    """The ``data`` of a result that must have no top-level errors."""
    assert "errors" not in result, result
    return result["data"]


def error_codes(result: dict[str, Any]) -> list[str]:
    return [error.get("extensions", {}).get("code") for error in result.get("errors", [])]


def gid(type_name: str, key: Any) -> str:
    return to_global_id(type_name, str(key))


def app_login(client: Client, user) -> str:
    """Sign in through allauth's headless "app" endpoint as a mobile app does; return the token.

    The user needs a verified primary email address (verification is mandatory).
    """
    response = client.post(
        APP_LOGIN_URL, {"email": user.email, "password": factories.PASSWORD}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    return response.json()["meta"]["session_token"]


def app_logout(client: Client, token: str) -> None:
    response = client.delete(APP_SESSION_URL, headers={"X-Session-Token": token})
    # allauth answers a logout with 401: "you are now unauthenticated".
    assert response.status_code == 401, response.content


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    # allauth counts logins per IP in the cache; tests must not share that budget.
    cache.clear()


@pytest.fixture
def graphql(client):
    """Run an operation as an anonymous visitor or, after ``graphql.login(user)``, as ``user``."""

    class Runner:
        def __init__(self) -> None:
            self.client = client

        def login(self, user) -> None:
            self.client.force_login(user)

        def __call__(self, query: str, variables: dict[str, Any] | None = None, **kwargs: Any):
            return post_graphql(self.client, query, variables, **kwargs)

    return Runner()
