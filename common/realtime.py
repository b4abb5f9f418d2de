"""Publishing events to WebSocket subscribers through the channel layer.

The channel layer is lossy by specification, so it only carries notifications of state that
is already committed: events are sent after the transaction commits, and a failure to send
(Redis down) is logged, never raised into the request that changed the data. A publish is
bounded by :data:`PUBLISH_TIMEOUT_SECONDS`, so a hung Redis cannot hold a request either;
callers that must tell the client (chat's ``delivery: DEGRADED``) use :func:`publish`.
"""

from __future__ import annotations

import asyncio
import logging
from enum import StrEnum
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)

# The type of the messages ``event_message`` builds.
EVENT_MESSAGE_TYPE = "realtime.event"

# Longest wait for the channel layer to accept one event (a down Redis refuses at once; a hung
# one would otherwise block the request).
PUBLISH_TIMEOUT_SECONDS = 1.0
# Tries within that time: the first ones after a Redis restart meet stale pooled connections.
PUBLISH_ATTEMPTS = 3


class Delivery(StrEnum):
    """Whether an event reached the channel layer (the change itself is stored either way)."""

    DELIVERED = "DELIVERED"
    DEGRADED = "DEGRADED"


def user_group(user_id: int) -> str:
    """Group of every open socket of one user (ASCII, derived from the id)."""
    return f"user.{int(user_id)}"


def event_message(group: str, event: dict[str, Any]) -> dict[str, Any]:
    """The channel-layer message carrying ``event`` to ``group``. It names its group: a server
    process receives the events of all its groups on one channel (``api.ws.broker``)."""
    return {"type": EVENT_MESSAGE_TYPE, "group": group, "event": event}


async def _group_send(layer: Any, group: str, event: dict[str, Any]) -> None:
    message = event_message(group, event)
    async with asyncio.timeout(PUBLISH_TIMEOUT_SECONDS):
        for attempt in range(1, PUBLISH_ATTEMPTS + 1):
            try:
                await layer.group_send(group, message)
                return
            except Exception:
                # After Redis restarted, the pool hands out its old, dead connections first; a
                # down Redis refuses at once. (Receivers de-duplicate by seq should a failed
                # attempt have reached Redis after all.)
                if attempt == PUBLISH_ATTEMPTS:
                    raise
                logger.info("Retrying a publish to %s", group, exc_info=True)


def send_now(group: str, event: dict[str, Any]) -> bool:
    """Send ``event`` to ``group`` now; whether the channel layer took it (False is logged)."""
    layer = get_channel_layer()
    if layer is None:
        return False
    try:
        async_to_sync(_group_send)(layer, group, event)
    except Exception:
        logger.exception("Could not publish %s to %s", event.get("kind"), group)
        return False
    return True


def publish_after_commit(group: str, event: dict[str, Any]) -> None:
    """Send ``event`` to ``group`` once the current transaction commits (now, outside one)."""
    transaction.on_commit(lambda: send_now(group, event))


def publish(group: str, event: dict[str, Any]) -> Delivery:
    """Send ``event`` now and say whether it went out; inside a transaction, send it after the
    commit instead and answer DELIVERED (the caller's commit has not happened yet)."""
    if transaction.get_connection().in_atomic_block:
        publish_after_commit(group, event)
        return Delivery.DELIVERED
    return Delivery.DELIVERED if send_now(group, event) else Delivery.DEGRADED
