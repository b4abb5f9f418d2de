"""GraphQL for notifications: the list and badge, marking read, muting kinds, and the
``notificationAdded`` subscription (served over WebSocket by ``api.ws``).

A notification carries ids and a short title, never clinical text: the case and the comment it
is about are given only as global IDs, which the client opens with ``node(id:)`` (where the
visibility rule applies again); a referral comes as the ``Referral`` its recipient may see.
Anyone who is not a verified doctor simply has no notifications: the queries answer empty and
the subscription stays silent; the mutations refuse (NOT_VERIFIED).
"""

from __future__ import annotations

from typing import Any

import graphene
from channels.db import database_sync_to_async
from django.db.models import F, QuerySet
from graphql import GraphQLResolveInfo
from graphql_relay import to_global_id

from accounts.models import User
from accounts.schema import Doctor
from accounts.services import is_verified_doctor
from api.mutations import BaseMutation
from api.permissions import login_required, verified_doctor_required, viewer
from api.relay import ModelNode, PaginatedConnectionField, key_from_global_id
from api.ws.broker import EventStream
from common.realtime import user_group
from network import models as network_models
from network.schema.errors import NetworkError
from network.selectors import notifications as selectors
from network.services import notifications as services
from referrals import models as referral_models
from referrals.schema.referrals import Referral

NotificationKindEnum = graphene.Enum.from_enum(
    network_models.NotificationKind,
    name="NotificationKind",
    description="What a notification is about.",
)


class Notification(ModelNode):
    """Something that happened in the network that concerns you. Carries ids and a short title,
    never clinical text: open the case or comment by its ID with ``node(id:)``; a referral's is
    given as the referral (to you only while you may see it)."""

    kind = graphene.Field(NotificationKindEnum, required=True)
    is_read = graphene.Boolean(required=True)
    actor = graphene.Field(
        Doctor, description="Who caused it; null if there is no one or they are no longer a verified doctor."
    )
    case_id = graphene.ID(description="Global ID of the Case it is about, if any.")
    comment_id = graphene.ID(description="Global ID of the Comment it is about, if any.")
    connection_request_id = graphene.ID(description="Global ID of the ConnectionRequest it is about, if any.")
    mentorship_id = graphene.ID(description="Global ID of the Mentorship it is about, if any.")
    referral = graphene.Field(
        Referral, description="The referral it is about, if any; null when you may not see it."
    )

    class Meta:
        model = network_models.Notification
        fields = ("title", "created_at", "read_at")

    lookup_field = "public_id"

    @classmethod
    def get_queryset(cls, queryset: QuerySet[Any], info: GraphQLResolveInfo) -> QuerySet[Any]:
        # The mentorship's public id comes with the row (a join), as the case's does.
        return selectors.notifications_of(viewer(info), queryset).annotate(
            mentorship_public_id=F("mentorship__public_id")
        )

    @staticmethod
    def resolve_id(root: network_models.Notification, info: GraphQLResolveInfo) -> str:
        return str(root.public_id)

    @staticmethod
    def resolve_is_read(root: network_models.Notification, info: GraphQLResolveInfo) -> bool:
        return root.read_at is not None

    @staticmethod
    def resolve_actor(root: network_models.Notification, info: GraphQLResolveInfo) -> User | None:
        actor = root.actor
        return actor if is_verified_doctor(actor) else None

    @staticmethod
    def resolve_case_id(root: network_models.Notification, info: GraphQLResolveInfo) -> str | None:
        public_id = root.case_public_id  # type: ignore[attr-defined]  # annotated by the selector
        return to_global_id("Case", str(public_id)) if public_id else None

    @staticmethod
    def resolve_comment_id(root: network_models.Notification, info: GraphQLResolveInfo) -> str | None:
        public_id = root.comment_public_id  # type: ignore[attr-defined]  # annotated by the selector
        return to_global_id("Comment", str(public_id)) if public_id else None

    @staticmethod
    def resolve_connection_request_id(
        root: network_models.Notification, info: GraphQLResolveInfo
    ) -> str | None:
        request_id = root.connection_request_id
        return to_global_id("ConnectionRequest", str(request_id)) if request_id else None

    @staticmethod
    def resolve_mentorship_id(root: network_models.Notification, info: GraphQLResolveInfo) -> str | None:
        if root.mentorship_id is None:
            return None
        # Annotated by get_queryset; a notification loaded elsewhere (the subscription's event)
        # reads the mentorship's public id in one query.
        public_id = getattr(root, "mentorship_public_id", None)
        if public_id is None:
            mentorship = root.mentorship
            public_id = mentorship.public_id if mentorship is not None else None
        return to_global_id("Mentorship", str(public_id)) if public_id else None

    @staticmethod
    def resolve_referral(
        root: network_models.Notification, info: GraphQLResolveInfo
    ) -> referral_models.Referral | None:
        # Every notification here comes through notifications_of, which prefetched the referral
        # through the referrals' rule: never loaded around it (None when not visible).
        return root.referral


class NotificationPreference(graphene.ObjectType):
    """Whether you are notified of one kind of notification."""

    kind = graphene.Field(NotificationKindEnum, required=True)
    label = graphene.String(required=True, description="The kind's name in the request's language.")
    muted = graphene.Boolean(required=True)

    @staticmethod
    def resolve_kind(root: selectors.NotificationPreference, info: GraphQLResolveInfo) -> str:
        return root.kind.value

    @staticmethod
    def resolve_label(root: selectors.NotificationPreference, info: GraphQLResolveInfo) -> str:
        return str(root.kind.label)


class NotificationsQuery(graphene.ObjectType):
    notifications = PaginatedConnectionField(
        Notification,
        unread_only=graphene.Boolean(default_value=False, description="Only those not read yet."),
        description=(
            "Your notifications, newest first; those about a case you may no longer see or from a "
            "doctor blocked either way are left out. Empty unless you are a verified doctor."
        ),
    )
    unread_notification_count = graphene.Int(
        required=True, description="How many of `notifications` are unread (the badge)."
    )
    notification_preferences = graphene.List(
        graphene.NonNull(NotificationPreference),
        required=True,
        description="Every kind of notification and whether you muted it. Empty unless you are a verified doctor.",
    )

    @staticmethod
    def resolve_notifications(
        root: Any, info: GraphQLResolveInfo, unread_only: bool = False, **_pagination: Any
    ) -> QuerySet[network_models.Notification]:
        # Narrowed here; Notification.get_queryset applies the viewer's rule to it.
        notifications = network_models.Notification.objects.all()
        return notifications.filter(selectors.UNREAD) if unread_only else notifications

    @staticmethod
    def resolve_unread_notification_count(root: Any, info: GraphQLResolveInfo) -> int:
        return selectors.unread_count(viewer(info))

    @staticmethod
    def resolve_notification_preferences(
        root: Any, info: GraphQLResolveInfo
    ) -> list[selectors.NotificationPreference]:
        return selectors.notification_preferences(viewer(info))


# --- Mutations -------------------------------------------------------------------------------


class MarkNotificationRead(BaseMutation):
    """Mark one of your notifications read."""

    notification = graphene.Field(Notification)
    unread_count = graphene.Int(description="The badge after this change.")

    class Arguments:
        id = graphene.ID(required=True, description="A Notification ID.")

    class Meta:
        error_type = NetworkError
        permission = verified_doctor_required

    @classmethod
    def perform_mutation(
        cls, root: Any, info: GraphQLResolveInfo, user: User | None, **data: Any
    ) -> MarkNotificationRead:
        notification = services.mark_read(user, key_from_global_id(data["id"], Notification, "id"))
        return cls(notification=notification, unread_count=selectors.unread_count(user))


class MarkAllNotificationsRead(BaseMutation):
    """Mark all your notifications read."""

    marked_count = graphene.Int(description="How many were unread.")
    unread_count = graphene.Int(description="The badge after this change.")

    class Meta:
        error_type = NetworkError
        permission = verified_doctor_required

    @classmethod
    def perform_mutation(
        cls, root: Any, info: GraphQLResolveInfo, user: User | None, **data: Any
    ) -> MarkAllNotificationsRead:
        marked = services.mark_all_read(user)
        return cls(marked_count=marked, unread_count=selectors.unread_count(user))


class SetNotificationPreference(BaseMutation):
    """Mute or unmute one kind of notification. Muting stops new ones; it does not remove any."""

    preferences = graphene.List(graphene.NonNull(NotificationPreference), description="All your preferences.")

    class Arguments:
        kind = NotificationKindEnum(required=True)
        muted = graphene.Boolean(required=True)

    class Meta:
        error_type = NetworkError
        permission = verified_doctor_required

    @classmethod
    def perform_mutation(
        cls, root: Any, info: GraphQLResolveInfo, user: User | None, **data: Any
    ) -> SetNotificationPreference:
        kind = str(data["kind"].value)
        change = services.mute_kind if data["muted"] else services.unmute_kind
        return cls(preferences=change(user, kind))


class NotificationsMutation(graphene.ObjectType):
    mark_notification_read = MarkNotificationRead.Field()
    mark_all_notifications_read = MarkAllNotificationsRead.Field()
    set_notification_preference = SetNotificationPreference.Field()


# --- Subscription ----------------------------------------------------------------------------


class NotificationAdded(graphene.ObjectType):
    """A new notification for you (sent once it is committed), with your new unread count."""

    notification = graphene.Field(Notification, required=True)
    unread_count = graphene.Int(required=True)


class _NotificationsAdded:
    """The recipient's ``notification.added`` events, each loaded through the selector; one the
    recipient may not see (any more) is skipped, as the list would leave it out."""

    def __init__(self, events: EventStream, recipient: User) -> None:
        self._events = events
        self._recipient = recipient

    def __aiter__(self) -> _NotificationsAdded:
        return self

    async def __anext__(self) -> selectors.NotificationAdded:
        while True:
            event = await self._events.__anext__()  # StopAsyncIteration ends the subscription
            notification_id = event.get("notification_id")
            if not isinstance(notification_id, int):
                continue
            added = await database_sync_to_async(self._load)(notification_id)
            if added is not None:
                return added

    def _load(self, notification_id: int) -> selectors.NotificationAdded | None:
        return selectors.notification_added(self._recipient.pk, notification_id)

    async def aclose(self) -> None:
        await self._events.aclose()


class NotificationsSubscription(graphene.ObjectType):
    notification_added = graphene.Field(
        NotificationAdded,
        required=True,
        description=(
            "Each new notification, on every socket you have open, once it is committed. Subscribe "
            "first, then query `notifications` and `unreadNotificationCount` to catch up."
        ),
    )

    @staticmethod
    async def subscribe_notification_added(root: Any, info: GraphQLResolveInfo) -> _NotificationsAdded:
        user = login_required(info)
        # Awaited, not a generator: the group is joined before the subscription is live.
        events = await info.context.broker.listen(
            user_group(user.pk), kinds={services.NOTIFICATION_ADDED_EVENT}
        )
        return _NotificationsAdded(events, user)
