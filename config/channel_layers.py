"""The channel layers Tuyến runs on: one definition for the settings and the tests."""

from __future__ import annotations

from typing import Any

# Messages waiting on one channel, beyond which the layer drops them. Each server process reads
# the events of all its sockets' groups on one channel (api.ws.broker): Channels' default (100)
# would drop events in a burst.
DEFAULT_CAPACITY = 5000


def redis_channel_layer(url: str, prefix: str, capacity: int = DEFAULT_CAPACITY) -> dict[str, Any]:
    """``RedisChannelLayer`` on ``url``, its keys under ``prefix``."""
    return {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {
            # channels_redis blocks 5 s on each receive (BZPOPMIN) and redis-py 8's default socket
            # timeout is also 5 s: a quiet channel would then fail its receive. Our own bounds
            # (common.realtime, api.ws.broker) keep a hung Redis from holding anything up.
            "hosts": [{"address": url, "socket_timeout": 15}],
            "prefix": prefix,
            "capacity": capacity,
        },
    }


def in_memory_channel_layer(capacity: int = DEFAULT_CAPACITY) -> dict[str, Any]:
    """Channels' in-process layer (one server process, no Redis)."""
    return {"BACKEND": "channels.layers.InMemoryChannelLayer", "CONFIG": {"capacity": capacity}}
