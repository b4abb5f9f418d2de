"""Who sees which mentorships, and a mentor's standing against the quota in force."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, Prefetch, Q, QuerySet

from accounts.models import User
from accounts.selectors import with_profile
from mentorship.models import Mentorship, QuotaPolicy
from mentorship.selectors.policy import policy_in_force
from mentorship.services.permissions import is_mentorship_admin

Viewer = AbstractBaseUser | AnonymousUser | None

MENTOR, MENTEE = "mentor", "mentee"


def mentorships_visible_to(
    viewer: Viewer, mentorships: QuerySet[Mentorship] | None = None
) -> QuerySet[Mentorship]:
    """A mentorship is seen by its two doctors and by mentorship administrators; nobody else
    (anonymous visitors and deactivated accounts see none)."""
    mentorships = Mentorship.objects.all() if mentorships is None else mentorships
    if viewer is None or not viewer.is_authenticated or not viewer.is_active:
        return mentorships.none()
    if is_mentorship_admin(viewer):
        return mentorships
    return mentorships.filter(Q(mentor_id=viewer.pk) | Q(mentee_id=viewer.pk))


def with_parties(mentorships: QuerySet[Mentorship]) -> QuerySet[Mentorship]:
    """What a mentorship card shows: both doctors' cards and the specialty, in constant queries."""
    doctors = with_profile(User.objects.all())
    return mentorships.select_related("specialty").prefetch_related(
        Prefetch("mentor", queryset=doctors), Prefetch("mentee", queryset=doctors)
    )


def mentorships_of(
    doctor: User, *, role: str | None = None, statuses: Iterable[str] | None = None
) -> QuerySet[Mentorship]:
    """The doctor's mentorships as mentor, as mentee (``role``) or both, newest first."""
    if role == MENTOR:
        mine = Q(mentor_id=doctor.pk)
    elif role == MENTEE:
        mine = Q(mentee_id=doctor.pk)
    else:
        mine = Q(mentor_id=doctor.pk) | Q(mentee_id=doctor.pk)
    mentorships = Mentorship.objects.filter(mine)
    if statuses is not None:
        mentorships = mentorships.filter(status__in=list(statuses))
    return with_parties(mentorships).order_by("-proposed_at", "-id")


@dataclass(frozen=True)
class TierQuota:
    """For the mentor's tier and one mentee tier: what the policy asks and how many are active."""

    mentee_tier: str
    required: int
    maximum: int
    active: int

    @property
    def remaining(self) -> int:
        return max(self.maximum - self.active, 0)

    @property
    def missing(self) -> int:
        return max(self.required - self.active, 0)


@dataclass(frozen=True)
class MentorQuota:
    policy: QuotaPolicy
    mentor_tier: str | None
    tiers: list[TierQuota]


def quota_of(mentor: User) -> MentorQuota:
    """The mentor's quota under the policy in force today, per mentee tier, with the active
    mentorships counted at the mentee tier recorded when each started (as enforcement counts).
    No facility, or a tier the policy asks nothing of: no lines."""
    policy = policy_in_force()
    facility = mentor.facility
    mentor_tier = facility.tier if facility is not None else None
    rules = [rule for rule in policy.rules.all() if rule.mentor_tier == mentor_tier]
    active = dict(
        Mentorship.objects.filter(mentor_id=mentor.pk, status=Mentorship.Status.ACTIVE)
        .values_list("mentee_tier")
        .annotate(count=Count("pk"))
        .order_by()
    )
    tiers = [
        TierQuota(rule.mentee_tier, rule.required, rule.maximum, active.get(rule.mentee_tier, 0))
        for rule in rules
    ]
    return MentorQuota(policy=policy, mentor_tier=mentor_tier, tiers=tiers)
