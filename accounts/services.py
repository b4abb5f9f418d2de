"""Account rules: who may act, the licence-verification workflow, profiles.

Every adapter (GraphQL, web views, WebSocket consumers, management commands) calls these
functions; none re-implements a rule.
"""

from __future__ import annotations

import csv
import io
import re
import secrets
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import IO, Any

from allauth.mfa.models import Authenticator
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from accounts import emails
from accounts.errors import AccountErrorCode
from accounts.models import LicenceKind, LicenceSubmission, User, VerificationStatus
from accounts.signals import StandingChange, doctor_standing_changed
from audit import services as audit
from common.errors import CommonErrorCode, FieldError, ServiceError, input_name
from common.images import ImageRejected, reencode_image
from common.realtime import publish_after_commit, user_group
from facilities.models import Facility, Specialty

VERIFY_PERMISSION = "accounts.verify_doctor"
# Kind of the realtime event sent to the doctor's sockets when their status changes.
VERIFICATION_STATUS_EVENT = "verification.status"

# --- The one rule ----------------------------------------------------------------------------


def require_verified_doctor(user: AbstractBaseUser | AnonymousUser | None) -> User:
    """Return ``user`` if they may post, comment, connect, mentor, refer or chat.

    Only active doctors whose practice licence is verified and unexpired may. Every adapter
    calls this before any of those actions; the refusal carries a stable code.
    """
    if user is None or not user.is_authenticated:
        raise ServiceError(CommonErrorCode.NOT_AUTHENTICATED, _("Sign in first."))
    assert isinstance(user, User)
    if not user.is_active:
        raise ServiceError(CommonErrorCode.ACCOUNT_INACTIVE, _("This account is deactivated."))
    if user.verification_status != VerificationStatus.VERIFIED or _licence_lapsed(user):
        raise ServiceError(
            CommonErrorCode.NOT_VERIFIED,
            _("Only doctors with a verified, current practice licence can do this."),
        )
    return user


def is_verified_doctor(user: AbstractBaseUser | AnonymousUser | None) -> bool:
    try:
        require_verified_doctor(user)
    except ServiceError:
        return False
    return True


def _licence_lapsed(user: User, today: date | None = None) -> bool:
    return user.licence_expires_on is not None and user.licence_expires_on < (today or timezone.localdate())


def require_verifier(user: AbstractBaseUser | AnonymousUser | None) -> User:
    """Verifiers decide who may practise on the network: they must also use a second factor."""
    if user is None or not user.is_authenticated:
        raise ServiceError(CommonErrorCode.NOT_AUTHENTICATED, _("Sign in first."))
    assert isinstance(user, User)
    if not (user.is_active and user.has_perm(VERIFY_PERMISSION)):
        raise ServiceError(AccountErrorCode.PERMISSION_DENIED, _("You may not review licences."))
    if not has_totp(user):
        raise ServiceError(
            AccountErrorCode.MFA_REQUIRED,
            _("Set up two-factor authentication (an authenticator app) before reviewing licences."),
        )
    return user


def has_totp(user: User) -> bool:
    """Whether the user signs in with an authenticator app (allauth MFA TOTP).

    Cached on the instance for the request, as Django caches permissions: list screens ask
    once per row."""
    cached: bool | None = getattr(user, "_has_totp", None)
    if cached is None:
        cached = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
        user._has_totp = cached  # type: ignore[attr-defined]
    return cached


# Statuses from which a doctor may submit a licence for review.
MAY_SUBMIT_FROM = frozenset(
    {
        VerificationStatus.UNVERIFIED,
        VerificationStatus.REJECTED,
        VerificationStatus.REVOKED,
        VerificationStatus.EXPIRED,
    }
)


def may_submit_licence(user: User) -> bool:
    """Whether the doctor may send a licence for review now: never verified, turned down, or
    their licence lapsed (even before the nightly expiry job has recorded it)."""
    lapsed = user.verification_status == VerificationStatus.VERIFIED and _licence_lapsed(user)
    return user.is_active and (user.verification_status in MAY_SUBMIT_FROM or lapsed)


# --- Profiles --------------------------------------------------------------------------------

PROFILE_FIELDS = ("full_name", "title", "position", "phone", "bio")
PHONE_PATTERN = re.compile(r"^\+?[0-9 .-]{8,20}$")


@transaction.atomic
def update_profile(
    user: User,
    *,
    facility_id: int | None = None,
    specialty_ids: list[int] | None = None,
    avatar: UploadedFile | None = None,
    remove_avatar: bool = False,
    **values: str,
) -> User:
    """Change the caller's own profile. Unknown keys are a programming error."""
    unknown = set(values) - set(PROFILE_FIELDS)
    if unknown:
        raise TypeError(f"Not profile fields: {sorted(unknown)}")
    errors: list[FieldError] = []
    cleaned = {key: value.strip() for key, value in values.items()}
    if "full_name" in cleaned and not cleaned["full_name"]:
        errors.append(FieldError(AccountErrorCode.REQUIRED, _("Enter your full name."), "fullName"))
    if cleaned.get("phone") and not PHONE_PATTERN.match(cleaned["phone"]):
        errors.append(FieldError(AccountErrorCode.INVALID, _("Enter a valid phone number."), "phone"))
    facility = None
    if facility_id is not None:
        facility = Facility.objects.filter(pk=facility_id, is_active=True).first()
        if facility is None:
            errors.append(FieldError(AccountErrorCode.NOT_FOUND, _("No such active facility."), "facilityId"))
    specialties: list[Specialty] = []
    if specialty_ids is not None:
        specialties = list(Specialty.objects.filter(pk__in=set(specialty_ids)))
        if len(specialties) != len(set(specialty_ids)):
            errors.append(FieldError(AccountErrorCode.NOT_FOUND, _("Unknown specialty."), "specialtyIds"))
    for name in PROFILE_FIELDS:
        max_length = getattr(User._meta.get_field(name), "max_length", None)
        if max_length is not None and len(cleaned.get(name, "")) > max_length:
            errors.append(
                FieldError(
                    AccountErrorCode.INVALID, _("Too long (at most %d).") % max_length, input_name(name)
                )
            )
    avatar_image: ContentFile | None = None
    if avatar is not None:
        try:
            avatar_image = _avatar_image(avatar)
        except ServiceError as error:
            errors.extend(error.errors)
    if errors:
        raise ServiceError.many(errors)
    # Only the fields changed here are written: the caller's copy of the user may be stale (a
    # socket opened before a verifier's decision), and saving it whole would undo that decision.
    changed = list(cleaned)
    for key, value in cleaned.items():
        setattr(user, key, value)
    moved = facility is not None and user.facility_id is not None and facility.pk != user.facility_id
    if facility is not None:
        user.facility = facility
        changed.append("facility")
    old_avatar = user.avatar.name if user.avatar else None
    if avatar_image is not None:
        user.avatar.save(f"{user.public_id}-{secrets.token_hex(8)}.jpg", avatar_image, save=False)
        changed.append("avatar")
    elif remove_avatar:
        user.avatar = None
        changed.append("avatar")
    if changed:
        user.save(update_fields=changed)
    if moved:
        doctor_standing_changed.send(sender=User, doctor=user, change=StandingChange.FACILITY_CHANGED)
    if specialty_ids is not None:
        user.specialties.set(specialties)
    if old_avatar and old_avatar != (user.avatar.name if user.avatar else None):
        storage = user.avatar.storage
        transaction.on_commit(lambda: storage.delete(old_avatar))
    return user


AVATAR_MAX_BYTES = 5 * 1024 * 1024
AVATAR_SIDE = 512
AVATAR_FORMATS = {"JPEG", "PNG", "WEBP"}


def _avatar_image(upload: UploadedFile) -> ContentFile:
    """The avatar re-encoded as a JPEG of at most 512 by 512 pixels, without any metadata
    (common.images: EXIF with GPS, XMP, comments and trailing bytes all dropped)."""
    if upload.size is None or upload.size > AVATAR_MAX_BYTES:
        raise ServiceError(AccountErrorCode.FILE_TOO_LARGE, _("The photo must be at most 5 MB."), "avatar")
    try:
        image = reencode_image(upload, max_side=AVATAR_SIDE, formats=AVATAR_FORMATS, output_format="JPEG")
    except ImageRejected:
        raise ServiceError(
            AccountErrorCode.FILE_TYPE_NOT_ALLOWED,
            _("The photo must be a JPEG, PNG or WebP image."),
            "avatar",
        ) from None
    return image.content


# --- Licence submission ----------------------------------------------------------------------

LICENCE_NUMBER_PATTERN = re.compile(r"^[0-9A-Za-zĐđ/.\- ]{3,40}$")
SCAN_TYPES = {"image/jpeg": "JPEG", "image/png": "PNG", "application/pdf": None}


def _scan_content_type(scan: UploadedFile, max_bytes: int) -> str:
    """Detect the scan's real type from its bytes (the client's claim is not trusted)."""
    if scan.size is None or scan.size > max_bytes:
        raise ServiceError(
            AccountErrorCode.FILE_TOO_LARGE,
            _("The scan must be at most %d MB.") % (max_bytes // (1024 * 1024)),
            "scan",
        )
    scan.seek(0)
    head = scan.read(8)
    scan.seek(0)
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    try:
        with Image.open(scan) as image:
            image_format = image.format
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        image_format = None
    finally:
        scan.seek(0)
    for content_type, pil_format in SCAN_TYPES.items():
        if pil_format and pil_format == image_format:
            return content_type
    raise ServiceError(
        AccountErrorCode.FILE_TYPE_NOT_ALLOWED, _("The scan must be a JPEG, PNG or PDF file."), "scan"
    )


def submit_licence(
    doctor: User,
    *,
    kind: str,
    licence_number: str,
    issuing_authority: str,
    issued_on: date,
    expires_on: date | None,
    scan: UploadedFile,
) -> LicenceSubmission:
    """A doctor asks for their practice licence to be verified (unverified/rejected/revoked/
    expired → pending). No citizen-ID document is asked for (Law 91/2025)."""
    from django.conf import settings

    _require_may_submit(doctor)
    errors: list[FieldError] = []
    number = " ".join(licence_number.split())
    authority = " ".join(issuing_authority.split())
    if kind not in LicenceKind.values:
        errors.append(FieldError(AccountErrorCode.INVALID, _("Unknown licence kind."), "kind"))
    if not LICENCE_NUMBER_PATTERN.match(number):
        errors.append(
            FieldError(AccountErrorCode.INVALID, _("Enter the licence number as printed."), "licenceNumber")
        )
    if not authority:
        errors.append(
            FieldError(AccountErrorCode.REQUIRED, _("Enter the issuing authority."), "issuingAuthority")
        )
    elif len(authority) > 200:
        errors.append(FieldError(AccountErrorCode.INVALID, _("Too long (at most 200)."), "issuingAuthority"))
    today = timezone.localdate()
    if issued_on > today:
        errors.append(
            FieldError(AccountErrorCode.INVALID_DATES, _("The issue date is in the future."), "issuedOn")
        )
    if expires_on is not None and expires_on <= issued_on:
        errors.append(
            FieldError(
                AccountErrorCode.INVALID_DATES, _("The licence must expire after it is issued."), "expiresOn"
            )
        )
    elif expires_on is not None and expires_on < today:
        errors.append(
            FieldError(AccountErrorCode.LICENCE_EXPIRED, _("This licence has expired."), "expiresOn")
        )
    try:
        content_type = _scan_content_type(scan, settings.LICENCE_SCAN_MAX_BYTES)
    except ServiceError as error:
        errors.extend(error.errors)
    if errors:
        raise ServiceError.many(errors)

    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=doctor.pk)
        _require_may_submit(locked)  # again, under the lock: two submissions may race
        if locked.verification_status == VerificationStatus.VERIFIED:
            # A lapsed licence the nightly job has not expired yet: record that first, so the
            # job cannot later overwrite the new pending status.
            _expire_lapsed(locked)
        submission = LicenceSubmission(
            doctor=locked,
            kind=kind,
            licence_number=number,
            issuing_authority=authority,
            issued_on=issued_on,
            expires_on=expires_on,
            scan_content_type=content_type,
        )
        submission.scan.save(f"licence{_extension(content_type)}", scan, save=False)
        submission.save()
        previous = locked.verification_status
        _set_status(locked, VerificationStatus.PENDING)
        audit.record(
            "licence.submitted",
            actor=locked,
            target=submission,
            details={"from": previous, "to": VerificationStatus.PENDING, "licence_number": number},
        )
    doctor.verification_status = locked.verification_status
    return submission


def _require_may_submit(doctor: User) -> None:
    if not doctor.is_active:
        raise ServiceError(CommonErrorCode.ACCOUNT_INACTIVE, _("This account is deactivated."))
    if doctor.verification_status == VerificationStatus.PENDING:
        raise ServiceError(AccountErrorCode.ALREADY_PENDING, _("A licence is already waiting for review."))
    if doctor.verification_status == VerificationStatus.VERIFIED and not _licence_lapsed(doctor):
        raise ServiceError(AccountErrorCode.ALREADY_VERIFIED, _("Your licence is already verified."))
    assert may_submit_licence(doctor)


def _extension(content_type: str) -> str:
    return {"image/jpeg": ".jpg", "image/png": ".png", "application/pdf": ".pdf"}[content_type]


def _set_status(doctor: User, status: str, expires_on: date | None = None) -> None:
    was_verified = doctor.verification_status == VerificationStatus.VERIFIED
    doctor.verification_status = status
    doctor.licence_expires_on = expires_on if status == VerificationStatus.VERIFIED else None
    doctor.save(update_fields=["verification_status", "licence_expires_on"])
    if was_verified and status != VerificationStatus.VERIFIED:
        doctor_standing_changed.send(sender=User, doctor=doctor, change=StandingChange.VERIFICATION_LOST)
    publish_after_commit(
        user_group(doctor.pk),
        {
            "kind": VERIFICATION_STATUS_EVENT,
            "user_id": doctor.pk,
            "status": str(status),
            "changed_at": timezone.now().isoformat(),
        },
    )


def open_licence_scan(viewer: User, submission_id: int) -> LicenceSubmission:
    """A verifier, or the doctor it belongs to, opens a licence scan: each viewing is audited.

    Anyone else gets NOT_FOUND, which does not reveal whether the submission exists."""
    from accounts.selectors import licence_submissions_visible_to

    submission = licence_submissions_visible_to(viewer).filter(pk=submission_id).first()
    if submission is None:
        raise ServiceError(AccountErrorCode.NOT_FOUND, _("No such licence submission."), "submissionId")
    audit.record(
        "licence.scan_viewed", actor=viewer, target=submission, details={"doctor_id": submission.doctor_id}
    )
    return submission


# --- Review, revocation, expiry --------------------------------------------------------------


def review_licence(
    verifier: User, submission_id: int, *, approve: bool, reason: str = ""
) -> LicenceSubmission:
    """A verifier approves (pending → verified) or rejects (pending → rejected, reason required)."""
    require_verifier(verifier)
    reason = reason.strip()
    if not approve and not reason:
        raise ServiceError(AccountErrorCode.REASON_REQUIRED, _("Give the reason for rejecting."), "reason")
    with transaction.atomic():
        submission = (
            LicenceSubmission.objects.select_for_update(of=("self",))
            .select_related("doctor")
            .filter(pk=submission_id)
            .first()
        )
        if submission is None:
            raise ServiceError(AccountErrorCode.NOT_FOUND, _("No such licence submission."), "submissionId")
        if submission.doctor_id == verifier.pk:
            raise ServiceError(AccountErrorCode.SELF_REVIEW, _("You cannot review your own licence."))
        if submission.status != VerificationStatus.PENDING:
            raise ServiceError(
                AccountErrorCode.INVALID_TRANSITION,
                _("Only a pending submission can be reviewed (this one is %s).") % submission.status,
            )
        if approve and submission.expires_on is not None and submission.expires_on < timezone.localdate():
            raise ServiceError(
                AccountErrorCode.LICENCE_EXPIRED, _("This licence has expired; reject it instead.")
            )
        if approve and _licence_in_use(submission):
            raise ServiceError(
                AccountErrorCode.LICENCE_IN_USE,
                _("Another doctor is already verified with this licence number."),
            )
        _decide(
            submission,
            verifier,
            VerificationStatus.VERIFIED if approve else VerificationStatus.REJECTED,
            reason,
        )
    return submission


def _licence_in_use(submission: LicenceSubmission) -> bool:
    """Whether another doctor is verified under the same licence number (one licence, one doctor)."""
    return (
        LicenceSubmission.objects.filter(
            licence_number=submission.licence_number, status=VerificationStatus.VERIFIED
        )
        .exclude(doctor_id=submission.doctor_id)
        .exists()
    )


def _decide(
    submission: LicenceSubmission,
    verifier: User | None,
    status: str,
    reason: str,
    extra: dict[str, Any] | None = None,
) -> None:
    """Record a decision on ``submission`` (locked by the caller): status, audit row, email."""
    previous = submission.status
    submission.status = status
    submission.reviewed_by = verifier
    submission.reviewed_at = timezone.now()
    submission.decision_reason = reason
    submission.save(update_fields=["status", "reviewed_by", "reviewed_at", "decision_reason"])
    doctor = User.objects.select_for_update().get(pk=submission.doctor_id)
    _set_status(doctor, status, submission.expires_on)
    submission.doctor = doctor
    audit.record(
        f"licence.{status}",
        actor=verifier,
        target=submission,
        details={"from": previous, "to": status, "doctor_id": doctor.pk, "reason": reason, **(extra or {})},
    )
    emails.send_verification_decision_on_commit(submission)


def revoke_verification(verifier: User, doctor_id: int, *, reason: str) -> LicenceSubmission:
    """A verifier withdraws a doctor's verification (verified → revoked, reason required)."""
    require_verifier(verifier)
    reason = reason.strip()
    if not reason:
        raise ServiceError(AccountErrorCode.REASON_REQUIRED, _("Give the reason for revoking."), "reason")
    if doctor_id == verifier.pk:
        raise ServiceError(AccountErrorCode.SELF_REVIEW, _("You cannot revoke your own verification."))
    with transaction.atomic():
        submission = (
            LicenceSubmission.objects.select_for_update()
            .filter(doctor_id=doctor_id, status=VerificationStatus.VERIFIED)
            .first()
        )
        if submission is None:
            raise ServiceError(
                AccountErrorCode.INVALID_TRANSITION, _("This doctor is not verified."), "doctorId"
            )
        _decide(submission, verifier, VerificationStatus.REVOKED, reason)
    return submission


def _expire(submission: LicenceSubmission) -> None:
    """The verified ``submission`` (locked by the caller) lapsed: record it, audited."""
    _decide(submission, None, VerificationStatus.EXPIRED, "", {"expired_on": str(submission.expires_on)})


def _expire_lapsed(doctor: User) -> None:
    for submission in LicenceSubmission.objects.select_for_update().filter(
        doctor=doctor, status=VerificationStatus.VERIFIED
    ):
        _expire(submission)
    doctor.refresh_from_db(fields=["verification_status", "licence_expires_on"])


def expire_lapsed_licences(today: date | None = None) -> int:
    """Move every verified doctor whose licence has lapsed to expired (for a daily cron)."""
    today = today or timezone.localdate()
    expired = 0
    lapsed = LicenceSubmission.objects.filter(status=VerificationStatus.VERIFIED, expires_on__lt=today)
    for submission_id in lapsed.values_list("pk", flat=True).iterator():
        with transaction.atomic():
            submission = LicenceSubmission.objects.select_for_update().get(pk=submission_id)
            if submission.status != VerificationStatus.VERIFIED:
                continue
            _expire(submission)
            expired += 1
    return expired


# --- Bulk verification from the national practitioner registry --------------------------------

REGISTRY_COLUMNS = ("licence_number", "name", "title")


class RegistryProblem(StrEnum):
    NO_PENDING_DOCTOR = "NO_PENDING_DOCTOR"
    SELF_REVIEW = "SELF_REVIEW"
    NAME_DIFFERS = "NAME_DIFFERS"
    TITLE_DIFFERS = "TITLE_DIFFERS"
    DUPLICATE_NUMBER = "DUPLICATE_NUMBER"
    LICENCE_IN_USE = "LICENCE_IN_USE"


@dataclass
class RegistryMismatch:
    line: int
    licence_number: str
    code: RegistryProblem
    problem: str


@dataclass
class BulkVerificationReport:
    verified: list[int] = field(default_factory=list)
    mismatches: list[RegistryMismatch] = field(default_factory=list)


def _fold(text: str) -> str:
    """Compare names as people write them: same letters and diacritics, any case or spacing."""
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


def bulk_verify_from_registry(verifier: User, extract: IO[bytes] | IO[str]) -> BulkVerificationReport:
    """Verify every pending doctor whose licence number, name and title match a registry row.

    Mismatches are listed, not verified. A malformed extract changes nothing.
    """
    require_verifier(verifier)
    raw = extract.read()
    try:
        text = raw.decode("utf-8-sig") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError as error:
        raise ServiceError(
            AccountErrorCode.INVALID_CSV, _("The extract must be UTF-8 text."), "file"
        ) from error
    reader = csv.DictReader(io.StringIO(text))
    header = tuple(name.strip() for name in (reader.fieldnames or ()))
    missing = [column for column in REGISTRY_COLUMNS if column not in header]
    if missing:
        raise ServiceError(
            AccountErrorCode.INVALID_CSV,
            _("The extract lacks the columns: %s.") % ", ".join(missing),
            "file",
        )
    try:
        rows = [
            (reader.line_num, {key.strip(): (value or "").strip() for key, value in row.items() if key})
            for row in reader
        ]
    except csv.Error as error:
        raise ServiceError(AccountErrorCode.INVALID_CSV, _("Unreadable CSV: %s") % error, "file") from error

    report = BulkVerificationReport()
    with transaction.atomic():
        numbers = {" ".join(row["licence_number"].split()) for _line, row in rows}
        pending: dict[str, list[LicenceSubmission]] = {}
        # Locked in key order, so two concurrent runs cannot deadlock each other.
        for submission in (
            LicenceSubmission.objects.select_for_update(of=("self",))
            .select_related("doctor")
            .filter(status=VerificationStatus.PENDING, licence_number__in=numbers)
            .order_by("pk")
        ):
            pending.setdefault(submission.licence_number, []).append(submission)
        for line, row in rows:
            number = " ".join(row["licence_number"].split())
            candidates = pending.pop(number, [])
            if len(candidates) > 1:
                problem = _("%(count)d pending doctors give this licence number.") % {
                    "count": len(candidates)
                }
                report.mismatches.append(
                    RegistryMismatch(line, number, RegistryProblem.DUPLICATE_NUMBER, problem)
                )
                continue
            candidate = candidates[0] if candidates else None
            mismatch = _registry_mismatch(row, candidate, verifier)
            if mismatch is not None:
                code, problem = mismatch
                report.mismatches.append(RegistryMismatch(line, number, code, problem))
                continue
            assert candidate is not None
            _decide(
                candidate, verifier, VerificationStatus.VERIFIED, "", {"source": "registry", "line": line}
            )
            report.verified.append(candidate.doctor_id)
    return report


def _registry_mismatch(
    row: dict[str, str], submission: LicenceSubmission | None, verifier: User
) -> tuple[RegistryProblem, str] | None:
    """Why a registry row may not verify ``submission``, or None when it may."""
    if submission is None:
        return RegistryProblem.NO_PENDING_DOCTOR, _("No pending doctor has this licence number.")
    doctor = submission.doctor
    if doctor.pk == verifier.pk:
        return RegistryProblem.SELF_REVIEW, _("A verifier cannot verify themselves.")
    if _fold(row["name"]) != _fold(doctor.full_name):
        return RegistryProblem.NAME_DIFFERS, _(
            "Name differs: registry “%(registry)s”, profile “%(profile)s”."
        ) % {
            "registry": row["name"],
            "profile": doctor.full_name,
        }
    if row["title"] and _fold(row["title"]) != _fold(doctor.title):
        return RegistryProblem.TITLE_DIFFERS, _(
            "Title differs: registry “%(registry)s”, profile “%(profile)s”."
        ) % {
            "registry": row["title"],
            "profile": doctor.title,
        }
    if _licence_in_use(submission):
        return RegistryProblem.LICENCE_IN_USE, _(
            "Another doctor is already verified with this licence number."
        )
    return None
