"""The ``roomEvents`` subscription: a room's messages, edits, deletions, typing and read
receipts, live, for as long as the subscriber may use the room."""

from __future__ import annotations

import asyncio
import logging
import random
from datetime import datetime
from typing import Any

import graphene
from channels.db import database_sync_to_async
from django.conf import settings
from graphql import GraphQLResolveInfo

from accounts.models import User
from accounts.schema import Doctor
from api.permissions import verified_doctor_required
from api.ws.broker import EventStream
from chat.events import RoomEventKind, room_group
from chat.models import Message as MessageModel
from chat.schema.types import Message, Room
from chat.selectors.live import LiveEvent, access_change_concerns, live_event
from chat.selectors.rooms import may_use_room, usable_room
from network.schema.comments import pk_of

logger = logging.getLogger(__name__)

RoomEventKindEnum = graphene.Enum(
    "RoomEventKind",
    [
        (kind.name, kind.value)
        for kind in RoomEventKind
        if kind is not RoomEventKind.ACCESS_CHANGED  # internal: never reaches clients
    ],
)


class RoomEvent(graphene.ObjectType):
    """Something happened in a room (sent once it is committed)."""

    kind = graphene.Field(RoomEventKindEnum, required=True)
    room_id = graphene.ID(required=True)
    seq = graphene.Int(
        description="Message events: the message's seq. READ: the reader's new read receipt. TYPING: null."
    )
    message = graphene.Field(Message, description="Message events: the message as this event left it.")
    doctor = graphene.Field(Doctor, description="TYPING and READ: who.")
    occurred_at = graphene.DateTime()

    @staticmethod
    def resolve_kind(root: _LiveRoomEvent, info: GraphQLResolveInfo) -> str:
        return str(root.event.kind)

    @staticmethod
    def resolve_room_id(root: _LiveRoomEvent, info: GraphQLResolveInfo) -> str:
        return root.room_gid

    @staticmethod
    def resolve_seq(root: _LiveRoomEvent, info: GraphQLResolveInfo) -> int | None:
        return root.event.seq

    @staticmethod
    def resolve_message(root: _LiveRoomEvent, info: GraphQLResolveInfo) -> MessageModel | None:
        return root.event.message

    @staticmethod
    def resolve_doctor(root: _LiveRoomEvent, info: GraphQLResolveInfo) -> User | None:
        return root.event.doctor

    @staticmethod
    def resolve_occurred_at(root: _LiveRoomEvent, info: GraphQLResolveInfo) -> datetime | None:
        return root.event.occurred_at


class _LiveRoomEvent:
    def __init__(self, event: LiveEvent, room_gid: str) -> None:
        self.event = event
        self.room_gid = room_gid


_may_use_room = database_sync_to_async(may_use_room)


class _RoomEvents:
    """The room's events for one subscriber. Access is checked again at once when a change that
    may concern the subscriber is announced and, as a backstop for a change nobody announced,
    by a watchdog every ``CHAT_ACCESS_RECHECK_SECONDS`` (one check per subscription and period,
    however many events flow, and also in a silent room): the stream ends (the client gets
    ``complete``) as soon as the subscriber lost access."""

    def __init__(self, events: EventStream, doctor_id: int, room_id: int, room_gid: str) -> None:
        self._events = events
        self._doctor_id = doctor_id
        self._room_id = room_id
        self._room_gid = room_gid
        self._lost = False
        self._watchdog = asyncio.create_task(self._watch(), name=f"access {doctor_id} {room_gid}")

    def __aiter__(self) -> _RoomEvents:
        return self

    async def _still_allowed(self) -> bool:
        """Check access now; on loss, end the stream (what is buffered is dropped with it)."""
        if await _may_use_room(self._doctor_id, self._room_id):
            return True
        self._lost = True
        # Shielded: ending the subscription cancels the watchdog, which must not stop half-way
        # through leaving the group.
        await asyncio.shield(self._events.aclose())
        return False

    async def _watch(self) -> None:
        # Ends with the stream (the subscription or the socket ended) even if nobody cancels it.
        # The first wait is a random part of the period, so that subscriptions opened together
        # (a reconnecting crowd) spread their checks instead of checking in bursts.
        wait = random.uniform(0, settings.CHAT_ACCESS_RECHECK_SECONDS)
        while not self._events.closed:
            await asyncio.sleep(wait)
            wait = settings.CHAT_ACCESS_RECHECK_SECONDS
            if self._events.closed:
                return
            try:
                if not await self._still_allowed():
                    return
            except Exception:  # the database is unreachable: try again next period
                logger.exception(
                    "Could not check access of doctor %s to room %s", self._doctor_id, self._room_id
                )

    async def __anext__(self) -> _LiveRoomEvent:
        while True:
            if self._lost:  # the watchdog found access lost: deliver nothing more
                raise StopAsyncIteration
            event = await self._events.__anext__()  # StopAsyncIteration ends the subscription
            if access_change_concerns(event, self._doctor_id) and not await self._still_allowed():
                raise StopAsyncIteration
            live = live_event(self._room_id, event)
            if live is not None:
                return _LiveRoomEvent(live, self._room_gid)

    async def aclose(self) -> None:
        self._watchdog.cancel()
        await self._events.aclose()


class ChatSubscription(graphene.ObjectType):
    room_events = graphene.Field(
        RoomEvent,
        required=True,
        room_id=graphene.ID(required=True),
        description=(
            "Live events of a room you joined: new, edited and deleted messages (with their seq), "
            "typing and read receipts. Completes when you lose access to the room. Subscribe first, "
            "then catch up with `messages(roomId, after: lastSeq)`."
        ),
    )

    @staticmethod
    async def subscribe_room_events(root: Any, info: GraphQLResolveInfo, room_id: str) -> _RoomEvents:
        user = verified_doctor_required(info)
        room_pk = await database_sync_to_async(pk_of)(room_id, Room, "roomId")
        # Listen first, then check access: a change in between still reaches this stream.
        events = await info.context.broker.listen(room_group(room_pk))
        try:
            await database_sync_to_async(usable_room)(user, room_pk)
        except BaseException:
            await events.aclose()
            raise
        return _RoomEvents(events, user.pk, room_pk, room_id)
