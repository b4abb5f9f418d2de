"""The mentorship lifecycle: propose, accept, decline, withdraw, end, expire, flag for review.

States: proposed → active → ended; proposed → declined | withdrawn | expired. A doctor's
proposal counts as their own acceptance; an administrator's needs both doctors to accept. The
last acceptance starts the mentorship, and that is where the quota is enforced.

**Enforcement.** Every write about a pair first locks both doctors' rows in id order
(``network.services.connections.lock_pair``, the lock connection requests take too), then
counts and decides. Two acceptances for one mentor, or for one mentee, therefore run one after
the other, and the second counts the first's mentorship (each statement in READ COMMITTED sees
what committed before it). The partial unique constraint (one open mentorship per pair) and the
check constraints are the last line of defence.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import User
from accounts.selectors import verified_doctors_q
from accounts.services import require_verified_doctor
from audit.services import record, record_many
from common.errors import ServiceError
from facilities.models import Specialty
from mentorship.errors import MentorshipErrorCode
from mentorship.models import Mentorship, QuotaPolicy
from mentorship.selectors.policy import Quota, policy_in_force, quota
from mentorship.services.permissions import is_mentorship_admin, require_mentorship_admin
from network.models import NotificationKind
from network.selectors.connections import is_blocked_either_way
from network.services.connections import ensure_connected, lock_pair
from network.services.notifications import notify

Status = Mentorship.Status
OPEN = (Status.PROPOSED, Status.ACTIVE)
MESSAGE_MAX_LENGTH = Mentorship._meta.get_field("message").max_length or 500

PROPOSED_TITLE = gettext_noop("%(name)s proposes a mentorship")
ADMIN_PROPOSED_TITLE = gettext_noop("A mentorship with %(name)s is proposed to you")
STARTED_TITLE = gettext_noop("Your mentorship with %(name)s has started")
DECLINED_TITLE = gettext_noop("%(name)s declined the mentorship")
ENDED_TITLE = gettext_noop("Your mentorship with %(name)s has ended")


def _title(message: str, about: User) -> str:
    # Stored once and shown to the recipient, whose language is unknown here: the site's.
    with translation.override(settings.LANGUAGE_CODE):
        return _(message) % {"name": about.full_name or _("A doctor")}


def _doctor(doctor_id: int, field: str) -> User:
    """An active verified doctor (with their facility), else NOT_FOUND."""
    doctor = User.objects.filter(verified_doctors_q(), pk=doctor_id).select_related("facility").first()
    if doctor is None:
        raise ServiceError(MentorshipErrorCode.NOT_FOUND, _("No such verified doctor."), field)
    return doctor


def _pairing(policy: QuotaPolicy, mentor: User, mentee: User) -> tuple[str, str, Quota]:
    """The two doctors' tiers today and the quota the policy sets for them, or the refusal."""
    if mentor.facility is None or mentee.facility is None:
        raise ServiceError(
            MentorshipErrorCode.NO_FACILITY,
            _("Both doctors need a facility on their profile: the quota depends on its tier."),
            "mentorId" if mentor.facility is None else "menteeId",
        )
    mentor_tier, mentee_tier = mentor.facility.tier, mentee.facility.tier
    allowed = quota(policy, mentor_tier, mentee_tier)
    if allowed is None:
        raise ServiceError(
            MentorshipErrorCode.TIER_NOT_ALLOWED,
            _("The quota policy in force does not pair a %(mentor)s mentor with a %(mentee)s mentee.")
            % {"mentor": mentor.facility.get_tier_display(), "mentee": mentee.facility.get_tier_display()},
            "menteeId",
        )
    if is_blocked_either_way(mentor.pk, mentee.pk):
        raise ServiceError(MentorshipErrorCode.BLOCKED, _("These doctors cannot be paired."), "menteeId")
    return mentor_tier, mentee_tier, allowed


def _require_capacity(
    policy: QuotaPolicy, mentor: User, mentee: User, mentee_tier: str, allowed: Quota
) -> None:
    """Refuse when one more active mentorship would take the mentor over the maximum for the
    mentee's tier, or the mentee over the maximum number of mentors. Callers hold the pair lock."""
    active = Mentorship.objects.filter(status=Status.ACTIVE)
    if active.filter(mentor=mentor, mentee_tier=mentee_tier).count() >= allowed.maximum:
        raise ServiceError(
            MentorshipErrorCode.MENTOR_QUOTA_FULL,
            _("The mentor already has the maximum of %(maximum)d mentees at this tier.")
            % {"maximum": allowed.maximum},
            "mentorId",
        )
    if active.filter(mentee=mentee).count() >= policy.max_mentors_per_mentee:
        raise ServiceError(
            MentorshipErrorCode.MENTEE_MENTORS_FULL,
            _("The mentee already has the maximum of %(maximum)d mentors.")
            % {"maximum": policy.max_mentors_per_mentee},
            "menteeId",
        )


def propose_mentorship(
    actor: User,
    *,
    mentor_id: int,
    mentee_id: int,
    specialty_id: int | None = None,
    message: str = "",
) -> Mentorship:
    """The mentor or the mentee proposes (their own acceptance is implied), or an administrator
    proposes on behalf of both. The others are notified."""
    if mentor_id == mentee_id:
        raise ServiceError(
            MentorshipErrorCode.SELF_MENTORSHIP, _("A doctor cannot mentor themselves."), "menteeId"
        )
    if actor.pk in (mentor_id, mentee_id):
        actor = require_verified_doctor(actor)
        proposed_as = Mentorship.Proposer.MENTOR if actor.pk == mentor_id else Mentorship.Proposer.MENTEE
    else:
        actor = require_mentorship_admin(actor)
        proposed_as = Mentorship.Proposer.ADMINISTRATOR
    message = message.strip()
    if len(message) > MESSAGE_MAX_LENGTH:
        raise ServiceError(
            MentorshipErrorCode.INVALID,
            _("Keep the message under %(limit)d characters.") % {"limit": MESSAGE_MAX_LENGTH},
            "message",
        )
    specialty = None
    if specialty_id is not None:
        specialty = Specialty.objects.filter(pk=specialty_id).first()
        if specialty is None:
            raise ServiceError(MentorshipErrorCode.NOT_FOUND, _("No such specialty."), "specialtyId")
    with transaction.atomic():
        mentor, mentee = _doctor(mentor_id, "mentorId"), _doctor(mentee_id, "menteeId")
        lock_pair(mentor.pk, mentee.pk)
        policy = policy_in_force()
        mentor_tier, mentee_tier, allowed = _pairing(policy, mentor, mentee)
        if Mentorship.objects.filter(mentor=mentor, mentee=mentee, status__in=OPEN).exists():
            raise ServiceError(
                MentorshipErrorCode.ALREADY_OPEN,
                _("These doctors already have a mentorship proposed or active."),
                "menteeId",
            )
        _require_capacity(policy, mentor, mentee, mentee_tier, allowed)
        now = timezone.now()
        mentorship = Mentorship.objects.create(
            mentor=mentor,
            mentee=mentee,
            mentor_tier=mentor_tier,
            mentee_tier=mentee_tier,
            specialty=specialty,
            proposed_by=actor,
            proposed_as=proposed_as,
            message=message,
            proposed_at=now,
            expires_at=now + timedelta(days=settings.MENTORSHIP_PROPOSAL_DAYS),
            mentor_accepted_at=now if proposed_as == Mentorship.Proposer.MENTOR else None,
            mentee_accepted_at=now if proposed_as == Mentorship.Proposer.MENTEE else None,
        )
        _audit("proposed", actor, mentorship, {"proposed_as": proposed_as, "policy_version": policy.version})
        for doctor in _parties(mentorship):
            if doctor.pk == actor.pk:
                continue
            other = _other(mentorship, doctor)
            if proposed_as == Mentorship.Proposer.ADMINISTRATOR:
                title = _title(ADMIN_PROPOSED_TITLE, other)
            else:
                title = _title(PROPOSED_TITLE, actor)
            _notify(doctor, NotificationKind.MENTORSHIP_PROPOSED, title, mentorship, actor)
    return mentorship


def accept_mentorship(actor: User, public_id: uuid.UUID) -> Mentorship:
    """Accept a proposal made to you. The last acceptance starts the mentorship: the quota in
    force today is enforced then, and the two doctors become connected if they were not."""
    doctor = require_verified_doctor(actor)
    with transaction.atomic():
        mentorship = _locked(doctor, public_id)
        if mentorship.status != Status.PROPOSED:
            raise _not_proposed()
        if mentorship.expires_at <= timezone.now():
            raise ServiceError(
                MentorshipErrorCode.PROPOSAL_EXPIRED, _("This proposal has expired; propose again."), "id"
            )
        side = "mentor" if doctor.pk == mentorship.mentor_id else "mentee"
        if getattr(mentorship, f"{side}_accepted_at") is not None:
            raise ServiceError(
                MentorshipErrorCode.ALREADY_ACCEPTED,
                _("You already accepted; waiting for the other doctor."),
                "id",
            )
        now = timezone.now()
        setattr(mentorship, f"{side}_accepted_at", now)
        if mentorship.mentor_accepted_at is None or mentorship.mentee_accepted_at is None:
            mentorship.save(update_fields=[f"{side}_accepted_at"])
            _audit("accepted", doctor, mentorship, {"side": side})
            return mentorship
        _start(mentorship, doctor, now)
    return mentorship


def _start(mentorship: Mentorship, actor: User, now: datetime) -> None:
    mentor, mentee = _doctor(mentorship.mentor_id, "id"), _doctor(mentorship.mentee_id, "id")
    policy = policy_in_force()
    mentor_tier, mentee_tier, allowed = _pairing(policy, mentor, mentee)
    _require_capacity(policy, mentor, mentee, mentee_tier, allowed)
    mentorship.mentor, mentorship.mentee = mentor, mentee
    mentorship.mentor_tier, mentorship.mentee_tier = mentor_tier, mentee_tier
    mentorship.status = Status.ACTIVE
    mentorship.decided_at = mentorship.started_at = now
    mentorship.save(
        update_fields=[
            "mentor_accepted_at",
            "mentee_accepted_at",
            "mentor_tier",
            "mentee_tier",
            "status",
            "decided_at",
            "started_at",
        ]
    )
    connected = ensure_connected(mentor, mentee)
    _audit("started", actor, mentorship, {"policy_version": policy.version, "connected": connected})
    for doctor in _parties(mentorship):
        _notify(
            doctor,
            NotificationKind.MENTORSHIP_STARTED,
            _title(STARTED_TITLE, _other(mentorship, doctor)),
            mentorship,
            actor,
        )


def decline_mentorship(actor: User, public_id: uuid.UUID) -> Mentorship:
    """Decline a proposal made to you (one you have not accepted)."""
    doctor = require_verified_doctor(actor)
    with transaction.atomic():
        mentorship = _locked(doctor, public_id)
        if mentorship.status != Status.PROPOSED:
            raise _not_proposed()
        side = "mentor" if doctor.pk == mentorship.mentor_id else "mentee"
        if getattr(mentorship, f"{side}_accepted_at") is not None:
            raise ServiceError(
                MentorshipErrorCode.INVALID_TRANSITION,
                _("You accepted this proposal: withdraw it instead."),
                "id",
            )
        _close(mentorship, Status.DECLINED)
        _audit("declined", doctor, mentorship)
        other = _other(mentorship, doctor)
        _notify(
            other, NotificationKind.MENTORSHIP_DECLINED, _title(DECLINED_TITLE, doctor), mentorship, doctor
        )
    return mentorship


def withdraw_mentorship(actor: User, public_id: uuid.UUID) -> Mentorship:
    """The proposer (or an administrator, for an administrator's proposal) withdraws it."""
    with transaction.atomic():
        mentorship = _locked(actor, public_id, administrator_may=True)
        if mentorship.proposed_as == Mentorship.Proposer.ADMINISTRATOR:
            require_mentorship_admin(actor)
        else:
            require_verified_doctor(actor)
            if mentorship.proposed_by_id != actor.pk:
                raise ServiceError(
                    MentorshipErrorCode.PERMISSION_DENIED,
                    _("Only the doctor who proposed it can withdraw it; decline it instead."),
                    "id",
                )
        if mentorship.status != Status.PROPOSED:
            raise _not_proposed()
        _close(mentorship, Status.WITHDRAWN)
        _audit("withdrawn", actor, mentorship)
    return mentorship


def end_mentorship(actor: User, public_id: uuid.UUID, *, reason: str) -> Mentorship:
    """Either doctor, or an administrator, ends an active mentorship, giving the reason."""
    reason = reason.strip()
    with transaction.atomic():
        mentorship = _locked(actor, public_id, administrator_may=True)
        if actor.pk in (mentorship.mentor_id, mentorship.mentee_id):
            require_verified_doctor(actor)
        else:
            require_mentorship_admin(actor)
        if not reason:
            raise ServiceError(
                MentorshipErrorCode.REASON_REQUIRED, _("Say why the mentorship ends."), "reason"
            )
        if mentorship.status != Status.ACTIVE:
            raise ServiceError(
                MentorshipErrorCode.INVALID_TRANSITION, _("This mentorship is not active."), "id"
            )
        mentorship.status = Status.ENDED
        mentorship.ended_at = timezone.now()
        mentorship.ended_by = actor
        mentorship.end_reason = reason
        mentorship.save(update_fields=["status", "ended_at", "ended_by", "end_reason"])
        _audit("ended", actor, mentorship, {"reason": reason})
        for doctor in _parties(mentorship):
            if doctor.pk != actor.pk:
                title = _title(ENDED_TITLE, _other(mentorship, doctor))
                _notify(doctor, NotificationKind.MENTORSHIP_ENDED, title, mentorship, actor)
    return mentorship


def expire_proposals(now: datetime | None = None) -> int:
    """Mark unanswered proposals past their date expired (for a daily cron); each is audited."""
    now = now or timezone.now()
    with transaction.atomic():
        expired = list(
            Mentorship.objects.select_for_update(skip_locked=True).filter(
                status=Status.PROPOSED, expires_at__lte=now
            )
        )
        Mentorship.objects.filter(pk__in=[m.pk for m in expired]).update(
            status=Status.EXPIRED, decided_at=now
        )
        for mentorship in expired:
            mentorship.status = Status.EXPIRED
        _audit_many("expired", None, expired)
    return len(expired)


def flag_for_review(doctor: User, reason: Mentorship.ReviewReason) -> int:
    """The doctor lost verification, moved facility or was deactivated: their open mentorships
    are flagged for an administrator's review in the audit (never silently dropped)."""
    with transaction.atomic():
        flagged = list(
            Mentorship.objects.select_for_update().filter(
                Q(mentor=doctor) | Q(mentee=doctor), status__in=OPEN
            )
        )
        Mentorship.objects.filter(pk__in=[m.pk for m in flagged]).update(
            review_reason=reason, flagged_at=timezone.now()
        )
        _audit_many("flagged", None, flagged, {"reason": str(reason), "doctor_id": doctor.pk})
    return len(flagged)


# --- helpers ----------------------------------------------------------------------------------


def _locked(actor: User, public_id: uuid.UUID, *, administrator_may: bool = False) -> Mentorship:
    """The mentorship, after locking its pair, if ``actor`` is one of its doctors (or, where
    ``administrator_may``, an administrator); NOT_FOUND otherwise, whether it exists or not."""
    mentorships = Mentorship.objects.filter(public_id=public_id)
    if not (administrator_may and is_mentorship_admin(actor)):
        mentorships = mentorships.filter(Q(mentor_id=actor.pk) | Q(mentee_id=actor.pk))
    parties = mentorships.values_list("mentor_id", "mentee_id").first()
    if parties is None:
        raise ServiceError(MentorshipErrorCode.NOT_FOUND, _("No such mentorship."), "id")
    lock_pair(*parties)
    return Mentorship.objects.select_related("mentor", "mentee").get(public_id=public_id)


def _not_proposed() -> ServiceError:
    return ServiceError(
        MentorshipErrorCode.INVALID_TRANSITION,
        _("This proposal was already answered, withdrawn or expired."),
        "id",
    )


def _close(mentorship: Mentorship, status: Mentorship.Status) -> None:
    mentorship.status = status
    mentorship.decided_at = timezone.now()
    mentorship.save(update_fields=["status", "decided_at"])


def _parties(mentorship: Mentorship) -> tuple[User, User]:
    return mentorship.mentor, mentorship.mentee


def _other(mentorship: Mentorship, doctor: User) -> User:
    return mentorship.mentee if doctor.pk == mentorship.mentor_id else mentorship.mentor


def _notify(recipient: User, kind: NotificationKind, title: str, mentorship: Mentorship, actor: User) -> None:
    # An administrator is not a party: the notification names no actor then.
    party = actor if actor.pk in (mentorship.mentor_id, mentorship.mentee_id) else None
    notify(recipient, kind, title, actor=party, mentorship_id=mentorship.pk)


def _details(mentorship: Mentorship, extra: dict[str, object] | None) -> dict[str, object]:
    return {
        "mentor_id": mentorship.mentor_id,
        "mentee_id": mentorship.mentee_id,
        "mentee_tier": mentorship.mentee_tier,
        "status": mentorship.status,
        **(extra or {}),
    }


def _audit(
    action: str, actor: User | None, mentorship: Mentorship, extra: dict[str, object] | None = None
) -> None:
    record(f"mentorship.{action}", actor=actor, target=mentorship, details=_details(mentorship, extra))


def _audit_many(
    action: str, actor: User | None, mentorships: list[Mentorship], extra: dict[str, object] | None = None
) -> None:
    record_many(f"mentorship.{action}", actor=actor, targets=[(m, _details(m, extra)) for m in mentorships])
