"""Doctors meeting on the platform, announced for whoever counts it (mentorship activity).

The features where two doctors interact (a case shared by name, a comment, an accepted answer,
a chat message, a referral) send :data:`doctors_interacted` inside the transaction that stores
the interaction, so what listeners record commits or rolls back with it. Senders never need to
know who listens; listeners never need to import the senders.
"""

from __future__ import annotations

from enum import StrEnum

from django.dispatch import Signal


class Interaction(StrEnum):
    CASE_SHARED = "case_shared"
    COMMENT = "comment"
    ANSWER_ACCEPTED = "answer_accepted"
    CHAT_MESSAGE = "chat_message"
    REFERRAL = "referral"


# Sent with first_id, second_id (the two doctors, either order), kind (an Interaction),
# subject_id (what it was about: the case, comment, message or referral) and occurred_at.
doctors_interacted = Signal()


def announce(
    first_id: int, second_id: int, kind: Interaction, subject_id: object, occurred_at: object = None
) -> None:
    """Send :data:`doctors_interacted` (no-op for a doctor and themselves)."""
    if first_id != second_id:
        doctors_interacted.send(
            sender=Interaction,
            first_id=first_id,
            second_id=second_id,
            kind=kind,
            subject_id=subject_id,
            occurred_at=occurred_at,
        )
