"""GraphQL of the chat app, merged by config/schema.py."""

from __future__ import annotations

import graphene

from chat.schema.messages import MessagesMutation, MessagesQuery
from chat.schema.rooms import RoomsMutation, RoomsQuery
from chat.schema.subscriptions import ChatSubscription
from chat.schema.types import Message, Room

CHAT_QUERY_ROOTS: tuple[type[graphene.ObjectType], ...] = (RoomsQuery, MessagesQuery)
CHAT_MUTATION_ROOTS: tuple[type[graphene.ObjectType], ...] = (RoomsMutation, MessagesMutation)
CHAT_SUBSCRIPTION_ROOTS: tuple[type[graphene.ObjectType], ...] = (ChatSubscription,)

__all__ = ["CHAT_MUTATION_ROOTS", "CHAT_QUERY_ROOTS", "CHAT_SUBSCRIPTION_ROOTS", "Message", "Room"]
