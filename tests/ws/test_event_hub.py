"""The process's event hub (``api.ws.broker``): each server process reads the events of all its
sockets' groups on one channel, whatever the number of sockets listening."""

from __future__ import annotations

import asyncio

import pytest
from channels.layers import get_channel_layer

from api.ws import broker as broker_module
from api.ws.broker import EventBroker, EventStream
from common.realtime import event_message


async def _publish(group: str, event: dict) -> None:
    await get_channel_layer().group_send(group, event_message(group, event))


async def _next(stream: EventStream, timeout: float = 3) -> dict:
    return await asyncio.wait_for(stream.__anext__(), timeout)


async def _memberships(group: str) -> int:
    """The channels Redis holds in ``group`` (channels_redis' own key for it)."""
    layer = get_channel_layer()
    connection = layer.connection(layer.consistent_hash(group))
    return await connection.zcard(layer._group_key(group))


async def test_one_membership_carries_a_group_s_events_to_every_listening_socket(redis_layer):
    sockets = [EventBroker(get_channel_layer()) for _ in range(50)]
    streams = [await socket.listen("chat.room.1") for socket in sockets]
    elsewhere = await sockets[0].listen("chat.room.2")
    assert await _memberships("chat.room.1") == 1

    await _publish("chat.room.1", {"kind": "test", "n": 1})
    await _publish("chat.room.2", {"kind": "test", "n": 2})

    assert [(await _next(stream))["n"] for stream in streams] == [1] * 50
    assert (await _next(elsewhere))["n"] == 2  # room 1's event did not come this way
    for socket in sockets:
        await socket.close()


async def test_the_process_leaves_a_group_when_its_last_listener_ends(redis_layer):
    first, second = EventBroker(get_channel_layer()), EventBroker(get_channel_layer())
    await first.listen("chat.room.1")
    stream = await second.listen("chat.room.1")
    await first.close()
    assert await _memberships("chat.room.1") == 1  # the second socket still listens
    await _publish("chat.room.1", {"kind": "test"})
    assert (await _next(stream))["kind"] == "test"

    await stream.aclose()
    assert await _memberships("chat.room.1") == 0
    assert second.groups() == []


async def test_a_stream_gets_only_the_kinds_it_asked_for(redis_layer):
    socket = EventBroker(get_channel_layer())
    stream = await socket.listen("user.1", kinds={"session.ended"})
    await _publish("user.1", {"kind": "notification.added"})
    await _publish("user.1", {"kind": "session.ended"})
    assert (await _next(stream))["kind"] == "session.ended"
    await socket.close()


async def test_a_quiet_channel_still_receives(redis_layer):
    # channels_redis blocks 5 s per receive; a socket timeout of 5 s as well (redis-py 8's
    # default) failed the receive of a quiet channel and ended every subscription of the process.
    socket = EventBroker(get_channel_layer())
    stream = await socket.listen("chat.room.1")
    await asyncio.sleep(6)
    await _publish("chat.room.1", {"kind": "test"})
    assert (await _next(stream))["kind"] == "test"
    await socket.close()


async def test_memberships_are_renewed_while_someone_listens(redis_layer, monkeypatch):
    # channels_redis forgets a membership after its group_expiry (a day; one second here).
    monkeypatch.setattr(broker_module, "GROUP_RENEWAL_SECONDS", 0.3)
    get_channel_layer().group_expiry = 1
    socket = EventBroker(get_channel_layer())
    stream = await socket.listen("chat.room.1")
    await asyncio.sleep(2.5)
    await _publish("chat.room.1", {"kind": "test"})
    assert (await _next(stream))["kind"] == "test"
    await socket.close()


@pytest.mark.parametrize("groups", [1, 3])
async def test_the_in_memory_layer_works_the_same(groups):
    # make run and most tests use Channels' in-memory layer.
    socket = EventBroker(get_channel_layer())
    streams = [await socket.listen(f"chat.room.{n}") for n in range(groups)]
    for n in range(groups):
        await _publish(f"chat.room.{n}", {"kind": "test", "n": n})
    assert [(await _next(stream))["n"] for stream in streams] == list(range(groups))
    await socket.close()
