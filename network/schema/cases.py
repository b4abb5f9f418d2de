"""GraphQL for network cases (being built)."""

from __future__ import annotations

import graphene


class CasesQuery(graphene.ObjectType):
    """Root query fields for cases."""


class CasesMutation(graphene.ObjectType):
    """Root mutation fields for cases."""
