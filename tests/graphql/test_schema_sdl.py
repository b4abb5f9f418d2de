"""The committed schema.graphql is the schema the server serves: mobile developers and code
generators read it, and reviewers see every API change in its diff."""

from __future__ import annotations

from pathlib import Path

import graphene
from graphql import print_schema

from config import schema as root_schema
from config.schema import schema

SDL_FILE = Path(__file__).resolve().parents[2] / "schema.graphql"


def test_schema_graphql_matches_the_served_schema():
    committed = SDL_FILE.read_text(encoding="utf-8") if SDL_FILE.exists() else ""
    printed = print_schema(schema.graphql_schema)
    assert committed.rstrip("\n") == printed.rstrip("\n"), (
        "schema.graphql differs from the schema in code: run `make schema` and commit schema.graphql."
    )


def test_the_schema_has_the_three_roots_and_relay_node():
    graphql_schema = schema.graphql_schema
    assert graphql_schema.query_type is not None and "node" in graphql_schema.query_type.fields
    assert graphql_schema.mutation_type is not None
    assert graphql_schema.subscription_type is not None
    assert "myVerificationStatus" in graphql_schema.subscription_type.fields


def test_subscription_roots_without_fields_are_left_out(monkeypatch):
    class Empty(graphene.ObjectType):
        pass

    monkeypatch.setattr(root_schema, "SUBSCRIPTION_ROOTS", (Empty,))
    assert root_schema._subscription() is None

    monkeypatch.setattr(root_schema, "SUBSCRIPTION_ROOTS", (Empty, root_schema.AccountsSubscription))
    subscription = root_schema._subscription()
    assert subscription is not None
    assert "my_verification_status" in subscription._meta.fields
