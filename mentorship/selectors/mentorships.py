"""Who sees which mentorships, a mentor's standing against the quota in force, what a doctor's
mentoring page lists, and the plans administrators review."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, Prefetch, Q, QuerySet

from accounts.models import User
from accounts.selectors import with_profile
from mentorship.models import Mentorship, MentorshipPlan, PlannedPair, QuotaPolicy
from mentorship.selectors.policy import policy_in_force, quota
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


# --- The doctors' "Mentoring" page ----------------------------------------------------------

OPEN_STATUSES = (Mentorship.Status.PROPOSED, Mentorship.Status.ACTIVE)
CLOSED_STATUSES = (
    Mentorship.Status.ENDED,
    Mentorship.Status.DECLINED,
    Mentorship.Status.WITHDRAWN,
    Mentorship.Status.EXPIRED,
)


@dataclass(frozen=True)
class MentoringOverview:
    """A doctor's mentorships, sorted for their page: active ones by side, proposals by who must
    answer next, and the latest closed ones (``closed_total`` counts them all)."""

    mentors: list[Mentorship]  # active, the doctor is the mentee
    mentees: list[Mentorship]  # active, the doctor is the mentor
    to_answer: list[Mentorship]  # proposed, the doctor has not accepted yet
    waiting: list[Mentorship]  # proposed, the doctor accepted: the other doctor must answer
    closed: list[Mentorship]
    closed_total: int


def awaits_answer_from(mentorship: Mentorship, doctor: User) -> bool:
    """Whether a proposal still needs ``doctor``'s acceptance (their side's is not recorded)."""
    if mentorship.status != Mentorship.Status.PROPOSED:
        return False
    if doctor.pk == mentorship.mentor_id:
        return mentorship.mentor_accepted_at is None
    return doctor.pk == mentorship.mentee_id and mentorship.mentee_accepted_at is None


def mentoring_overview(doctor: User, *, closed_limit: int = 20) -> MentoringOverview:
    """Everything the doctor's mentoring page lists, in a constant number of queries (open
    mentorships are few: the policy caps both sides; closed ones are cut to ``closed_limit``)."""
    mentors: list[Mentorship] = []
    mentees: list[Mentorship] = []
    to_answer: list[Mentorship] = []
    waiting: list[Mentorship] = []
    for mentorship in mentorships_of(doctor, statuses=OPEN_STATUSES):
        if mentorship.status == Mentorship.Status.ACTIVE:
            (mentees if mentorship.mentor_id == doctor.pk else mentors).append(mentorship)
        elif awaits_answer_from(mentorship, doctor):
            to_answer.append(mentorship)
        else:
            waiting.append(mentorship)
    closed = mentorships_of(doctor, statuses=CLOSED_STATUSES)
    return MentoringOverview(
        mentors=sorted(mentors, key=_started),
        mentees=sorted(mentees, key=_started),
        to_answer=to_answer,
        waiting=waiting,
        closed=list(closed[:closed_limit]),
        closed_total=Mentorship.objects.filter(
            Q(mentor_id=doctor.pk) | Q(mentee_id=doctor.pk), status__in=CLOSED_STATUSES
        ).count(),
    )


def _started(mentorship: Mentorship) -> tuple[float, int]:
    return (mentorship.started_at.timestamp() if mentorship.started_at else 0.0, mentorship.pk)


def proposal_role(viewer: User, person: User) -> str | None:
    """The side ``viewer`` would take in a mentorship with ``person`` under the policy in force
    (``MENTOR`` or ``MENTEE``), or None when the policy does not pair their facilities' tiers,
    either has no facility, or the two already have a mentorship proposed or active. What the
    profile's "Propose a mentorship" button asks; the service decides again on the proposal."""
    if viewer.pk == person.pk or viewer.facility is None or person.facility is None:
        return None
    policy = policy_in_force()
    if quota(policy, viewer.facility.tier, person.facility.tier) is not None:
        role = MENTOR
    elif quota(policy, person.facility.tier, viewer.facility.tier) is not None:
        role = MENTEE
    else:
        return None
    already = Mentorship.objects.filter(
        Q(mentor_id=viewer.pk, mentee_id=person.pk) | Q(mentor_id=person.pk, mentee_id=viewer.pk),
        status__in=OPEN_STATUSES,
    ).exists()
    return None if already else role


# --- Nationwide plans, for administrators ----------------------------------------------------


def mentorship_plans() -> QuerySet[MentorshipPlan]:
    """Every planner run, newest first (callers check ``require_mentorship_admin``)."""
    return MentorshipPlan.objects.select_related("policy").order_by("-created_at", "-id")


def plan_pairs(plan: MentorshipPlan) -> QuerySet[PlannedPair]:
    """A plan's pairs in the order they were stored (by mentor), with what the review shows:
    both doctors, their facilities and provinces, the shared specialty."""
    return (
        PlannedPair.objects.filter(plan=plan)
        .select_related("mentor__facility__province", "mentee__facility__province", "specialty")
        .order_by("id")
    )
