"""Matching suggestions: mentees for a mentor with room at a tier, mentors for a mentee.

Candidates are active verified doctors other than the viewer, at a tier the policy in force
pairs with the viewer's, not blocked either way, with no mentorship open (proposed or active)
with the viewer, and with room: a mentee below the maximum number of mentors, a mentor below
the maximum for the viewer's tier, counting open proposals as the planner does (a proposal
beyond the room would be refused on acceptance). A viewer without room is suggested nobody.

Ranked lexicographically, as the planner's cost function prefers:

1. a specialty in common with the viewer;
2. same province, then a neighbouring one (``facilities.geography``), then elsewhere;
3. fewest current (active) mentors for a mentee; fewest current mentees at the viewer's tier
   for a mentor (the one furthest from their quota);
4. most connections in common; then the oldest account.

Everything is computed in SQL for the tier's verified doctors, one page at a time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import Case, Count, Exists, F, IntegerField, OuterRef, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.selectors import verified_doctors_q, with_profile
from accounts.services import require_verified_doctor
from common.errors import ServiceError
from facilities.geography import neighbouring_provinces
from mentorship.errors import MentorshipErrorCode
from mentorship.models import Mentorship
from mentorship.selectors.policy import policy_in_force, quota
from network.models import Block, Connection
from network.selectors.connections import peer_ids

Viewer = AbstractBaseUser | AnonymousUser | None
OPEN = (Mentorship.Status.PROPOSED, Mentorship.Status.ACTIVE)
DoctorSpecialty = User.specialties.through

REASONS = (
    "specialty_match",
    "same_province",
    "neighbouring_province",
    "current_partners",
    "shared_connections",
)


def _count(queryset: QuerySet[Any]) -> Coalesce:
    counted = queryset.order_by().values(grouped=Value(1)).annotate(n=Count("*")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def _in(codes: list[int]) -> Case | Value:
    if not codes:
        return Value(False)
    return Case(When(facility__province_id__in=codes, then=Value(True)), default=Value(False))


def _viewer(viewer: Viewer) -> tuple[User, str, int | None, list[int]]:
    doctor = require_verified_doctor(viewer)
    facts = list(
        User.objects.filter(pk=doctor.pk).values_list(
            "facility__tier", "facility__province_id", "specialties"
        )
    )
    tier, province = facts[0][0], facts[0][1]
    if tier is None:
        raise ServiceError(
            MentorshipErrorCode.NO_FACILITY,
            _("Add your facility to your profile: mentoring depends on its tier."),
        )
    return doctor, tier, province, sorted(s for _t, _p, s in facts if s is not None)


def _ranked(
    doctor: User, province: int | None, specialties: list[int], candidates: QuerySet[User]
) -> QuerySet[User]:
    me = doctor.pk
    same = [province] if province is not None else []
    neighbours = sorted(neighbouring_provinces(province)) if province is not None else []
    return (
        candidates.exclude(pk=me)
        .filter(
            ~Exists(Block.objects.filter(blocker_id=me, blocked_id=OuterRef("pk"))),
            ~Exists(Block.objects.filter(blocker_id=OuterRef("pk"), blocked_id=me)),
            ~Exists(Mentorship.objects.filter(status__in=OPEN, mentor_id=me, mentee_id=OuterRef("pk"))),
            ~Exists(Mentorship.objects.filter(status__in=OPEN, mentor_id=OuterRef("pk"), mentee_id=me)),
        )
        .annotate(
            specialty_match=Exists(
                DoctorSpecialty.objects.filter(user_id=OuterRef("pk"), specialty_id__in=specialties)
            ),
            same_province=_in(same),
            neighbouring_province=_in(neighbours),
            shared_connections=_count(
                Connection.objects.filter(doctor_id=OuterRef("pk"), peer_id__in=peer_ids(me).order_by())
            ),
        )
        .order_by(
            "-specialty_match",
            "-same_province",
            "-neighbouring_province",
            "current_partners",
            "-shared_connections",
            "pk",
        )
    )


def mentee_suggestions(viewer: Viewer, mentee_tier: str) -> QuerySet[User]:
    """Mentees of ``mentee_tier`` for the viewer as mentor, best first, annotated with
    ``REASONS`` (``current_partners``: the mentee's active mentors)."""
    doctor, tier, province, specialties = _viewer(viewer)
    policy = policy_in_force()
    allowed = quota(policy, tier, mentee_tier)
    if allowed is None:
        raise ServiceError(
            MentorshipErrorCode.TIER_NOT_ALLOWED,
            _("The quota policy in force does not pair your tier with that one."),
            "menteeTier",
        )
    mine = Mentorship.objects.filter(status__in=OPEN, mentor_id=doctor.pk, mentee_tier=mentee_tier).count()
    if mine >= allowed.maximum:
        return User.objects.none()
    candidates = (
        User.objects.filter(verified_doctors_q(), facility__tier=mentee_tier)
        .annotate(
            open_mentors=_count(Mentorship.objects.filter(status__in=OPEN, mentee_id=OuterRef("pk"))),
            current_partners=_count(
                Mentorship.objects.filter(status=Mentorship.Status.ACTIVE, mentee_id=OuterRef("pk"))
            ),
        )
        .filter(open_mentors__lt=policy.max_mentors_per_mentee)
    )
    return _ranked(doctor, province, specialties, candidates)


def mentor_candidates(viewer: Viewer) -> QuerySet[User]:
    """Mentors for the viewer as mentee, best first, annotated with ``REASONS``
    (``current_partners``: the mentor's active mentees at the viewer's tier)."""
    doctor, tier, province, specialties = _viewer(viewer)
    policy = policy_in_force()
    maxima = {rule.mentor_tier: rule.maximum for rule in policy.rules.all() if rule.mentee_tier == tier}
    if not maxima:
        raise ServiceError(
            MentorshipErrorCode.TIER_NOT_ALLOWED, _("The quota policy in force gives your tier no mentors.")
        )
    if (
        Mentorship.objects.filter(status__in=OPEN, mentee_id=doctor.pk).count()
        >= policy.max_mentors_per_mentee
    ):
        return User.objects.none()
    candidates = (
        User.objects.filter(verified_doctors_q(), facility__tier__in=sorted(maxima))
        .annotate(
            open_mentees=_count(
                Mentorship.objects.filter(status__in=OPEN, mentor_id=OuterRef("pk"), mentee_tier=tier)
            ),
            current_partners=_count(
                Mentorship.objects.filter(
                    status=Mentorship.Status.ACTIVE, mentor_id=OuterRef("pk"), mentee_tier=tier
                )
            ),
            maximum=Case(
                *(
                    When(facility__tier=mentor_tier, then=Value(m))
                    for mentor_tier, m in sorted(maxima.items())
                ),
                default=Value(0),
                output_field=IntegerField(),
            ),
        )
        .filter(open_mentees__lt=F("maximum"))
    )
    return _ranked(doctor, province, specialties, candidates)


@dataclass(frozen=True)
class Match:
    """A suggested mentee or mentor, with the reasons behind the rank."""

    doctor: User
    specialty_match: bool
    same_province: bool
    neighbouring_province: bool
    current_partners: int
    shared_connections: int


def _page(ranked: QuerySet[User], offset: int, limit: int) -> list[Match]:
    if ranked.query.is_empty():  # a viewer without room: none(), without the annotations
        return []
    rows = list(ranked.values("pk", *REASONS)[offset : offset + limit])
    doctors = with_profile(User.objects.filter(pk__in=[row["pk"] for row in rows])).in_bulk()
    return [Match(doctor=doctors[row.pop("pk")], **row) for row in rows]


def mentee_suggestion_page(viewer: Viewer, mentee_tier: str, *, offset: int, limit: int) -> list[Match]:
    """``limit`` suggested mentees from rank ``offset`` on, with their profiles."""
    return _page(mentee_suggestions(viewer, mentee_tier), offset, limit)


def mentor_candidate_page(viewer: Viewer, *, offset: int, limit: int) -> list[Match]:
    """``limit`` suggested mentors from rank ``offset`` on, with their profiles."""
    return _page(mentor_candidates(viewer), offset, limit)
