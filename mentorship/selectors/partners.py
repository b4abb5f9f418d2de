"""Who a doctor mentors or is mentored by now: what the network's feed and suggestions read."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from mentorship.models import Mentorship

ACTIVE = Q(status=Mentorship.Status.ACTIVE)


def active_mentorships_of(doctor_id: int) -> QuerySet[Mentorship]:
    return Mentorship.objects.filter(ACTIVE, Q(mentor_id=doctor_id) | Q(mentee_id=doctor_id))


def partner_ids(doctor_id: int) -> list[int]:
    """The doctor's active mentors and mentees (a handful: the policy caps both)."""
    return [
        mentee_id if mentor_id == doctor_id else mentor_id
        for mentor_id, mentee_id in active_mentorships_of(doctor_id).values_list("mentor_id", "mentee_id")
    ]


def ties_with(doctor_ids: list[int]) -> Q:
    """Active mentorships with one of ``doctor_ids`` on either side (filter on Mentorship)."""
    return ACTIVE & (Q(mentor_id__in=doctor_ids) | Q(mentee_id__in=doctor_ids))
