"""Publishing events to WebSocket subscribers through the channel layer.

The channel layer is lossy by specification, so it only carries notifications of state that
is already committed: events are sent after the transaction commits, and a failure to send
(Redis down) is logged, never raised into the request that changed the data.
"""

from __future__ import annotations

import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)

# The message type consumers handle: {"type": EVENT_MESSAGE_TYPE, "event": {...}}.
EVENT_MESSAGE_TYPE = "realtime.event"


def user_group(user_id: int) -> str:
    """Group of every open socket of one user (ASCII, derived from the id)."""
    return f"user.{int(user_id)}"


def send_now(group: str, event: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group, {"type": EVENT_MESSAGE_TYPE, "event": event})
    except Exception:
        logger.exception("Could not publish %s to %s", event.get("kind"), group)


def publish_after_commit(group: str, event: dict[str, Any]) -> None:
    """Send ``event`` to ``group`` once the current transaction commits (now, outside one)."""
    transaction.on_commit(lambda: send_now(group, event))
