"""GraphQL for mentorship, one module per topic, merged here for config/schema.py."""

from __future__ import annotations

import graphene

MENTORSHIP_QUERY_ROOTS: tuple[type[graphene.ObjectType], ...] = ()
MENTORSHIP_MUTATION_ROOTS: tuple[type[graphene.ObjectType], ...] = ()
