from __future__ import annotations

from typing import Any

from django.apps import AppConfig


class MentorshipConfig(AppConfig):
    name = "mentorship"

    def ready(self) -> None:
        from accounts.signals import doctor_standing_changed
        from common.interactions import doctors_interacted

        doctor_standing_changed.connect(_flag_for_review, dispatch_uid="mentorship.flag_for_review")
        doctors_interacted.connect(_record_activity, dispatch_uid="mentorship.record_activity")


def _flag_for_review(sender: Any, *, doctor: Any, change: str, **kwargs: Any) -> None:
    from mentorship.models import Mentorship
    from mentorship.services.mentorships import flag_for_review

    flag_for_review(doctor, Mentorship.ReviewReason(change))


def _record_activity(
    sender: Any,
    *,
    first_id: int,
    second_id: int,
    kind: str,
    subject_id: object,
    occurred_at: Any,
    **kwargs: Any,
) -> None:
    from mentorship.models import ActivityKind
    from mentorship.services.activity import record_activity

    record_activity(first_id, second_id, ActivityKind(kind), subject_id, occurred_at)
