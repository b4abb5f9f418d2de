"""People you may know: doctors to suggest connecting with, ranked by a transparent score.

score = 3 * shared connections + 3 * mentorship ties + 2 * shared specialties
        + 2 if in the same province (or 1 if in a neighbouring province, see facilities.geography)

A mentorship tie is an active mentorship linking the candidate to the viewer or to one of the
viewer's mentors or mentees: a fellow mentee of one's mentor, another mentor of one's mentee.
Ties go to the oldest account (lowest id).

Candidates are active verified doctors other than the viewer, not connected to them, not
blocked either way, with no pending request either way. The score is computed in SQL, for
nominated candidates only, so that a request never scans the whole country:

* friends of friends (through the connection index: a few hundred rows);
* the viewer's mentorship circle: their mentors and mentees and those doctors' own (a few
  dozen at most: the quota policy caps every side);
* colleagues: doctors sharing a specialty in the same province, and separately in the
  neighbouring provinces: at most ``COLLEAGUE_POOL`` of each, taken facility by facility
  (through the doctors-by-facility index, so the work is bounded by the pool, not by the
  province). In a large city one specialty counts thousands of doctors who, sharing no
  connection, would all score alike: which of them are shown is arbitrary either way.

Doctors who share only a province, or only a specialty with someone far away, are not
suggested: too little in common to tell them apart among tens of thousands.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from accounts.models import User
from accounts.selectors import verified_doctors_q, with_profile
from accounts.services import require_verified_doctor
from facilities.geography import neighbouring_provinces
from mentorship.models import Mentorship
from mentorship.selectors.partners import ACTIVE as ACTIVE_MENTORSHIP
from mentorship.selectors.partners import partner_ids, ties_with
from network.models import Block, Connection, ConnectionRequest
from network.selectors.connections import peer_ids

Viewer = AbstractBaseUser | AnonymousUser | None

SHARED_CONNECTION_POINTS = 3
MENTORSHIP_TIE_POINTS = 3
SHARED_SPECIALTY_POINTS = 2
SAME_PROVINCE_POINTS = 2
NEIGHBOURING_PROVINCE_POINTS = 1
# Colleagues nominated from the same province, and again from the neighbouring ones.
COLLEAGUE_POOL = 300

# The annotations suggestions_for gives each doctor.
REASONS = (
    "score",
    "shared_connections",
    "mentorship_ties",
    "shared_specialties",
    "same_province",
    "neighbouring_province",
)

DoctorSpecialty = User.specialties.through


def _count(queryset: QuerySet[Any]) -> Coalesce:
    """COUNT(*) of a correlated subquery, 0 when it has no rows."""
    counted = queryset.order_by().values(grouped=Value(1)).annotate(n=Count("*")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def _in_provinces(codes: list[int]) -> Case | Value:
    if not codes:
        return Value(False)
    return Case(When(facility__province_id__in=codes, then=Value(True)), default=Value(False))


def _not_connected(doctor: User) -> QuerySet[User]:
    """Active verified doctors other than ``doctor`` and not connected to them."""
    # NOT EXISTS rather than NOT IN: PostgreSQL estimates an anti-join from statistics (a NOT IN
    # subplan is guessed to keep half the rows), which decides how the colleague pools are read.
    return User.objects.filter(
        verified_doctors_q(), ~Exists(Connection.objects.filter(doctor_id=doctor.pk, peer_id=OuterRef("pk")))
    ).exclude(pk=doctor.pk)


def _candidates(doctor: User) -> QuerySet[User]:
    """Doctors the viewer may be suggested: not connected, not blocked either way, no request
    pending either way."""
    me = doctor.pk
    pending = ConnectionRequest.objects.filter(status=ConnectionRequest.Status.PENDING)
    return _not_connected(doctor).filter(
        ~Exists(Block.objects.filter(blocker_id=me, blocked_id=OuterRef("pk"))),
        ~Exists(Block.objects.filter(blocker_id=OuterRef("pk"), blocked_id=me)),
        ~Exists(pending.filter(sender_id=me, recipient_id=OuterRef("pk"))),
        ~Exists(pending.filter(sender_id=OuterRef("pk"), recipient_id=me)),
    )


def suggestions_for(viewer: Viewer) -> QuerySet[User]:
    """Doctors the viewer may know, best first, each annotated with ``REASONS``."""
    doctor = require_verified_doctor(viewer)
    # Literal values rather than subqueries: PostgreSQL estimates, hence plans, them far better.
    facts = list(User.objects.filter(pk=doctor.pk).values_list("facility__province_id", "specialties"))
    province_id: int | None = facts[0][0]
    my_specialties = sorted(specialty for _province, specialty in facts if specialty is not None)
    same_province = [province_id] if province_id is not None else []
    neighbours = sorted(neighbouring_provinces(province_id)) if province_id is not None else []
    my_peers = peer_ids(doctor.pk).order_by()

    friends_of_friends = Connection.objects.filter(doctor_id__in=my_peers).order_by().values_list("peer_id")
    shares_a_specialty = Exists(
        DoctorSpecialty.objects.filter(user_id=OuterRef("pk"), specialty_id__in=my_specialties)
    )

    def colleagues(provinces: list[int]) -> QuerySet[User, Any]:
        # In facility order, PostgreSQL walks the provinces' facilities and their doctors through
        # indexes and stops once the pool is full (or, for a rare specialty, starts from the few
        # doctors who practise it).
        # Blocks and pending requests, rare, are left to the final filter.
        return (
            _not_connected(doctor)
            .filter(shares_a_specialty, facility__province_id__in=provinces)
            .order_by("facility_id", "pk")
            .values_list("pk")[:COLLEAGUE_POOL]
        )

    # Literal ids: a doctor has a handful of mentors and mentees.
    circle = [doctor.pk, *partner_ids(doctor.pk)]
    tied = Mentorship.objects.filter(ties_with(circle)).order_by()
    mentorship_circle = tied.values_list("mentor_id").union(tied.values_list("mentee_id"), all=True)

    nominated = friends_of_friends.union(
        mentorship_circle, colleagues(same_province), colleagues(neighbours), all=True
    )
    scored = (
        _candidates(doctor)
        .filter(pk__in=nominated)
        .annotate(
            # Counted only for friends of friends: nobody else shares a connection with the viewer.
            shared_connections=Case(
                When(
                    pk__in=friends_of_friends,
                    then=_count(Connection.objects.filter(doctor_id=OuterRef("pk"), peer_id__in=my_peers)),
                ),
                default=Value(0),
            ),
            # Mentorships between the candidate and someone of the viewer's circle.
            mentorship_ties=_count(
                Mentorship.objects.filter(ACTIVE_MENTORSHIP).filter(
                    Q(mentor_id=OuterRef("pk"), mentee_id__in=circle)
                    | Q(mentee_id=OuterRef("pk"), mentor_id__in=circle)
                )
            ),
            shared_specialties=_count(
                DoctorSpecialty.objects.filter(user_id=OuterRef("pk"), specialty_id__in=my_specialties)
            ),
            same_province=_in_provinces(same_province),
            neighbouring_province=_in_provinces(neighbours),
        )
        .annotate(
            score=F("shared_connections") * SHARED_CONNECTION_POINTS
            + F("mentorship_ties") * MENTORSHIP_TIE_POINTS
            + F("shared_specialties") * SHARED_SPECIALTY_POINTS
            + Case(
                When(Q(same_province=True), then=Value(SAME_PROVINCE_POINTS)),
                When(Q(neighbouring_province=True), then=Value(NEIGHBOURING_PROVINCE_POINTS)),
                default=Value(0),
            )
        )
    )
    # Ordered by the score expression alone, so PostgreSQL evaluates each subquery once per
    # candidate and the other reasons only for the rows of the page.
    return scored.order_by("-score", "pk")


@dataclass(frozen=True)
class Suggestion:
    """A doctor to suggest, with the reasons behind their score."""

    doctor: User
    score: int
    shared_connections: int
    mentorship_ties: int
    shared_specialties: int
    same_province: bool
    neighbouring_province: bool


def suggestion_page(viewer: Viewer, *, offset: int, limit: int) -> list[Suggestion]:
    """``limit`` suggestions from rank ``offset`` on, each doctor with their profile, in four
    queries whatever ``limit`` (profiles are loaded for the page only, not for every candidate)."""
    ranked = list(suggestions_for(viewer).values("pk", *REASONS)[offset : offset + limit])
    doctors = with_profile(User.objects.filter(pk__in=[row["pk"] for row in ranked])).in_bulk()
    return [Suggestion(doctor=doctors[row.pop("pk")], **row) for row in ranked]
