"""GraphQL for the network, one module per topic, merged here for config/schema.py."""

from __future__ import annotations

from network.schema.cases import CasesMutation, CasesQuery
from network.schema.connections import ConnectionsMutation, ConnectionsQuery
from network.schema.feed import FeedQuery
from network.schema.notifications import NotificationsMutation, NotificationsQuery, NotificationsSubscription

NETWORK_QUERY_ROOTS = (ConnectionsQuery, CasesQuery, NotificationsQuery, FeedQuery)
NETWORK_MUTATION_ROOTS = (ConnectionsMutation, CasesMutation, NotificationsMutation)
NETWORK_SUBSCRIPTION_ROOTS = (NotificationsSubscription,)
