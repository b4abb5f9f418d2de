"""The root GraphQL schema: each app's Query, Mutation and Subscription roots, merged.

An app adds its root class to the tuples below. A subscription root with no fields yet is left
out (graphene refuses an object type without fields), so one appears in the schema as soon as
it defines a field. After any change, run ``make schema`` and commit ``schema.graphql``.
"""

from __future__ import annotations

import graphene

from accounts.schema import AccountsMutation, AccountsQuery
from accounts.subscriptions import AccountsSubscription
from api.relay import Node
from chat.schema import CHAT_MUTATION_ROOTS, CHAT_QUERY_ROOTS, CHAT_SUBSCRIPTION_ROOTS
from facilities.schema import FacilitiesQuery
from mentorship.schema import MENTORSHIP_MUTATION_ROOTS, MENTORSHIP_QUERY_ROOTS
from network.schema import NETWORK_MUTATION_ROOTS, NETWORK_QUERY_ROOTS, NETWORK_SUBSCRIPTION_ROOTS
from referrals.schema import REFERRALS_MUTATION_ROOTS, REFERRALS_QUERY_ROOTS, REFERRALS_SUBSCRIPTION_ROOTS
from search.schema import SEARCH_MUTATION_ROOTS, SEARCH_QUERY_ROOTS, SEARCH_SUBSCRIPTION_ROOTS

QUERY_ROOTS: tuple[type[graphene.ObjectType], ...] = (
    AccountsQuery,
    FacilitiesQuery,
    *NETWORK_QUERY_ROOTS,
    *MENTORSHIP_QUERY_ROOTS,
    *REFERRALS_QUERY_ROOTS,
    *CHAT_QUERY_ROOTS,
    *SEARCH_QUERY_ROOTS,
)
MUTATION_ROOTS: tuple[type[graphene.ObjectType], ...] = (
    AccountsMutation,
    *NETWORK_MUTATION_ROOTS,
    *MENTORSHIP_MUTATION_ROOTS,
    *REFERRALS_MUTATION_ROOTS,
    *CHAT_MUTATION_ROOTS,
    *SEARCH_MUTATION_ROOTS,
)
SUBSCRIPTION_ROOTS: tuple[type[graphene.ObjectType], ...] = (
    AccountsSubscription,
    *NETWORK_SUBSCRIPTION_ROOTS,
    *REFERRALS_SUBSCRIPTION_ROOTS,
    *CHAT_SUBSCRIPTION_ROOTS,
    *SEARCH_SUBSCRIPTION_ROOTS,
)


class Query(*QUERY_ROOTS):  # type: ignore[misc]
    node = Node.Field(description="Any object by its global ID; null if you may not see it.")


class Mutation(*MUTATION_ROOTS):  # type: ignore[misc]
    """Every app's mutations."""


def _subscription() -> type[graphene.ObjectType] | None:
    roots = tuple(root for root in SUBSCRIPTION_ROOTS if root._meta.fields)
    if not roots:
        return None
    return type("Subscription", roots, {})


schema = graphene.Schema(query=Query, mutation=Mutation, subscription=_subscription())
