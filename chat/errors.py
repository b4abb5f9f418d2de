from __future__ import annotations

from enum import StrEnum


class ChatErrorCode(StrEnum):
    """Stable codes for chat refusals (exposed in GraphQL as ChatErrorCode)."""

    INVALID = "INVALID"
    REQUIRED = "REQUIRED"
    NOT_FOUND = "NOT_FOUND"
    PERMISSION_DENIED = "PERMISSION_DENIED"
    SELF_ACTION = "SELF_ACTION"
    NOT_CONNECTED = "NOT_CONNECTED"
    BLOCKED = "BLOCKED"
    MENTORSHIP_NOT_ACTIVE = "MENTORSHIP_NOT_ACTIVE"
    REFERRAL_NOT_ACCEPTED = "REFERRAL_NOT_ACCEPTED"
    BODY_TOO_LONG = "BODY_TOO_LONG"
    # Raised by network.identifier_guard with the network's code of the same value.
    PATIENT_IDENTIFIER = "PATIENT_IDENTIFIER"
    RATE_LIMITED = "RATE_LIMITED"
    CLIENT_MESSAGE_ID_CONFLICT = "CLIENT_MESSAGE_ID_CONFLICT"
    MESSAGE_DELETED = "MESSAGE_DELETED"
