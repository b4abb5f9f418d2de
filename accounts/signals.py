"""A doctor's standing changed in a way others' records depend on (mentorships flag for review)."""

from __future__ import annotations

from enum import StrEnum

from django.dispatch import Signal


class StandingChange(StrEnum):
    VERIFICATION_LOST = "verification_lost"
    FACILITY_CHANGED = "facility_changed"
    DEACTIVATED = "deactivated"


# Sent with doctor (the User) and change (a StandingChange), inside the changing transaction.
doctor_standing_changed = Signal()
