"""Carrying channel-layer events to the subscriptions of the sockets of this process.

A subscription resolver awaits ``broker.listen(group)``: it returns only once the process is a
member of the group, so no event published after the subscription is live can be missed (an
async-generator resolver would join lazily, on first iteration, and lose what came before).

The process takes one channel (per event loop and channel layer: an :class:`EventHub`) and
joins it to every group that one of its sockets listens to; one receive loop reads it and
hands each event to the streams of its group in memory. An event thus costs the channel layer
one message per process, however many of the process's sockets listen: with a channel per
socket, channels_redis wakes every waiting receiver for every message (its receive lock), so
delivery to N listeners cost O(N²). Messages name their group (``common.realtime``). The group
is left when the last stream of the process ends, and memberships are renewed while they last
(channels_redis forgets them after its ``group_expiry``). The channel layer is lossy by
specification and so is each stream's buffer: clients resynchronise through queries.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Collection
from typing import Any

from common.realtime import EVENT_MESSAGE_TYPE

logger = logging.getLogger(__name__)

Event = dict[str, Any]

# Events waiting for a slow subscription; beyond this they are dropped (and logged).
STREAM_BUFFER = 100
# A channel-layer call (join, leave) that takes longer is treated as a failed layer.
LAYER_TIMEOUT_SECONDS = 2.0
# How often the process renews its group memberships (channels_redis' group_expiry: a day).
GROUP_RENEWAL_SECONDS = 60 * 60


class ChannelLayerUnavailable(Exception):
    """The channel layer (Redis) failed or did not answer in time."""


class GuardedLayer:
    """The channel layer as the hub uses it: joining and leaving are bounded in time and every
    failure becomes ``ChannelLayerUnavailable``, so an outage degrades sockets (no live events)
    instead of hanging them or ending them with an error."""

    def __init__(self, layer: Any) -> None:
        self.layer = layer

    async def _guard(self, call: Any) -> Any:
        try:
            return await asyncio.wait_for(call, LAYER_TIMEOUT_SECONDS)
        except Exception as error:
            raise ChannelLayerUnavailable(str(error)) from error

    async def new_channel(self) -> str:
        channel: str = await self._guard(self.layer.new_channel())
        return channel

    async def group_add(self, group: str, channel: str) -> None:
        await self._guard(self.layer.group_add(group, channel))

    async def group_discard(self, group: str, channel: str) -> None:
        await self._guard(self.layer.group_discard(group, channel))

    async def receive(self, channel: str) -> dict[str, Any]:
        # Blocks until an event comes: no time bound. The hub ends the streams if it fails.
        try:
            message: dict[str, Any] = await self.layer.receive(channel)
        except Exception as error:
            raise ChannelLayerUnavailable(str(error)) from error
        return message


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


class EventHub:
    """The process's channel, its group memberships and its receive loop, for one event loop.
    The loop starts with the first membership and runs until the channel layer fails."""

    def __init__(self, layer: Any) -> None:
        self.raw_layer = layer
        self.layer = GuardedLayer(layer)
        self._channel: str | None = None
        self._groups: dict[str, set[EventStream]] = {}
        self._lock = asyncio.Lock()
        self._tasks: list[asyncio.Task[None]] = []

    async def add(self, stream: EventStream) -> None:
        """Deliver the events of ``stream.group`` to ``stream`` from now on."""
        async with self._lock:
            streams = self._groups.get(stream.group)
            if streams is None:
                if self._channel is None:
                    self._channel = await self.layer.new_channel()
                await self.layer.group_add(stream.group, self._channel)
                streams = self._groups[stream.group] = set()
                if not self._tasks:
                    self._tasks = [
                        asyncio.create_task(self._pump(), name=f"events {self._channel}"),
                        asyncio.create_task(self._renew(), name=f"renewal {self._channel}"),
                    ]
            streams.add(stream)

    async def remove(self, stream: EventStream) -> None:
        async with self._lock:
            streams = self._groups.get(stream.group)
            if streams is None or stream not in streams:
                return
            streams.discard(stream)
            if streams:
                return
            del self._groups[stream.group]
            assert self._channel is not None
            try:
                await self.layer.group_discard(stream.group, self._channel)
            except ChannelLayerUnavailable:
                # The membership lapses after the layer's group_expiry; its events are ignored.
                logger.exception("Could not leave %s", stream.group)
            # The receive loop goes on, idle: cancelling a receive of channels_redis in flight can
            # leave it stuck in its read until the connection closes.

    async def _pump(self) -> None:
        assert self._channel is not None
        try:
            while True:
                message = await self.layer.receive(self._channel)
                event, group = message.get("event"), message.get("group")
                if not (
                    message.get("type") == EVENT_MESSAGE_TYPE
                    and isinstance(event, dict)
                    and isinstance(group, str)
                ):
                    logger.warning("Ignored a %r message sent to group %s", message.get("type"), group)
                    continue
                for stream in list(self._groups.get(group, ())):
                    stream.offer(event)
        except Exception:
            # The layer failed (Redis gone): end every stream, so their subscriptions complete and
            # clients subscribe again (joining afresh), rather than wait forever on a dead channel.
            logger.exception("Stopped receiving events on %s", self._channel)
            groups, self._groups = self._groups, {}
            tasks, self._tasks = self._tasks, []
            for task in tasks:
                if task is not asyncio.current_task():
                    task.cancel()
            for streams in groups.values():
                for stream in streams:
                    stream.end()

    async def _renew(self) -> None:
        assert self._channel is not None
        while True:
            await asyncio.sleep(GROUP_RENEWAL_SECONDS)
            async with self._lock:
                try:
                    for group in list(self._groups):
                        await self.layer.group_add(group, self._channel)
                except ChannelLayerUnavailable:
                    # Not group after group, each waiting for the timeout under the lock that
                    # every new subscription needs: the next round tries again.
                    logger.exception("Could not renew the process's group memberships")


# One hub per event loop and channel layer (tests run a loop per test; settings may swap layers).
_hubs: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[int, EventHub]] = weakref.WeakKeyDictionary()


def hub_for(layer: Any) -> EventHub:
    hubs = _hubs.setdefault(asyncio.get_running_loop(), {})
    hub = hubs.get(id(layer))
    if hub is None or hub.raw_layer is not layer:
        hub = hubs[id(layer)] = EventHub(layer)
    return hub


class EventBroker:
    """One socket's view of the hub: the streams its subscriptions listen to."""

    def __init__(self, channel_layer: Any) -> None:
        self.layer = channel_layer
        self._streams: set[EventStream] = set()

    async def listen(self, group: str, kinds: Collection[str] | None = None) -> EventStream:
        """Join ``group`` (if the process has not already) and return a stream of its events."""
        if self.layer is None:
            raise RuntimeError("No channel layer is configured (CHANNEL_LAYERS).")
        stream = EventStream(self, group, frozenset(kinds) if kinds is not None else None)
        await hub_for(self.layer).add(stream)
        self._streams.add(stream)
        return stream

    async def release(self, stream: EventStream) -> None:
        if stream in self._streams:
            self._streams.discard(stream)
            await hub_for(self.layer).remove(stream)

    async def close(self) -> None:
        """Stop every stream of this socket (the socket is gone)."""
        streams, self._streams = self._streams, set()
        for stream in streams:
            stream.end()
            await hub_for(self.layer).remove(stream)

    def groups(self) -> list[str]:
        """The groups this socket listens to (for tests and diagnostics)."""
        return sorted({stream.group for stream in self._streams if not stream.closed})
