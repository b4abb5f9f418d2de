"""Placeholder replaced by the WebSocket work: the AccountsSubscription root fields."""

import graphene


class AccountsSubscription(graphene.ObjectType):
    pass
