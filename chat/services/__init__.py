"""Writes of the chat app; each in its own transaction, refusals as ServiceError (ChatErrorCode)."""

from chat.services.messages import (
    SentMessage,
    delete_message,
    edit_message,
    mark_read,
    notify_typing,
    send_message,
)
from chat.services.rooms import (
    open_case_room,
    open_direct_room,
    open_mentor_circle_room,
    open_mentorship_room,
    open_referral_room,
)

__all__ = [
    "SentMessage",
    "delete_message",
    "edit_message",
    "mark_read",
    "notify_typing",
    "open_case_room",
    "open_direct_room",
    "open_mentor_circle_room",
    "open_mentorship_room",
    "open_referral_room",
    "send_message",
]
