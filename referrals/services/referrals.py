"""Requesting a referral and every step of its lifecycle (the FHIR Task states).

The states and who may move them are one table (:data:`TRANSITIONS`, :data:`ROLE_OF`): every
step locks the referral's row (``SELECT ... FOR UPDATE``), checks the actor's role, then the
table, so two consultants claiming one queued referral run one after the other and the second
is refused (ALREADY_CLAIMED). Every step is audited (``referral.<action>``) and alerts the
other side; a referral between a mentor and their mentee counts as mentoring activity.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from accounts.services import require_verified_doctor
from audit.services import record
from common.errors import FieldError, ServiceError, input_name
from common.interactions import Interaction, announce
from facilities.models import Facility, Specialty, Tier
from network.models import Case, NotificationKind
from network.selectors.cases import cases_visible_to
from network.services.cases import clean_icd10_codes, guard, max_length_of
from referrals import signals
from referrals.errors import ReferralErrorCode
from referrals.models import InformationRequest, Referral, Urgency
from referrals.selectors import referrals as selectors
from referrals.services.alerts import alert
from referrals.services.records import generate_record

Status = Referral.Status

# What a doctor may ask for; EMERGENCY exists only to be refused with guidance.
EMERGENCY = "emergency"
MAX_PREFERRED_RESPONSE_HOURS = 24 * 30


class Action(StrEnum):
    ACCEPT = "accept"  # the named doctor accepts, or a queue member claims
    REJECT = "reject"
    START = "start"
    HOLD = "hold"  # the consultant asks for more information
    RESUME = "resume"  # the requester answers it
    COMPLETE = "complete"
    CANCEL = "cancel"
    CLOSE = "close"  # the requester records the outcome


class Role(StrEnum):
    REQUESTER = "requester"
    RESPONDER = "responder"  # the named doctor, or a member of the queue it waits in
    CONSULTANT = "consultant"


# (state, action) -> next state: the only transitions there are.
TRANSITIONS: dict[tuple[str, Action], str] = {
    (Status.REQUESTED, Action.ACCEPT): Status.ACCEPTED,
    (Status.REQUESTED, Action.REJECT): Status.REJECTED,
    (Status.REQUESTED, Action.CANCEL): Status.CANCELLED,
    (Status.ACCEPTED, Action.START): Status.IN_PROGRESS,
    (Status.ACCEPTED, Action.CANCEL): Status.CANCELLED,
    (Status.IN_PROGRESS, Action.HOLD): Status.ON_HOLD,
    (Status.ON_HOLD, Action.RESUME): Status.IN_PROGRESS,
    (Status.IN_PROGRESS, Action.COMPLETE): Status.COMPLETED,
    (Status.COMPLETED, Action.CLOSE): Status.COMPLETED,
}

ROLE_OF: dict[Action, Role] = {
    Action.ACCEPT: Role.RESPONDER,
    Action.REJECT: Role.RESPONDER,
    Action.START: Role.CONSULTANT,
    Action.HOLD: Role.CONSULTANT,
    Action.RESUME: Role.REQUESTER,
    Action.COMPLETE: Role.CONSULTANT,
    Action.CANCEL: Role.REQUESTER,
    Action.CLOSE: Role.REQUESTER,
}

# Once someone has accepted, a second acceptance (a lost claim) says so.
CLAIMED = frozenset({Status.ACCEPTED, Status.IN_PROGRESS, Status.ON_HOLD, Status.COMPLETED})


def refusal_for(status: str, action: Action, *, closed: bool = False) -> ReferralErrorCode | None:
    """The code refusing ``action`` on a referral in ``status``; None when the table allows it."""
    if action == Action.ACCEPT and status in CLAIMED:
        return ReferralErrorCode.ALREADY_CLAIMED
    if (status, action) not in TRANSITIONS:
        return ReferralErrorCode.INVALID_TRANSITION
    if action == Action.CLOSE and closed:
        return ReferralErrorCode.ALREADY_CLOSED
    return None


def actions_for(doctor: User, referral: Referral) -> list[Action]:
    """The steps ``doctor`` may take on ``referral`` now (which buttons a page shows): the same
    table and roles the services enforce."""
    roles = _roles(doctor, referral)
    closed = referral.closed_at is not None
    return [
        action
        for action in Action
        if ROLE_OF[action] in roles and refusal_for(referral.status, action, closed=closed) is None
    ]


# --- Requests ------------------------------------------------------------------------------


def _text(
    name: str,
    value: str,
    errors: list[FieldError],
    *,
    required: bool,
    stored_as: tuple[type[models.Model], str] | None = None,
) -> str:
    """``value`` trimmed; a refusal on input field ``name`` when missing or longer than the
    column it is stored in (``stored_as``: model and field; the Referral's ``name`` by default)."""
    text = (value or "").strip()
    limit = max_length_of(*(stored_as or (Referral, name)))
    if required and not text:
        errors.append(FieldError(ReferralErrorCode.REQUIRED, _("This field is required."), input_name(name)))
    elif len(text) > limit:
        errors.append(
            FieldError(
                ReferralErrorCode.INVALID,
                _("Too long (at most %(limit)d characters).") % {"limit": limit},
                input_name(name),
            )
        )
    return text


def _free_text(name: str, value: str, stored_as: tuple[type[models.Model], str]) -> str:
    """One required free-text input, trimmed, within its column and de-identified; else refused."""
    errors: list[FieldError] = []
    text = _text(name, value, errors, required=True, stored_as=stored_as)
    guard({name: text}, errors)
    if errors:
        raise ServiceError.many(errors)
    return text


def _tell(
    recipient: User | None, referral: Referral, kind: NotificationKind, message: str, actor: User
) -> None:
    """Alert the other side of a step; ``message`` names the actor as %(name)s."""
    alert([recipient], referral, kind, message % {"name": actor.full_name})


def _urgency(value: str) -> Urgency:
    if value == EMERGENCY:
        raise ServiceError(
            ReferralErrorCode.EMERGENCY_NOT_REFERRAL,
            _(
                "A referral is not for emergencies: call the emergency transfer line of the receiving "
                "hospital (115) and transfer the patient now."
            ),
            "urgency",
        )
    try:
        return Urgency(value)
    except ValueError:
        raise ServiceError(
            ReferralErrorCode.INVALID, _("Not one of the allowed choices."), "urgency"
        ) from None


def _own_case(requester: User, case_id: int) -> Case:
    case = cases_visible_to(requester).filter(pk=case_id, author_id=requester.pk).first()
    if case is None:
        raise ServiceError(ReferralErrorCode.NOT_FOUND, _("Not found."), "caseId")
    if case.published_at is None:
        raise ServiceError(
            ReferralErrorCode.CASE_NOT_PUBLISHED,
            _("Publish the case first: the consultant reads it there."),
            "caseId",
        )
    return case


def _require_higher_tier(requester: User, facility: Facility, field: str) -> None:
    assert requester.facility is not None
    if Tier.rank(facility.tier) >= Tier.rank(requester.facility.tier):
        raise ServiceError(
            ReferralErrorCode.TIER_NOT_HIGHER,
            _("A referral goes to a higher level of care than your facility's."),
            field,
        )


def _named_target(requester: User, case: Case, doctor_id: int | None) -> tuple[User, Facility]:
    """The named doctor (the requester's active mentor by default) and their facility."""
    if doctor_id is None:
        doctor = selectors.active_mentor_of(requester)
        if doctor is None:
            raise ServiceError(
                ReferralErrorCode.NO_DEFAULT_TARGET,
                _("You have no mentor: name a doctor or choose a facility and specialty."),
                "doctorId",
            )
    else:
        doctor = User.objects.select_related("facility").filter(pk=doctor_id).first()
        if doctor is None:
            raise ServiceError(ReferralErrorCode.NOT_FOUND, _("Not found."), "doctorId")
    if doctor.pk == requester.pk:
        raise ServiceError(ReferralErrorCode.SELF_REFERRAL, _("You cannot refer to yourself."), "doctorId")
    try:
        require_verified_doctor(doctor)
    except ServiceError:
        raise ServiceError(
            ReferralErrorCode.NOT_FOUND, _("This doctor cannot receive referrals."), "doctorId"
        ) from None
    if doctor.facility is None:
        raise ServiceError(ReferralErrorCode.NO_FACILITY, _("This doctor has no facility."), "doctorId")
    _require_higher_tier(requester, doctor.facility, "doctorId")
    if not cases_visible_to(doctor).filter(pk=case.pk).exists():
        raise ServiceError(
            ReferralErrorCode.CASE_NOT_VISIBLE,
            _("This doctor may not see the case: share it with them (or with the network) first."),
            "caseId",
        )
    return doctor, doctor.facility


def _queue_target(requester: User, case: Case, facility_id: int, specialty: Specialty) -> Facility:
    facility = Facility.objects.filter(pk=facility_id, is_active=True).first()
    if facility is None:
        raise ServiceError(ReferralErrorCode.NOT_FOUND, _("Not found."), "facilityId")
    _require_higher_tier(requester, facility, "facilityId")
    if case.visibility != Case.Visibility.NETWORK:
        # The queue's members are not known in advance: only a case every verified doctor
        # may see can wait in a queue (each claim checks the claimer again).
        raise ServiceError(
            ReferralErrorCode.CASE_NOT_VISIBLE,
            _("A case sent to a queue must be visible to all verified doctors."),
            "caseId",
        )
    if not selectors.queue_members(facility.pk, specialty.pk).exclude(pk=requester.pk).exists():
        raise ServiceError(
            ReferralErrorCode.NO_CONSULTANTS,
            _("No verified doctor of this specialty works at this facility."),
            "facilityId",
        )
    return facility


def request_referral(
    requester: User | Any,
    *,
    case_id: int,
    urgency: str,
    question: str,
    done_so_far: str = "",
    icd10_codes: list[str] | None = None,
    preferred_response_hours: int | None = None,
    doctor_id: int | None = None,
    facility_id: int | None = None,
    specialty_id: int | None = None,
    now: datetime | None = None,
) -> Referral:
    """Refer one of your cases to a named doctor (your active mentor by default) or to a
    facility's specialty queue at a higher tier. Emergencies are refused with guidance."""
    requester = require_verified_doctor(requester)
    chosen_urgency = _urgency(urgency)
    if requester.facility is None:
        raise ServiceError(ReferralErrorCode.NO_FACILITY, _("Set your facility in your profile first."))
    if doctor_id is not None and facility_id is not None:
        raise ServiceError(
            ReferralErrorCode.TARGET_AMBIGUOUS, _("Name a doctor or a facility, not both."), "facilityId"
        )
    errors: list[FieldError] = []
    texts = {
        "question": _text("question", question, errors, required=True),
        "done_so_far": _text("done_so_far", done_so_far, errors, required=False),
    }
    codes = clean_icd10_codes(icd10_codes or [], errors)
    if (
        preferred_response_hours is not None
        and not 1 <= preferred_response_hours <= MAX_PREFERRED_RESPONSE_HOURS
    ):
        errors.append(
            FieldError(
                ReferralErrorCode.INVALID,
                _("Between 1 and %(limit)d hours.") % {"limit": MAX_PREFERRED_RESPONSE_HOURS},
                "preferredResponseHours",
            )
        )
    guard({input_name(name): text for name, text in texts.items()}, errors)
    if errors:
        raise ServiceError.many(errors)
    case = _own_case(requester, case_id)
    specialty: Specialty | None = case.specialty
    if specialty_id is not None:
        specialty = Specialty.objects.filter(pk=specialty_id).first()
    if specialty is None:
        raise ServiceError(ReferralErrorCode.NOT_FOUND, _("Not found."), "specialtyId")
    if facility_id is not None:
        named, target_facility = None, _queue_target(requester, case, facility_id, specialty)
    else:
        named, target_facility = _named_target(requester, case, doctor_id)
    now = now or timezone.now()
    target = selectors.response_target(chosen_urgency)
    response_due_at = now + timedelta(hours=target.first_response_hours)
    with transaction.atomic():
        referral = Referral.objects.create(
            case=case,
            requester=requester,
            requester_facility=requester.facility,
            target_doctor=named,
            target_facility=target_facility,
            specialty=specialty,
            urgency=chosen_urgency,
            question=texts["question"],
            done_so_far=texts["done_so_far"],
            icd10_codes=codes or list(case.icd10_codes),
            preferred_response_hours=preferred_response_hours,
            created_at=now,
            response_due_at=response_due_at,
            completion_due_at=now + timedelta(hours=target.completion_hours),
            next_escalation_at=response_due_at,
        )
        record(
            "referral.requested",
            actor=requester,
            target=referral,
            details={"target_doctor": named.pk if named else None, "target_facility": target_facility.pk},
        )
        waiting_for = [named] if named else selectors.queue_members(target_facility.pk, specialty.pk)
        alert(
            (doctor for doctor in waiting_for if doctor.pk != requester.pk),
            referral,
            NotificationKind.REFERRAL_REQUESTED,
            _("New referral from %(name)s") % {"name": requester.full_name},
        )
        if named is not None:
            announce(requester.pk, named.pk, Interaction.REFERRAL, subject_id=referral.pk, occurred_at=now)
    return referral


# --- The lifecycle ---------------------------------------------------------------------------


def _roles(doctor: User, referral: Referral) -> set[Role]:
    roles = set()
    if referral.requester_id == doctor.pk:
        roles.add(Role.REQUESTER)
    if referral.consultant_id == doctor.pk:
        roles.add(Role.CONSULTANT)
    if referral.target_doctor_id == doctor.pk or selectors.is_queue_member(doctor, referral):
        roles.add(Role.RESPONDER)
    return roles


def _locked(actor: User, public_id: uuid.UUID, action: Action) -> Referral:
    """The referral locked for this transaction, if ``actor`` may do ``action`` in its state."""
    referral = Referral.objects.select_for_update(of=("self",)).filter(public_id=public_id).first()
    roles = _roles(actor, referral) if referral is not None else set()
    if referral is None or not roles:
        raise ServiceError(ReferralErrorCode.NOT_FOUND, _("Not found."), "id")
    code = refusal_for(referral.status, action, closed=referral.closed_at is not None)
    if code == ReferralErrorCode.ALREADY_CLAIMED:
        raise ServiceError(code, _("Another consultant has already taken this referral."), "id")
    if code == ReferralErrorCode.ALREADY_CLOSED:
        raise ServiceError(code, _("This referral is already closed."), "id")
    if code is not None:
        raise ServiceError(
            code,
            _("A %(status)s referral cannot be %(action)s.")
            % {"status": referral.get_status_display().lower(), "action": _ACTION_PAST[action]},
            "id",
        )
    if ROLE_OF[action] not in roles:
        raise ServiceError(ReferralErrorCode.NOT_YOUR_REFERRAL, _("This step is not yours to take."), "id")
    return referral


_ACTION_PAST = {
    Action.ACCEPT: gettext_lazy("accepted"),
    Action.REJECT: gettext_lazy("rejected"),
    Action.START: gettext_lazy("started"),
    Action.HOLD: gettext_lazy("put on hold"),
    Action.RESUME: gettext_lazy("resumed"),
    Action.COMPLETE: gettext_lazy("completed"),
    Action.CANCEL: gettext_lazy("cancelled"),
    Action.CLOSE: gettext_lazy("closed"),
}


def _step(
    actor: User,
    public_id: uuid.UUID,
    action: Action,
    *,
    changes: dict[str, Any] | None = None,
    details: dict[str, Any] | None = None,
) -> Referral:
    """Inside the caller's transaction: lock, check, move to the table's next state, audit."""
    return _advance(actor, _locked(actor, public_id, action), action, changes=changes, details=details)


def _advance(
    actor: User,
    referral: Referral,
    action: Action,
    *,
    changes: dict[str, Any] | None = None,
    details: dict[str, Any] | None = None,
) -> Referral:
    """Move a referral locked and checked by :func:`_locked` to the table's next state; audit it."""
    referral.status = TRANSITIONS[(referral.status, action)]
    for name, value in (changes or {}).items():
        setattr(referral, name, value)
    referral.save()
    record(f"referral.{action}", actor=actor, target=referral, details=details or {})
    return referral


def accept_referral(actor: User | Any, public_id: uuid.UUID, *, now: datetime | None = None) -> Referral:
    """The named doctor accepts, or a member of the queue claims it (exactly one claim wins)."""
    actor = require_verified_doctor(actor)
    now = now or timezone.now()
    with transaction.atomic():
        referral = _locked(actor, public_id, Action.ACCEPT)
        if not cases_visible_to(actor).filter(pk=referral.case_id).exists():
            raise ServiceError(ReferralErrorCode.CASE_NOT_VISIBLE, _("You may not see this case."), "id")
        referral = _advance(
            actor,
            referral,
            Action.ACCEPT,
            changes={
                "consultant": actor,
                # Answered by the consultant's facility (the figures' unit); a named doctor who
                # has left theirs since answers for the one the referral went to.
                "target_facility_id": actor.facility_id or referral.target_facility_id,
                "accepted_at": now,
                "first_response_at": referral.first_response_at or now,
                "next_escalation_at": None,
            },
        )
        signals.consultant_assigned.send(
            sender=Referral,
            referral_id=referral.pk,
            requester_id=referral.requester_id,
            consultant_id=actor.pk,
        )
        announce(
            referral.requester_id, actor.pk, Interaction.REFERRAL, subject_id=referral.pk, occurred_at=now
        )
        _tell(
            referral.requester,
            referral,
            NotificationKind.REFERRAL_ACCEPTED,
            _("%(name)s accepted your referral"),
            actor,
        )
    return referral


def reject_referral(
    actor: User | Any, public_id: uuid.UUID, *, reason: str, now: datetime | None = None
) -> Referral:
    actor = require_verified_doctor(actor)
    reason = _free_text("reason", reason, (Referral, "reject_reason"))
    now = now or timezone.now()
    with transaction.atomic():
        referral = _step(
            actor,
            public_id,
            Action.REJECT,
            changes={
                "reject_reason": reason,
                "rejected_at": now,
                "first_response_at": now,
                "next_escalation_at": None,
            },
        )
        _tell(
            referral.requester,
            referral,
            NotificationKind.REFERRAL_REJECTED,
            _("%(name)s declined your referral"),
            actor,
        )
    return referral


def start_referral(actor: User | Any, public_id: uuid.UUID, *, now: datetime | None = None) -> Referral:
    actor = require_verified_doctor(actor)
    now = now or timezone.now()
    with transaction.atomic():
        return _step(actor, public_id, Action.START, changes={"started_at": now})


def request_information(
    actor: User | Any, public_id: uuid.UUID, *, question: str, now: datetime | None = None
) -> Referral:
    """The consultant asks the requester for more: the referral waits on hold for the answer."""
    actor = require_verified_doctor(actor)
    question = _free_text("question", question, (InformationRequest, "question"))
    now = now or timezone.now()
    with transaction.atomic():
        referral = _step(actor, public_id, Action.HOLD)
        InformationRequest.objects.create(referral=referral, question=question, asked_by=actor, asked_at=now)
        _tell(
            referral.requester,
            referral,
            NotificationKind.REFERRAL_INFORMATION_REQUESTED,
            _("%(name)s asks for more information"),
            actor,
        )
    return referral


def give_information(
    actor: User | Any, public_id: uuid.UUID, *, answer: str, now: datetime | None = None
) -> Referral:
    """The requester answers the consultant's question: the referral is in progress again."""
    actor = require_verified_doctor(actor)
    answer = _free_text("answer", answer, (InformationRequest, "answer"))
    now = now or timezone.now()
    with transaction.atomic():
        referral = _step(actor, public_id, Action.RESUME)
        InformationRequest.objects.filter(referral=referral, answered_at__isnull=True).update(
            answer=answer, answered_at=now
        )
        _tell(
            referral.consultant,
            referral,
            NotificationKind.REFERRAL_INFORMATION_GIVEN,
            _("%(name)s answered your question"),
            actor,
        )
    return referral


def complete_referral(
    actor: User | Any,
    public_id: uuid.UUID,
    *,
    assessment: str,
    recommendation: str,
    transfer_advised: bool | None,
    follow_up_plan: str,
    now: datetime | None = None,
) -> Referral:
    """Answer in full (assessment, recommendation, transfer or not, follow-up plan); the
    consultation record is generated and its SHA-256 audited in the same transaction."""
    actor = require_verified_doctor(actor)
    errors: list[FieldError] = []
    texts = {
        name: _text(name, value, errors, required=True)
        for name, value in (
            ("assessment", assessment),
            ("recommendation", recommendation),
            ("follow_up_plan", follow_up_plan),
        )
    }
    if transfer_advised is None:
        errors.append(
            FieldError(ReferralErrorCode.REQUIRED, _("Say whether a transfer is advised."), "transferAdvised")
        )
    guard({input_name(name): text for name, text in texts.items()}, errors)
    if errors:
        raise ServiceError.many(
            [
                FieldError(ReferralErrorCode.ANSWER_INCOMPLETE, e.message, e.field)
                if e.code == ReferralErrorCode.REQUIRED
                else e
                for e in errors
            ]
        )
    now = now or timezone.now()
    with transaction.atomic():
        referral = _step(
            actor,
            public_id,
            Action.COMPLETE,
            changes={**texts, "transfer_advised": transfer_advised, "completed_at": now},
        )
        generate_record(referral, actor=actor)
        announce(
            referral.requester_id, actor.pk, Interaction.REFERRAL, subject_id=referral.pk, occurred_at=now
        )
        _tell(
            referral.requester,
            referral,
            NotificationKind.REFERRAL_COMPLETED,
            _("%(name)s answered your referral"),
            actor,
        )
    return referral


def cancel_referral(actor: User | Any, public_id: uuid.UUID, *, now: datetime | None = None) -> Referral:
    actor = require_verified_doctor(actor)
    now = now or timezone.now()
    with transaction.atomic():
        referral = _step(
            actor, public_id, Action.CANCEL, changes={"cancelled_at": now, "next_escalation_at": None}
        )
        _tell(
            referral.consultant or referral.target_doctor,
            referral,
            NotificationKind.REFERRAL_CANCELLED,
            _("%(name)s cancelled a referral"),
            actor,
        )
    return referral


def close_referral(
    actor: User | Any,
    public_id: uuid.UUID,
    *,
    transfer_avoided: bool | None,
    plan_changed: bool | None,
    usefulness: int | None,
    now: datetime | None = None,
) -> Referral:
    """The requester records the outcome: was a transfer avoided, was the plan changed, and how
    useful the answer was (1 to 5)."""
    actor = require_verified_doctor(actor)
    errors: list[FieldError] = []
    for name, value in (("transfer_avoided", transfer_avoided), ("plan_changed", plan_changed)):
        if value is None:
            errors.append(
                FieldError(ReferralErrorCode.REQUIRED, _("This field is required."), input_name(name))
            )
    if usefulness is None or not 1 <= usefulness <= 5:
        errors.append(FieldError(ReferralErrorCode.INVALID, _("Rate from 1 to 5."), "usefulness"))
    if errors:
        raise ServiceError.many(errors)
    now = now or timezone.now()
    outcome = {"transfer_avoided": transfer_avoided, "plan_changed": plan_changed, "usefulness": usefulness}
    with transaction.atomic():
        return _step(actor, public_id, Action.CLOSE, changes={**outcome, "closed_at": now}, details=outcome)
