"""What a message shows, loaded in a fixed number of queries (used by every message read)."""

from __future__ import annotations

from django.db.models import QuerySet

from chat.models import Message


def with_message_data(messages: QuerySet[Message]) -> QuerySet[Message]:
    """Messages with their room (for its ID) and the sender's doctor card."""
    return messages.select_related(
        "room", "sender__facility__province", "sender__facility__commune"
    ).prefetch_related("sender__specialties")
