"""Who sees which referral, the consultants' queues, the response targets, and who takes part.

A referral is seen by its requester, its consultant, its named doctor and, while it waits in a
queue, by the verified doctors of that facility with that specialty (the queue's members); by
nobody else, and by nobody who is not a verified doctor. The case behind it is shown only
through ``network.selectors.cases.cases_visible_to``.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from accounts.models import User
from accounts.selectors import verified_doctors_q
from accounts.services import is_verified_doctor
from mentorship.models import Mentorship
from mentorship.selectors.partners import ACTIVE
from network.selectors.cases import Viewer, cases_visible_to
from referrals.models import ConsultationRecord, Referral, ResponseTarget, Urgency

REQUESTER = "requester"
CONSULTANT = "consultant"

WAITING_IN_QUEUE = Q(status=Referral.Status.REQUESTED, target_doctor__isnull=True)


def _specialty_of_member(doctor: User) -> Exists:
    """The referral's specialty is one of ``doctor``'s (correlated on the referral)."""
    return Exists(
        User.specialties.through.objects.filter(user_id=doctor.pk, specialty_id=OuterRef("specialty_id"))
    )


def queue_q(doctor: User) -> Q:
    """Referrals waiting in a queue ``doctor`` belongs to (their facility, one of their specialties)."""
    if doctor.facility_id is None:
        return Q(pk__in=[])
    return (
        WAITING_IN_QUEUE
        & Q(_specialty_of_member(doctor), target_facility_id=doctor.facility_id)
        & ~Q(requester_id=doctor.pk)
    )


def referrals_visible_to(viewer: Viewer, referrals: QuerySet[Referral] | None = None) -> QuerySet[Referral]:
    referrals = Referral.objects.all() if referrals is None else referrals
    if not is_verified_doctor(viewer):
        return referrals.none()
    assert isinstance(viewer, User)
    mine = Q(requester_id=viewer.pk) | Q(consultant_id=viewer.pk) | Q(target_doctor_id=viewer.pk)
    return referrals.filter(mine | queue_q(viewer))


# What a referral card may show, joined (CARD_JOINS) or loaded in one query each
# (CARD_PREFETCHES); a screen asks for the parts it shows.
CARD_JOINS = (
    "case__specialty",
    "requester__facility__province",
    "consultant__facility__province",
    "target_doctor__facility__province",
    "target_facility__province",
    "requester_facility__province",
    "specialty",
    "record",
)
CARD_PREFETCHES = (
    "requester__specialties",
    "consultant__specialties",
    "target_doctor__specialties",
    "information_requests",
)


@dataclass(frozen=True)
class CardParts:
    """The parts of a referral card a screen shows (everything by default)."""

    joins: Collection[str] = CARD_JOINS
    prefetch: Collection[str] = CARD_PREFETCHES
    case: bool = True


WHOLE_CARD = CardParts()


def with_parties(
    referrals: QuerySet[Referral], viewer: Viewer, parts: CardParts = WHOLE_CARD
) -> QuerySet[Referral]:
    """Referrals with the ``parts`` of their card loaded; with ``parts.case``, ``case_visible``
    says whether ``viewer`` may open the case (by the one visibility rule)."""
    referrals = referrals.select_related(*parts.joins).prefetch_related(*parts.prefetch)
    if parts.case:
        referrals = referrals.annotate(
            case_visible=Exists(cases_visible_to(viewer).filter(pk=OuterRef("case_id")))
        )
    return referrals


def referrals_of(
    viewer: Viewer,
    *,
    role: str | None = None,
    statuses: list[str] | None = None,
    parts: CardParts = WHOLE_CARD,
) -> QuerySet[Referral]:
    """The viewer's referrals as requester, as consultant (or named doctor), or both; newest first."""
    if not is_verified_doctor(viewer):
        return Referral.objects.none()
    assert isinstance(viewer, User)
    as_consultant = Q(consultant_id=viewer.pk) | Q(target_doctor_id=viewer.pk)
    scope = {REQUESTER: Q(requester_id=viewer.pk), CONSULTANT: as_consultant}.get(
        role or "", Q(requester_id=viewer.pk) | as_consultant
    )
    referrals = Referral.objects.filter(scope)
    if statuses is not None:
        referrals = referrals.filter(status__in=statuses)
    return with_parties(referrals, viewer, parts).order_by("-created_at", "-id")


def queue_of(viewer: Viewer, parts: CardParts = WHOLE_CARD) -> QuerySet[Referral]:
    """What waits for the viewer to claim or answer: referrals named to them and those in their
    facility's queues for their specialties, the soonest due first."""
    if not is_verified_doctor(viewer):
        return Referral.objects.none()
    assert isinstance(viewer, User)
    waiting = Q(status=Referral.Status.REQUESTED, target_doctor_id=viewer.pk) | queue_q(viewer)
    return with_parties(Referral.objects.filter(waiting), viewer, parts).order_by("response_due_at", "id")


def response_overdue(referral: Referral, now: datetime | None = None) -> bool:
    """Still unanswered after its response due time."""
    return referral.status == Referral.Status.REQUESTED and referral.response_due_at < (now or timezone.now())


# Accepted and not yet answered: the consultant has it in hand.
BEING_ANSWERED = (Referral.Status.ACCEPTED, Referral.Status.IN_PROGRESS, Referral.Status.ON_HOLD)


def completion_overdue(referral: Referral, now: datetime | None = None) -> bool:
    """Accepted but still without its answer after its completion due time."""
    return referral.status in BEING_ANSWERED and referral.completion_due_at < (now or timezone.now())


def record_of(viewer: Viewer, public_id: uuid.UUID) -> ConsultationRecord | None:
    """The consultation record of a referral, for its requester and consultant only."""
    if not is_verified_doctor(viewer):
        return None
    assert isinstance(viewer, User)
    return (
        ConsultationRecord.objects.filter(referral__public_id=public_id)
        .filter(Q(referral__requester_id=viewer.pk) | Q(referral__consultant_id=viewer.pk))
        .select_related("referral")
        .first()
    )


def is_queue_member(doctor: User, referral: Referral) -> bool:
    return (
        referral.target_doctor_id is None
        and doctor.facility_id is not None
        and doctor.facility_id == referral.target_facility_id
        and doctor.pk != referral.requester_id
        and doctor.specialties.filter(pk=referral.specialty_id).exists()
    )


def queue_members_q(specialty_id: int) -> Q:
    """Verified doctors of a specialty (filter on User; add the facility)."""
    return verified_doctors_q() & Q(specialties=specialty_id)


def queue_members(facility_id: int, specialty_id: int) -> QuerySet[User]:
    """The verified doctors who may claim referrals in the queue of a facility and specialty."""
    return User.objects.filter(queue_members_q(specialty_id), facility_id=facility_id)


def referral_participants(referral: Referral) -> list[User]:
    """The requester and, once there is one, the consultant: who a referral's chat room holds."""
    return [doctor for doctor in (referral.requester, referral.consultant) if doctor is not None]


def active_mentor_of(doctor: User) -> User | None:
    """The doctor's mentor in force (the earliest started, if several): a referral's default target."""
    mentorship = (
        Mentorship.objects.filter(ACTIVE, mentee_id=doctor.pk)
        .select_related("mentor__facility")
        .order_by("started_at", "id")
        .first()
    )
    return mentorship.mentor if mentorship else None


def response_targets() -> QuerySet[ResponseTarget]:
    return ResponseTarget.objects.order_by("urgency")


def response_target(urgency: Urgency | str) -> ResponseTarget:
    return ResponseTarget.objects.get(urgency=urgency)
