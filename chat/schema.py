"""GraphQL of the chat app, merged by config/schema.py."""

from __future__ import annotations

import graphene

CHAT_QUERY_ROOTS: tuple[type[graphene.ObjectType], ...] = ()
CHAT_MUTATION_ROOTS: tuple[type[graphene.ObjectType], ...] = ()
CHAT_SUBSCRIPTION_ROOTS: tuple[type[graphene.ObjectType], ...] = ()
