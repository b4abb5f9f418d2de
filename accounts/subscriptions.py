"""GraphQL subscriptions of the accounts app (served over WebSocket by ``api.ws``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import graphene
from django.utils.dateparse import parse_datetime
from graphql import GraphQLResolveInfo

from accounts.schema import VerificationStatusEnum
from accounts.services import VERIFICATION_STATUS_EVENT
from api.permissions import login_required
from api.ws.broker import Event, EventStream
from common.realtime import user_group


class VerificationStatusChange(graphene.ObjectType):
    """The viewer's verification status changed (sent once the change is committed)."""

    status = graphene.Field(VerificationStatusEnum, required=True)
    changed_at = graphene.DateTime(required=True)

    @staticmethod
    def resolve_status(root: Event, info: GraphQLResolveInfo) -> str:
        return str(root["status"])

    @staticmethod
    def resolve_changed_at(root: Event, info: GraphQLResolveInfo) -> datetime:
        changed_at = parse_datetime(root["changed_at"])
        assert changed_at is not None, "accounts.services stamps every status event"
        return changed_at


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
