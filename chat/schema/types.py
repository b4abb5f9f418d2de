"""The chat types: Room and Message (Relay nodes), and the page of messages."""

from __future__ import annotations

from typing import Any

import graphene
from django.db.models import QuerySet
from graphql import GraphQLResolveInfo

from accounts.models import User
from accounts.schema import Doctor
from api.permissions import viewer
from api.relay import ModelNode, Node
from chat import models
from chat.selectors import messages as message_selectors
from chat.selectors import rooms as room_selectors
from chat.selectors.cards import with_message_data
from network.schema.cases import Case

RoomKindEnum = graphene.Enum("RoomKind", [(kind.name, kind.value) for kind in models.Room.Kind])


def room_global_id(room_public_id: Any) -> str:
    return Node.to_global_id("Room", str(room_public_id))


class Message(ModelNode):
    """One message of a room. A deleted message stays as a tombstone at its ``seq``."""

    seq = graphene.Int(required=True, description="1, 2, 3... per room, gap-free, in commit order.")
    room_id = graphene.ID(required=True)
    body = graphene.String(description="Null when the message was deleted.")
    sender = graphene.Field(Doctor, required=True)
    deleted = graphene.Boolean(required=True)
    client_message_id = graphene.String(description="The id you sent it with; null on others' messages.")

    class Meta:
        model = models.Message
        fields = ("sent_at", "edited_at")

    lookup_field = "public_id"

    @classmethod
    def get_queryset(cls, queryset: QuerySet[Any], info: GraphQLResolveInfo) -> QuerySet[Any]:
        return with_message_data(queryset & message_selectors.messages_visible_to(viewer(info)))

    @staticmethod
    def resolve_id(root: models.Message, info: GraphQLResolveInfo) -> str:
        return str(root.public_id)

    @staticmethod
    def resolve_room_id(root: models.Message, info: GraphQLResolveInfo) -> str:
        return room_global_id(root.room.public_id)

    @staticmethod
    def resolve_body(root: models.Message, info: GraphQLResolveInfo) -> str | None:
        return None if root.deleted_at is not None else root.body

    @staticmethod
    def resolve_sender(root: models.Message, info: GraphQLResolveInfo) -> User:
        return root.sender

    @staticmethod
    def resolve_deleted(root: models.Message, info: GraphQLResolveInfo) -> bool:
        return root.deleted_at is not None

    @staticmethod
    def resolve_client_message_id(root: models.Message, info: GraphQLResolveInfo) -> str | None:
        user = viewer(info)
        return root.client_message_id if user is not None and user.pk == root.sender_id else None


class Room(ModelNode):
    """A conversation: a case's discussion, two connected doctors, a mentorship or a mentor's
    circle. Only members who still have access see it."""

    kind = graphene.Field(RoomKindEnum, required=True)
    title = graphene.String(required=True)
    case = graphene.Field(Case, description="The case discussed (CASE rooms).")
    peer = graphene.Field(Doctor, description="The other doctor (DIRECT and MENTORSHIP rooms).")
    last_seq = graphene.Int(required=True, description="The seq of the latest message; 0 when none.")
    viewer_last_read_seq = graphene.Int(required=True, description="Your read receipt.")
    unread_count = graphene.Int(
        required=True, description="Others' messages after your read receipt, deleted ones aside."
    )
    last_message = graphene.Field(Message)

    class Meta:
        model = models.Room
        fields = ("created_at", "last_activity_at")

    lookup_field = "public_id"

    @classmethod
    def get_queryset(cls, queryset: QuerySet[Any], info: GraphQLResolveInfo) -> QuerySet[Any]:
        return queryset & room_selectors.rooms_of(viewer(info))

    @classmethod
    def get_node(cls, info: GraphQLResolveInfo, id: str) -> models.Room | None:
        key, user = cls.clean_key(id), viewer(info)
        if key is None or user is None:
            return None
        rooms = cls.get_queryset(models.Room.objects.filter(public_id=key), info)
        return room_selectors.with_room_data(rooms, user).first()

    @staticmethod
    def resolve_id(root: models.Room, info: GraphQLResolveInfo) -> str:
        return str(root.public_id)

    @staticmethod
    def resolve_kind(root: models.Room, info: GraphQLResolveInfo) -> str:
        return root.kind

    @staticmethod
    def resolve_title(root: models.Room, info: GraphQLResolveInfo) -> str:
        user = viewer(info)
        return room_selectors.room_title(root, user.pk if user else 0)

    @staticmethod
    def resolve_case(root: models.Room, info: GraphQLResolveInfo) -> Any:
        return root.case

    @staticmethod
    def resolve_peer(root: models.Room, info: GraphQLResolveInfo) -> User | None:
        user = viewer(info)
        return room_selectors.peer_of(root, user.pk if user else 0)

    @staticmethod
    def resolve_viewer_last_read_seq(root: models.Room, info: GraphQLResolveInfo) -> int:
        return int(root.viewer_last_read_seq)  # type: ignore[attr-defined]  # with_room_data

    @staticmethod
    def resolve_unread_count(root: models.Room, info: GraphQLResolveInfo) -> int:
        return int(root.unread_count)  # type: ignore[attr-defined]  # with_room_data

    @staticmethod
    def resolve_last_message(root: models.Room, info: GraphQLResolveInfo) -> models.Message | None:
        latest: list[models.Message] = root.latest  # type: ignore[attr-defined]  # with_room_data
        return latest[0] if latest else None


class MessagePage(graphene.ObjectType):
    """Messages of a room, oldest first."""

    messages = graphene.List(graphene.NonNull(Message), required=True)
    has_more = graphene.Boolean(
        required=True, description="More messages lie beyond this page, in the direction asked."
    )
    last_seq = graphene.Int(required=True, description="The room's latest seq: what you may still miss.")
