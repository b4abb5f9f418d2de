"""Carrying channel-layer events to the subscriptions of one socket.

A subscription resolver awaits ``broker.listen(group)``: it returns only once the socket is a
member of the group, so no event published after the subscription is live can be missed (an
async-generator resolver would join lazily, on first iteration, and lose what came before).

Each group gets a channel of its own: the messages ``common.realtime`` sends do not name their
group, so a socket listening to two groups could not otherwise tell which one an event came
from. Subscriptions of the socket that listen to the same group share its channel; the group is
left when the last of them ends. The channel layer is lossy by specification and so is the
per-subscription buffer: clients resynchronise through queries.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from common.realtime import EVENT_MESSAGE_TYPE

logger = logging.getLogger(__name__)

Event = dict[str, Any]

# Events waiting for a slow subscription; beyond this they are dropped (and logged).
STREAM_BUFFER = 100


class EventStream:
    """The events of one group (optionally of some kinds only) for one subscription."""

    def __init__(self, broker: EventBroker, group: str, kinds: frozenset[str] | None) -> None:
        self.group = group
        self.kinds = kinds
        self._broker = broker
        self._queue: asyncio.Queue[Event | None] = asyncio.Queue(maxsize=STREAM_BUFFER)
        self.closed = False

    def __aiter__(self) -> EventStream:
        return self

    async def __anext__(self) -> Event:
        event = await self._queue.get()
        if event is None:
            raise StopAsyncIteration
        return event

    def offer(self, event: Event) -> None:
        if self.closed or (self.kinds is not None and event.get("kind") not in self.kinds):
            return
        try:
            self._queue.put_nowait(event)
        except asyncio.QueueFull:
            logger.warning("Dropped a %s event for a slow subscriber of %s", event.get("kind"), self.group)

    def end(self) -> None:
        """Let the consumer of the stream finish after what is already buffered."""
        if self.closed:
            return
        self.closed = True
        if self._queue.full():  # the end must get through: drop the oldest event instead
            self._queue.get_nowait()
        self._queue.put_nowait(None)

    async def aclose(self) -> None:
        """Stop listening (graphql-core calls this when the subscription ends)."""
        self.end()
        await self._broker.release(self)


@dataclass
class _Membership:
    channel: str
    pump: asyncio.Task[None]
    streams: set[EventStream] = field(default_factory=set)


class EventBroker:
    def __init__(self, channel_layer: Any) -> None:
        self.layer = channel_layer
        self._memberships: dict[str, _Membership] = {}
        self._lock = asyncio.Lock()

    async def listen(self, group: str, kinds: Collection[str] | None = None) -> EventStream:
        """Join ``group`` (if this socket has not already) and return its stream of events."""
        if self.layer is None:
            raise RuntimeError("No channel layer is configured (CHANNEL_LAYERS).")
        stream = EventStream(self, group, frozenset(kinds) if kinds is not None else None)
        async with self._lock:
            membership = self._memberships.get(group)
            if membership is None:
                channel = await self.layer.new_channel()
                await self.layer.group_add(group, channel)
                pump = asyncio.create_task(self._pump(group, channel), name=f"events {group}")
                membership = self._memberships[group] = _Membership(channel, pump)
            membership.streams.add(stream)
        return stream

    async def _pump(self, group: str, channel: str) -> None:
        try:
            while True:
                message = await self.layer.receive(channel)
                if message.get("type") != EVENT_MESSAGE_TYPE or not isinstance(message.get("event"), dict):
                    logger.warning("Ignored a %r message sent to group %s", message.get("type"), group)
                    continue
                membership = self._memberships.get(group)
                for stream in list(membership.streams if membership else ()):
                    stream.offer(message["event"])
        except Exception:
            # The layer failed (Redis gone): end the streams, so their subscriptions complete and
            # clients subscribe again, rather than wait forever on a dead channel.
            logger.exception("Stopped receiving the events of %s", group)
            membership = self._memberships.pop(group, None)
            for stream in membership.streams if membership else ():
                stream.end()

    async def release(self, stream: EventStream) -> None:
        async with self._lock:
            membership = self._memberships.get(stream.group)
            if membership is None or stream not in membership.streams:
                return
            membership.streams.discard(stream)
            if not membership.streams:
                del self._memberships[stream.group]
                await self._leave(stream.group, membership)

    async def close(self) -> None:
        """Leave every group (the socket is gone)."""
        async with self._lock:
            memberships, self._memberships = self._memberships, {}
            for group, membership in memberships.items():
                for stream in membership.streams:
                    stream.end()
                await self._leave(group, membership)

    async def _leave(self, group: str, membership: _Membership) -> None:
        membership.pump.cancel()
        await asyncio.wait([membership.pump])  # unlike awaiting it, keeps our own cancellation
        try:
            await self.layer.group_discard(group, membership.channel)
        except Exception:
            # The membership then lapses after the layer's group_expiry; nothing reads the channel.
            logger.exception("Could not leave %s", group)

    def groups(self) -> list[str]:
        """The groups this socket listens to (for tests and diagnostics)."""
        return list(self._memberships)
