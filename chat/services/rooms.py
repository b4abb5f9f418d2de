"""Opening rooms: idempotent, one room per case, doctor pair, mentorship, mentor's circle or
referral.

Opening checks the same source of truth as every later use (``chat.selectors.rooms``), with a
precise refusal, and makes the caller a member (for a pair, both doctors; for a mentorship or a
circle, everyone in it), so the room shows in their lists.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.selectors import verified_doctors_q
from accounts.services import require_verified_doctor
from chat.errors import ChatErrorCode
from chat.models import Room, RoomMember
from chat.selectors.rooms import CLOSED_REFERRALS
from common.errors import ServiceError
from mentorship.models import Mentorship
from network.selectors.cases import can_see_case
from network.selectors.connections import are_connected, is_blocked_either_way
from referrals.models import Referral


def _room(members: Iterable[int], **subject: Any) -> Room:
    """The room of ``subject`` (made on first use, race-free through its unique constraint),
    with ``members`` joined."""
    with transaction.atomic():
        room, _created = Room.objects.get_or_create(**subject)
        now = timezone.now()
        RoomMember.objects.bulk_create(
            [RoomMember(room=room, doctor_id=doctor_id, joined_at=now) for doctor_id in set(members)],
            ignore_conflicts=True,
        )
    return room


def open_case_room(doctor: User, case_id: int) -> Room:
    """Join the discussion room of a case you can see."""
    doctor = require_verified_doctor(doctor)
    if not can_see_case(doctor, case_id):
        raise ServiceError(ChatErrorCode.NOT_FOUND, _("No such case."), "caseId")
    return _room([doctor.pk], kind=Room.Kind.CASE, case_id=case_id)


def open_direct_room(doctor: User, other_id: int) -> Room:
    """The direct-message room with a doctor you are connected to."""
    doctor = require_verified_doctor(doctor)
    if other_id == doctor.pk:
        raise ServiceError(ChatErrorCode.SELF_ACTION, _("You cannot message yourself."), "doctorId")
    if not User.objects.filter(verified_doctors_q(), pk=other_id).exists():
        raise ServiceError(ChatErrorCode.NOT_FOUND, _("No such doctor."), "doctorId")
    if is_blocked_either_way(doctor.pk, other_id):
        raise ServiceError(ChatErrorCode.BLOCKED, _("You cannot message this doctor."), "doctorId")
    if not are_connected(doctor.pk, other_id):
        raise ServiceError(
            ChatErrorCode.NOT_CONNECTED, _("Connect with this doctor to message them."), "doctorId"
        )
    first, second = sorted((doctor.pk, other_id))
    return _room([first, second], kind=Room.Kind.DIRECT, first_doctor_id=first, second_doctor_id=second)


def open_mentorship_room(doctor: User, mentorship_id: int) -> Room:
    """The room of an active mentorship you are the mentor or mentee of."""
    doctor = require_verified_doctor(doctor)
    mentorship = Mentorship.objects.filter(pk=mentorship_id).first()
    if mentorship is None or doctor.pk not in (mentorship.mentor_id, mentorship.mentee_id):
        raise ServiceError(ChatErrorCode.NOT_FOUND, _("No such mentorship."), "mentorshipId")
    if mentorship.status != Mentorship.Status.ACTIVE:
        raise ServiceError(
            ChatErrorCode.MENTORSHIP_NOT_ACTIVE, _("This mentorship is not active."), "mentorshipId"
        )
    return _room(
        [mentorship.mentor_id, mentorship.mentee_id], kind=Room.Kind.MENTORSHIP, mentorship_id=mentorship.pk
    )


def open_mentor_circle_room(doctor: User, mentor_id: int | None = None) -> Room:
    """The room of a mentor and all their active mentees: your own (``mentor_id`` None or
    yours, once you mentor someone), or your mentor's."""
    doctor = require_verified_doctor(doctor)
    mentor_id = doctor.pk if mentor_id is None else mentor_id
    active = Mentorship.objects.filter(status=Mentorship.Status.ACTIVE, mentor_id=mentor_id)
    mentee_ids = list(active.values_list("mentee_id", flat=True))
    if mentor_id != doctor.pk and doctor.pk not in mentee_ids:
        if not User.objects.filter(pk=mentor_id).exists():
            raise ServiceError(ChatErrorCode.NOT_FOUND, _("No such doctor."), "mentorId")
        raise ServiceError(
            ChatErrorCode.MENTORSHIP_NOT_ACTIVE, _("This doctor is not your mentor."), "mentorId"
        )
    if not mentee_ids:
        raise ServiceError(
            ChatErrorCode.MENTORSHIP_NOT_ACTIVE, _("You have no active mentees yet."), "mentorId"
        )
    return _room([mentor_id, *mentee_ids], kind=Room.Kind.MENTOR_CIRCLE, circle_mentor_id=mentor_id)


def open_referral_room(doctor: User, referral_id: int) -> Room:
    """The room of a referral you requested or answer, once it has a consultant."""
    doctor = require_verified_doctor(doctor)
    referral = Referral.objects.filter(pk=referral_id).first()
    if referral is None or doctor.pk not in (referral.requester_id, referral.consultant_id):
        raise ServiceError(ChatErrorCode.NOT_FOUND, _("No such referral."), "referralId")
    if referral.consultant_id is None or referral.status in CLOSED_REFERRALS:
        raise ServiceError(
            ChatErrorCode.REFERRAL_NOT_ACCEPTED,
            _("The referral's room opens once a consultant accepts it."),
            "referralId",
        )
    return _room_of_referral(referral.pk, referral.requester_id, referral.consultant_id)


def _room_of_referral(referral_id: int, requester_id: int, consultant_id: int) -> Room:
    return _room([requester_id, consultant_id], kind=Room.Kind.REFERRAL, referral_id=referral_id)


def on_consultant_assigned(
    sender: Any, referral_id: int, requester_id: int, consultant_id: int, **kwargs: Any
) -> None:
    """A referral got its consultant: open its room for the two of them (in that transaction)."""
    _room_of_referral(referral_id, requester_id, consultant_id)
