"""GraphQL for network notifications (being built)."""

from __future__ import annotations

import graphene


class NotificationsQuery(graphene.ObjectType):
    """Root query fields for notifications."""


class NotificationsMutation(graphene.ObjectType):
    """Root mutation fields for notifications."""


class NotificationsSubscription(graphene.ObjectType):
    """Root subscription fields for notifications."""
