"""GraphQL of the search app, merged by config/schema.py."""

from __future__ import annotations

import graphene

SEARCH_QUERY_ROOTS: tuple[type[graphene.ObjectType], ...] = ()
SEARCH_MUTATION_ROOTS: tuple[type[graphene.ObjectType], ...] = ()
SEARCH_SUBSCRIPTION_ROOTS: tuple[type[graphene.ObjectType], ...] = ()
