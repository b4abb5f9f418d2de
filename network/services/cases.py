"""Case posts: writing, editing, attachments, publishing, status, accepted answer, deletion.

A case is de-identified before anything is stored: every free-text field passes the patient-
identifier guard, images are re-encoded without metadata, original file names are dropped.

Status: DRAFT → OPEN (publish) → ANSWERED (the author accepts an answer; accepting another
answer switches it) → CLOSED (the author closes an open or answered case). A closed case may be
reopened by its author: it goes back to ANSWERED if it has an accepted answer, else OPEN (a
doctor may learn more later and want advice again). Every other move is INVALID_TRANSITION.
Only the author edits, publishes, closes, reopens or deletes; anyone else who can see the case
is refused NOT_AUTHOR, anyone who cannot gets NOT_FOUND.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import models, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.selectors import verified_doctors_q
from accounts.services import require_verified_doctor
from audit import services as audit
from common.errors import FieldError, ServiceError, input_name
from common.images import CASE_IMAGE_SIDE, ImageRejected, reencode_image
from common.interactions import Interaction, announce
from common.storage import private_storage
from facilities.models import Specialty
from network.errors import NetworkErrorCode
from network.identifier_guard import ensure_deidentified
from network.models import (
    AgeBand,
    Case,
    CaseAttachment,
    CaseAudience,
    CaseRevision,
    Comment,
    NotificationKind,
    Sex,
)
from network.selectors.cases import LIVE_COMMENT, cases_visible_to
from network.selectors.connections import blocked_either_way_ids
from network.services.notifications import notify

# Free text a doctor writes about the patient: checked by the identifier guard.
CASE_TEXT_FIELDS = ("title", "presenting_problem", "history", "findings", "investigations", "question")
REQUIRED_TEXT_FIELDS = frozenset({"title", "presenting_problem", "question"})
# Every field a case is written with (create_case's keywords; update_case's subset).
CASE_FIELDS = (
    *CASE_TEXT_FIELDS,
    "specialty_id",
    "icd10_codes",
    "age_band",
    "sex",
    "tags",
    "consent_by",
    "consent_method",
    "consent_note",
    "visibility",
    "audience_ids",
)

# ICD-10: a letter, two digits, optionally a dot and one or two more characters (I21.0, E11.65).
ICD10_PATTERN = re.compile(r"^[A-Z][0-9]{2}(\.[0-9A-Z]{1,2})?$")
MAX_ICD10_CODES = 10
MAX_TAGS = 15
MAX_TAG_LENGTH = 40
MAX_AUDIENCE = 100
# The guard sees the tags as one text; its spans index the tags joined by this separator.
TAG_SEPARATOR = ", "

MAX_ATTACHMENTS = 10
IMAGE_FORMATS = frozenset({"JPEG", "PNG", "WEBP"})
PDF_MAGIC = b"%PDF-"

OPEN_FOR_DISCUSSION = frozenset({Case.Status.OPEN, Case.Status.ANSWERED})


def guard(texts: dict[str, str], errors: list[FieldError]) -> None:
    """Add the identifier guard's refusals for ``texts`` (keyed by input field) to ``errors``."""
    try:
        ensure_deidentified({field: text for field, text in texts.items() if text})
    except ServiceError as refusal:
        errors.extend(refusal.errors)


def max_length_of(model: type[models.Model], name: str) -> int:
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field) and field.max_length is not None
    return int(field.max_length)


def require_found(found: Any, field: str | None = "caseId") -> Any:
    """``found``, or NOT_FOUND: what missing and not-shown-to-you look like, indistinguishably."""
    if found is None:
        raise ServiceError(NetworkErrorCode.NOT_FOUND, _("Not found."), field)
    return found


def case_of_author(author: User, case_id: int, *, lock: bool = True) -> Case:
    """The author's own live case (locked for the transaction); NOT_FOUND or NOT_AUTHOR."""
    cases = cases_visible_to(author)
    if lock:
        cases = cases.select_for_update(of=("self",))
    case: Case = require_found(cases.filter(pk=case_id).first())
    if case.author_id != author.pk:
        raise ServiceError(NetworkErrorCode.NOT_AUTHOR, _("Only the author of the case can do this."))
    return case


def _require_status(case: Case, allowed: Collection[str], message: str) -> None:
    if case.status not in allowed:
        raise ServiceError(NetworkErrorCode.INVALID_TRANSITION, message)


# --- Writing and editing -------------------------------------------------------------------------


@dataclass
class _Cleaned:
    values: dict[str, Any]
    audience: list[User] | None  # None: unchanged


def _clean_text(name: str, value: str, errors: list[FieldError]) -> str:
    # Only the ends are trimmed: the guard's spans index the text as submitted, and what is
    # stored holds exactly the characters the guard passed.
    text = value.strip()
    limit = max_length_of(Case, name)
    if name in REQUIRED_TEXT_FIELDS and not text:
        errors.append(FieldError(NetworkErrorCode.REQUIRED, _("This field is required."), input_name(name)))
    elif len(text) > limit:
        errors.append(
            FieldError(
                NetworkErrorCode.INVALID,
                _("Too long (at most %(limit)d characters).") % {"limit": limit},
                input_name(name),
            )
        )
    return text


def clean_icd10_codes(codes: Sequence[str], errors: list[FieldError]) -> list[str]:
    """ICD-10 codes trimmed, upper-cased and de-duplicated (cases and referrals); a malformed
    code or too many add an error to ``errors``."""
    cleaned = list(dict.fromkeys(code.strip().upper() for code in codes if code.strip()))
    invalid = [code for code in cleaned if not ICD10_PATTERN.match(code)]
    if invalid:
        errors.append(
            FieldError(
                NetworkErrorCode.INVALID,
                _(
                    "Not ICD-10 codes: %(codes)s (expected a letter, two digits, optionally . and one or two more)."
                )
                % {"codes": ", ".join(invalid)},
                "icd10Codes",
            )
        )
    elif len(cleaned) > MAX_ICD10_CODES:
        errors.append(
            FieldError(
                NetworkErrorCode.INVALID,
                _("At most %(limit)d ICD-10 codes.") % {"limit": MAX_ICD10_CODES},
                "icd10Codes",
            )
        )
    return cleaned


def _clean_tags(tags: Sequence[str], errors: list[FieldError]) -> list[str]:
    cleaned = list(dict.fromkeys(" ".join(tag.split()) for tag in tags if tag.strip()))
    if len(cleaned) > MAX_TAGS or any(len(tag) > MAX_TAG_LENGTH for tag in cleaned):
        errors.append(
            FieldError(
                NetworkErrorCode.INVALID,
                _("At most %(count)d tags of at most %(length)d characters each.")
                % {"count": MAX_TAGS, "length": MAX_TAG_LENGTH},
                "tags",
            )
        )
    return cleaned


def _clean_choice(name: str, value: str, choices: Collection[str], errors: list[FieldError]) -> str:
    if value not in choices:
        errors.append(
            FieldError(NetworkErrorCode.INVALID, _("Not one of the allowed choices."), input_name(name))
        )
    return value


def _audience(author: User, public_ids: Collection[uuid.UUID], errors: list[FieldError]) -> list[User]:
    """The named doctors: verified doctors other than the author (always included implicitly),
    not blocked either way. Anyone else is NOT_FOUND, without saying why."""
    wanted = set(public_ids) - {author.public_id}
    if len(wanted) > MAX_AUDIENCE:
        errors.append(
            FieldError(
                NetworkErrorCode.INVALID,
                _("Name at most %(limit)d doctors.") % {"limit": MAX_AUDIENCE},
                "audienceIds",
            )
        )
        return []
    doctors = list(
        User.objects.filter(verified_doctors_q(), public_id__in=wanted).exclude(
            pk__in=blocked_either_way_ids(author.pk)
        )
    )
    if len(doctors) != len(wanted):
        errors.append(
            FieldError(
                NetworkErrorCode.NOT_FOUND,
                _("Only verified doctors in your network can be named."),
                "audienceIds",
            )
        )
    return doctors


def _clean(author: User, values: dict[str, Any], current: Case | None) -> _Cleaned:
    """Validate and normalise ``values`` (all fields for a new case, some for an edit), then run
    the identifier guard over the free text; every problem is reported at once."""
    errors: list[FieldError] = []
    cleaned: dict[str, Any] = {}
    for name in CASE_TEXT_FIELDS:
        if name in values:
            cleaned[name] = _clean_text(name, values[name], errors)
    if "consent_note" in values:
        cleaned["consent_note"] = _clean_text("consent_note", values["consent_note"], errors)
    if "specialty_id" in values:
        if not Specialty.objects.filter(pk=values["specialty_id"]).exists():
            errors.append(FieldError(NetworkErrorCode.NOT_FOUND, _("Unknown specialty."), "specialtyId"))
        cleaned["specialty_id"] = values["specialty_id"]
    if "icd10_codes" in values:
        cleaned["icd10_codes"] = clean_icd10_codes(values["icd10_codes"], errors)
    if "tags" in values:
        cleaned["tags"] = _clean_tags(values["tags"], errors)
    for name, choices in (
        ("age_band", AgeBand.values),
        ("sex", Sex.values),
        ("visibility", Case.Visibility.values),
        ("consent_by", ["", *Case.ConsentBy.values]),
        ("consent_method", ["", *Case.ConsentMethod.values]),
    ):
        if name in values:
            cleaned[name] = _clean_choice(name, values[name], choices, errors)

    visibility = cleaned.get("visibility", current.visibility if current else Case.Visibility.NETWORK)
    audience: list[User] | None = None
    if visibility != Case.Visibility.NAMED:
        audience = []  # an audience means nothing for other visibilities: cleared
    elif values.get("audience_ids") is not None:
        audience = _audience(author, values["audience_ids"], errors)
    if visibility == Case.Visibility.NAMED and not (
        audience if audience is not None else current is not None and current.audience.exists()
    ):
        errors.append(
            FieldError(
                NetworkErrorCode.REQUIRED,
                _("Name the doctors who may see this case."),
                "audienceIds",
            )
        )

    texts = {input_name(name): values[name] for name in (*CASE_TEXT_FIELDS, "consent_note") if name in values}
    if cleaned.get("tags"):
        texts["tags"] = TAG_SEPARATOR.join(cleaned["tags"])
    guard(texts, errors)
    if errors:
        raise ServiceError.many(errors)
    return _Cleaned(values=cleaned, audience=audience)


def _has_consent(case: Case) -> bool:
    return bool(case.consent_by and case.consent_method)


def _has_images(case: Case) -> bool:
    return case.attachments.filter(content_type__startswith="image/").exists()


def _consent_required() -> ServiceError:
    return ServiceError(
        NetworkErrorCode.CONSENT_REQUIRED,
        _("A case with images needs the consent statement: who consented, and how."),
        "consentBy",
    )


def _set_audience(case: Case, audience: list[User]) -> None:
    case.audience.exclude(doctor__in=audience).delete()
    CaseAudience.objects.bulk_create(
        [CaseAudience(case=case, doctor=doctor) for doctor in audience], ignore_conflicts=True
    )


def create_case(
    author: User,
    *,
    title: str,
    specialty_id: int,
    age_band: str,
    sex: str,
    presenting_problem: str,
    question: str,
    history: str = "",
    findings: str = "",
    investigations: str = "",
    icd10_codes: Sequence[str] = (),
    tags: Sequence[str] = (),
    consent_by: str = "",
    consent_method: str = "",
    consent_note: str = "",
    visibility: str = Case.Visibility.NETWORK,
    audience_ids: Collection[uuid.UUID] = (),
) -> Case:
    """A new DRAFT case, seen only by its author until published.

    ``audience_ids`` are doctors' public ids (the NAMED audience). Nothing is stored when the
    guard finds a patient identifier: the refusal lists each span, per field."""
    author = require_verified_doctor(author)
    values = {
        "title": title,
        "specialty_id": specialty_id,
        "age_band": age_band,
        "sex": sex,
        "presenting_problem": presenting_problem,
        "question": question,
        "history": history,
        "findings": findings,
        "investigations": investigations,
        "icd10_codes": icd10_codes,
        "tags": tags,
        "consent_by": consent_by,
        "consent_method": consent_method,
        "consent_note": consent_note,
        "visibility": visibility,
        "audience_ids": audience_ids,
    }
    cleaned = _clean(author, values, None)
    with transaction.atomic():
        case = Case.objects.create(author=author, status=Case.Status.DRAFT, **cleaned.values)
        _set_audience(case, cleaned.audience or [])
        audit.record("case.created", actor=author, target=case)
    return case


def _snapshot(case: Case, fields: Collection[str]) -> dict[str, Any]:
    """The JSON-able previous values of ``fields`` (the revision's ``previous``)."""
    previous: dict[str, Any] = {}
    for name in fields:
        if name == "audience_ids":
            previous[name] = [
                str(public_id) for public_id in case.audience.values_list("doctor__public_id", flat=True)
            ]
        else:
            value = getattr(case, name)
            previous[name] = list(value) if isinstance(value, list) else value
    return previous


def update_case(editor: User, case_id: int, **changes: Any) -> Case:
    """Change the given fields of one's own case (drafts and published cases alike).

    The previous values are kept as a CaseRevision (shown to the author) and the edit is
    audited (field names only: the audit log holds no clinical text). Unknown keywords are a
    programming error."""
    unknown = set(changes) - set(CASE_FIELDS)
    if unknown:
        raise TypeError(f"Not case fields: {sorted(unknown)}")
    editor = require_verified_doctor(editor)
    case_of_author(editor, case_id, lock=False)  # NOT_FOUND / NOT_AUTHOR before any work
    with transaction.atomic():
        case = case_of_author(editor, case_id)
        cleaned = _clean(editor, changes, case)
        changed = [name for name, value in cleaned.values.items() if getattr(case, name) != value]
        if cleaned.audience is not None:
            current = set(case.audience.values_list("doctor_id", flat=True))
            if current != {doctor.pk for doctor in cleaned.audience}:
                changed.append("audience_ids")
        if not changed:
            return case
        previous = _snapshot(case, changed)
        for name, value in cleaned.values.items():
            setattr(case, name, value)
        if case.status != Case.Status.DRAFT and not _has_consent(case) and _has_images(case):
            raise _consent_required()
        case.updated_at = timezone.now()
        case.save()
        if cleaned.audience is not None:
            _set_audience(case, cleaned.audience)
        CaseRevision.objects.create(case=case, editor=editor, previous=previous)
        audit.record("case.edited", actor=editor, target=case, details={"fields": sorted(changed)})
    return case


def publish_case(author: User, case_id: int) -> Case:
    """DRAFT → OPEN: the case becomes visible to its audience. With images, consent is required."""
    author = require_verified_doctor(author)
    with transaction.atomic():
        case = case_of_author(author, case_id)
        _require_status(case, {Case.Status.DRAFT}, _("Only a draft can be published."))
        if not _has_consent(case) and _has_images(case):
            raise _consent_required()
        case.status = Case.Status.OPEN
        case.published_at = case.updated_at = timezone.now()
        case.save(update_fields=["status", "published_at", "updated_at"])
        audit.record("case.published", actor=author, target=case, details={"visibility": case.visibility})
        for doctor_id in case.audience.values_list("doctor_id", flat=True):
            announce(author.pk, doctor_id, Interaction.CASE_SHARED, case.pk, case.published_at)
    return case


def delete_case(author: User, case_id: int) -> None:
    """Soft delete: the case disappears everywhere (NOT_REMOVED); the row stays for the audit."""
    author = require_verified_doctor(author)
    with transaction.atomic():
        case = case_of_author(author, case_id)
        case.deleted_at = timezone.now()
        case.save(update_fields=["deleted_at"])
        audit.record("case.deleted", actor=author, target=case, details={"status": case.status})


# --- Attachments ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _StoredFile:
    content: bytes
    content_type: str
    extension: str
    width: int | None = None
    height: int | None = None

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


def _attachment_max_bytes() -> int:
    return int(settings.CASE_ATTACHMENT_MAX_BYTES)


def _stored_file(upload: UploadedFile) -> _StoredFile:
    """What is stored of an upload: a PDF as sent, an image re-encoded (no EXIF, XMP or GPS)."""
    limit = _attachment_max_bytes()
    if upload.size is None or upload.size > limit:
        raise ServiceError(
            NetworkErrorCode.FILE_TOO_LARGE,
            _("A file may be at most %(limit)d MB.") % {"limit": limit // (1024 * 1024)},
            "file",
        )
    upload.seek(0)
    head = upload.read(len(PDF_MAGIC))
    upload.seek(0)
    if head == PDF_MAGIC:
        return _StoredFile(content=upload.read(), content_type="application/pdf", extension=".pdf")
    try:
        image = reencode_image(upload, max_side=CASE_IMAGE_SIDE, formats=IMAGE_FORMATS)
    except ImageRejected:
        raise ServiceError(
            NetworkErrorCode.FILE_TYPE_NOT_ALLOWED,
            _("Attach JPEG, PNG or WebP images, or PDF files."),
            "file",
        ) from None
    return _StoredFile(
        content=image.content.read(),
        content_type=image.content_type,
        extension=f".{image.extension}",
        width=image.width,
        height=image.height,
    )


def _require_room(case: Case) -> None:
    if case.attachments.count() >= MAX_ATTACHMENTS:
        raise ServiceError(
            NetworkErrorCode.TOO_MANY_ATTACHMENTS,
            _("A case can have at most %(limit)d attachments.") % {"limit": MAX_ATTACHMENTS},
            "file",
        )


def add_attachment(author: User, case_id: int, upload: UploadedFile, *, caption: str = "") -> CaseAttachment:
    """Attach an image or PDF to one's own case (at most ten).

    The stored file gets a random name (an original name may carry the patient's); an image is
    stored re-encoded, so no metadata reaches storage. A published case takes images only with
    its consent statement filled in."""
    author = require_verified_doctor(author)
    errors: list[FieldError] = []
    guard({"caption": caption}, errors)
    caption = caption.strip()
    limit = max_length_of(CaseAttachment, "caption")
    if len(caption) > limit:
        errors.append(
            FieldError(
                NetworkErrorCode.INVALID,
                _("Too long (at most %(limit)d characters).") % {"limit": limit},
                "caption",
            )
        )
    if errors:
        raise ServiceError.many(errors)
    _require_room(case_of_author(author, case_id, lock=False))  # before the costly re-encoding
    stored = _stored_file(upload)
    with transaction.atomic():
        case = case_of_author(author, case_id)
        _require_room(case)
        if stored.is_image and case.status != Case.Status.DRAFT and not _has_consent(case):
            raise _consent_required()
        last = case.attachments.aggregate(last=Max("position"))["last"]
        attachment = CaseAttachment(
            case=case,
            content_type=stored.content_type,
            size=len(stored.content),
            width=stored.width,
            height=stored.height,
            caption=caption,
            position=0 if last is None else last + 1,
        )
        attachment.file.save(f"{uuid.uuid4().hex}{stored.extension}", ContentFile(stored.content), save=False)
        try:
            attachment.save()
            case.updated_at = timezone.now()
            case.save(update_fields=["updated_at"])
            audit.record(
                "case.attachment_added",
                actor=author,
                target=case,
                details={"attachment_id": attachment.pk, "content_type": attachment.content_type},
            )
        except BaseException:
            attachment.file.delete(save=False)  # written before its row: no orphan file
            raise
    return attachment


def remove_attachment(author: User, attachment_id: int) -> Case:
    """Remove an attachment from one's own case; the file is deleted once that is committed."""
    author = require_verified_doctor(author)
    with transaction.atomic():
        attachment = require_found(
            CaseAttachment.objects.filter(pk=attachment_id, case__in=cases_visible_to(author)).first(),
            "attachmentId",
        )
        case = case_of_author(author, attachment.case_id)
        name = attachment.file.name
        attachment.delete()
        case.updated_at = timezone.now()
        case.save(update_fields=["updated_at"])
        audit.record(
            "case.attachment_removed", actor=author, target=case, details={"attachment_id": attachment_id}
        )
        transaction.on_commit(lambda: private_storage.delete(name))
    return case


# --- Status and the accepted answer -------------------------------------------------------------


def accept_answer(author: User, case_id: int, comment_id: int) -> Case:
    """The author marks another doctor's top-level comment as the answer: the case is ANSWERED
    and that doctor is notified. Accepting another comment later switches the answer."""
    author = require_verified_doctor(author)
    with transaction.atomic():
        case = case_of_author(author, case_id)
        _require_status(case, OPEN_FOR_DISCUSSION, _("Only an open or answered case can accept an answer."))
        comment = require_found(
            case.comments.filter(LIVE_COMMENT, pk=comment_id).select_related("author").first(), "commentId"
        )
        if comment.parent_id is not None:
            raise ServiceError(
                NetworkErrorCode.INVALID, _("Only a top-level comment can be the answer."), "commentId"
            )
        if comment.author_id == author.pk:
            raise ServiceError(
                NetworkErrorCode.SELF_ACTION, _("Accept another doctor's answer, not your own."), "commentId"
            )
        if case.accepted_answer_id == comment.pk:
            return case
        case.accepted_answer = comment
        case.status = Case.Status.ANSWERED
        case.updated_at = timezone.now()
        case.save(update_fields=["accepted_answer", "status", "updated_at"])
        announce(author.pk, comment.author_id, Interaction.ANSWER_ACCEPTED, comment.pk, case.updated_at)
        notify(
            comment.author,
            NotificationKind.ANSWER_ACCEPTED,
            _("%(name)s accepted your answer") % {"name": author.full_name},
            actor=author,
            case=case,
            comment=comment,
        )
    return case


def close_case(author: User, case_id: int) -> Case:
    """OPEN or ANSWERED → CLOSED: no new comments."""
    author = require_verified_doctor(author)
    with transaction.atomic():
        case = case_of_author(author, case_id)
        _require_status(case, OPEN_FOR_DISCUSSION, _("Only an open or answered case can be closed."))
        case.status = Case.Status.CLOSED
        case.updated_at = timezone.now()
        case.save(update_fields=["status", "updated_at"])
    return case


def reopen_case(author: User, case_id: int) -> Case:
    """CLOSED → ANSWERED (with an accepted answer) or OPEN."""
    author = require_verified_doctor(author)
    with transaction.atomic():
        case = case_of_author(author, case_id)
        _require_status(case, {Case.Status.CLOSED}, _("Only a closed case can be reopened."))
        case.status = Case.Status.ANSWERED if case.accepted_answer_id else Case.Status.OPEN
        case.updated_at = timezone.now()
        case.save(update_fields=["status", "updated_at"])
    return case


def release_answer(comment: Comment) -> None:
    """A removed comment (deleted or hidden) stops being the accepted answer: an ANSWERED case
    is OPEN again. Call inside the transaction that removes it."""
    case = Case.objects.select_for_update().filter(pk=comment.case_id, accepted_answer_id=comment.pk).first()
    if case is None:
        return
    case.accepted_answer = None
    if case.status == Case.Status.ANSWERED:
        case.status = Case.Status.OPEN
    case.save(update_fields=["accepted_answer", "status"])
