"""GraphQL of the referrals app, merged by config/schema.py."""

from __future__ import annotations

import graphene

REFERRALS_QUERY_ROOTS: tuple[type[graphene.ObjectType], ...] = ()
REFERRALS_MUTATION_ROOTS: tuple[type[graphene.ObjectType], ...] = ()
REFERRALS_SUBSCRIPTION_ROOTS: tuple[type[graphene.ObjectType], ...] = ()
