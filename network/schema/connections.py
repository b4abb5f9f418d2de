"""GraphQL for network connections (being built)."""

from __future__ import annotations

import graphene


class ConnectionsQuery(graphene.ObjectType):
    """Root query fields for connections."""


class ConnectionsMutation(graphene.ObjectType):
    """Root mutation fields for connections."""
