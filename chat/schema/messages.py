"""GraphQL for messages: the page query, sending (idempotent), editing, deleting, read receipts
and typing indicators."""

from __future__ import annotations

from typing import Any

import graphene
from graphql import GraphQLResolveInfo

from accounts.models import User
from api.mutations import BaseMutation
from api.permissions import verified_doctor_required
from chat import services
from chat.schema.errors import ChatError, DeliveryEnum
from chat.schema.types import Message, MessagePage, Room
from chat.selectors import messages as selectors
from chat.selectors.rooms import room_for
from network.schema.comments import pk_of


class MessagesQuery(graphene.ObjectType):
    messages = graphene.Field(
        MessagePage,
        required=True,
        room_id=graphene.ID(required=True),
        after=graphene.Int(description="Messages with a seq above this one (catch up)."),
        before=graphene.Int(description="Messages with a seq below this one (scroll back)."),
        first=graphene.Int(default_value=50, description="1 to 100."),
        description=(
            "Messages of a room you joined, oldest first: after `after`, else just before `before`, "
            "else the latest. NOT_FOUND for a room you may not use."
        ),
    )

    @staticmethod
    def resolve_messages(
        root: Any,
        info: GraphQLResolveInfo,
        room_id: str,
        after: int | None = None,
        before: int | None = None,
        first: int = 50,
    ) -> selectors.MessagePage:
        user = verified_doctor_required(info)
        return selectors.message_page(
            user, pk_of(room_id, Room, "roomId"), after=after, before=before, first=first
        )


class SendMessageInput(graphene.InputObjectType):
    room_id = graphene.ID(required=True)
    body = graphene.String(required=True)
    client_message_id = graphene.String(
        required=True,
        description="Made by the client per message (a UUID): a retry with it returns the original.",
    )


class SendMessage(BaseMutation):
    """Post a message: stored with the room's next seq, then sent to the room. Idempotent on
    ``clientMessageId``: a retry returns the original message."""

    message = graphene.Field(Message)
    delivery = graphene.Field(DeliveryEnum)

    class Arguments:
        input = SendMessageInput(required=True)

    class Meta:
        error_type = ChatError
        permission = verified_doctor_required

    @classmethod
    def perform_mutation(
        cls, root: Any, info: GraphQLResolveInfo, user: User | None, **data: Any
    ) -> SendMessage:
        assert user is not None
        values = data["input"]
        sent = services.send_message(
            user, pk_of(values["room_id"], Room, "roomId"), values["body"], values["client_message_id"]
        )
        return cls(message=sent.message, delivery=sent.delivery)


class EditMessageInput(graphene.InputObjectType):
    message_id = graphene.ID(required=True)
    body = graphene.String(required=True)


class EditMessage(BaseMutation):
    """Change the text of your message (the earlier text is kept for compliance)."""

    message = graphene.Field(Message)
    delivery = graphene.Field(DeliveryEnum)

    class Arguments:
        input = EditMessageInput(required=True)

    class Meta:
        error_type = ChatError
        permission = verified_doctor_required

    @classmethod
    def perform_mutation(
        cls, root: Any, info: GraphQLResolveInfo, user: User | None, **data: Any
    ) -> EditMessage:
        assert user is not None
        values = data["input"]
        message, delivery = services.edit_message(
            user, pk_of(values["message_id"], Message, "messageId"), values["body"]
        )
        return cls(message=message, delivery=delivery)


class DeleteMessage(BaseMutation):
    """Delete your message: a tombstone stays at its seq."""

    message = graphene.Field(Message)
    delivery = graphene.Field(DeliveryEnum)

    class Arguments:
        message_id = graphene.ID(required=True)

    class Meta:
        error_type = ChatError
        permission = verified_doctor_required

    @classmethod
    def perform_mutation(
        cls, root: Any, info: GraphQLResolveInfo, user: User | None, **data: Any
    ) -> DeleteMessage:
        assert user is not None
        message, delivery = services.delete_message(user, pk_of(data["message_id"], Message, "messageId"))
        return cls(message=message, delivery=delivery)


class MarkRead(BaseMutation):
    """Move your read receipt forward to ``seq`` (a lower one changes nothing)."""

    room = graphene.Field(Room)

    class Arguments:
        room_id = graphene.ID(required=True)
        seq = graphene.Int(required=True)

    class Meta:
        error_type = ChatError
        permission = verified_doctor_required

    @classmethod
    def perform_mutation(
        cls, root: Any, info: GraphQLResolveInfo, user: User | None, **data: Any
    ) -> MarkRead:
        assert user is not None
        room = services.mark_read(user, pk_of(data["room_id"], Room, "roomId"), data["seq"])
        return cls(room=room_for(user, room.pk))


class Typing(BaseMutation):
    """Tell the room you are typing (never stored; extra calls within a few seconds are dropped)."""

    delivery = graphene.Field(DeliveryEnum)

    class Arguments:
        room_id = graphene.ID(required=True)

    class Meta:
        error_type = ChatError
        permission = verified_doctor_required

    @classmethod
    def perform_mutation(cls, root: Any, info: GraphQLResolveInfo, user: User | None, **data: Any) -> Typing:
        assert user is not None
        return cls(delivery=services.notify_typing(user, pk_of(data["room_id"], Room, "roomId")))


class MessagesMutation(graphene.ObjectType):
    send_message = SendMessage.Field()
    edit_message = EditMessage.Field()
    delete_message = DeleteMessage.Field()
    mark_read = MarkRead.Field()
    typing = Typing.Field()
