"""GraphQL subscriptions of the accounts app (served over WebSocket by ``api.ws``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import graphene
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from graphql import GraphQLResolveInfo

from accounts.schema import VerificationStatusEnum
from api.permissions import login_required
from api.ws.broker import Event, EventStream
from common.realtime import user_group

# The event kind accounts.services publishes to the user's group when their status changes.
VERIFICATION_STATUS_EVENT = "verification.status"


class VerificationStatusChange(graphene.ObjectType):
    """The viewer's verification status changed (sent once the change is committed)."""

    status = graphene.Field(VerificationStatusEnum, required=True)
    changed_at = graphene.DateTime(required=True)

    @staticmethod
    def resolve_status(root: Event, info: GraphQLResolveInfo) -> str:
        return str(root["status"])

    @staticmethod
    def resolve_changed_at(root: Event, info: GraphQLResolveInfo) -> datetime:
        # An event that carries no time of change was just published: it is delivered right
        # after the commit, so the time it reaches the server is that time to the millisecond.
        stamped = parse_datetime(root["changed_at"]) if isinstance(root.get("changed_at"), str) else None
        return stamped or timezone.now()


class AccountsSubscription(graphene.ObjectType):
    my_verification_status = graphene.Field(
        VerificationStatusChange,
        required=True,
        description=(
            "Each change of your verification status (e.g. PENDING to VERIFIED), for any signed-in "
            "user. Subscribe first, then query `me { verificationStatus }` for the current value."
        ),
    )

    @staticmethod
    async def subscribe_my_verification_status(root: Any, info: GraphQLResolveInfo) -> EventStream:
        user = login_required(info)
        # Awaited, not a generator: the group is joined before the subscription is live.
        return await info.context.broker.listen(user_group(user.pk), kinds={VERIFICATION_STATUS_EVENT})
