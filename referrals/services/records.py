"""The consultation record (biên bản hội chẩn, Circular 49/2017) of a completed referral.

Generated once, on completion, as a PDF (fpdf2 with the bundled DejaVu Sans, which covers
Vietnamese): participants with their facilities and licence numbers, times, the case summary,
the question and the answer. The file goes to private storage and its SHA-256 both to the
record's row and to the audit log (``referral.record_generated``), which nothing can change:
:func:`verify_records` recomputes every file's digest and reports any that differs.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from fpdf import FPDF

from accounts.models import LicenceSubmission, User, VerificationStatus
from audit.models import AuditEvent
from audit.services import record
from referrals.models import ConsultationRecord, Referral

FONTS = Path(__file__).resolve().parent.parent / "fonts"
RECORD_GENERATED = "referral.record_generated"

# fontTools logs every glyph of every font subset at INFO.
logging.getLogger("fontTools").setLevel(logging.WARNING)


def _licence_number(doctor: User) -> str:
    submission = (
        LicenceSubmission.objects.filter(doctor=doctor, status=VerificationStatus.VERIFIED)
        .order_by("-reviewed_at", "-submitted_at")
        .first()
    )
    return submission.licence_number if submission else "-"


def _when(moment: datetime | None) -> str:
    return timezone.localtime(moment).strftime("%d/%m/%Y %H:%M") if moment else "-"


def _participant(role: str, doctor: User) -> str:
    facility = doctor.facility.name if doctor.facility else "-"
    return _("%(role)s: %(title)s %(name)s, %(facility)s, practice licence no. %(licence)s") % {
        "role": role,
        "title": doctor.title,
        "name": doctor.full_name,
        "facility": facility,
        "licence": _licence_number(doctor),
    }


def _yes_no(value: bool | None) -> str:
    return {True: _("Yes"), False: _("No")}.get(value, "-")  # type: ignore[arg-type]


def render_record(referral: Referral) -> bytes:
    """The record's PDF bytes, in the site's language (Vietnamese by default)."""
    assert referral.consultant is not None
    case = referral.case
    with translation.override(settings.LANGUAGE_CODE):
        pdf = FPDF(format="A4")
        pdf.set_creation_date(referral.completed_at or timezone.now())
        pdf.add_font("DejaVu", "", str(FONTS / "DejaVuSans.ttf"))
        pdf.add_font("DejaVu", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
        pdf.set_title(_("Teleconsultation record"))
        pdf.add_page()
        pdf.set_font("DejaVu", "B", 14)
        pdf.multi_cell(0, 8, _("TELECONSULTATION RECORD"), align="C", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("DejaVu", "", 9)
        pdf.multi_cell(
            0, 5, _("Referral %(id)s") % {"id": referral.public_id}, align="C", new_x="LMARGIN", new_y="NEXT"
        )
        sections: list[tuple[str, list[str]]] = [
            (
                _("Participants"),
                [
                    _participant(_("Requesting doctor"), referral.requester),
                    _participant(_("Consultant"), referral.consultant),
                ],
            ),
            (
                _("Times"),
                [
                    _("Requested: %(at)s") % {"at": _when(referral.created_at)},
                    _("Accepted: %(at)s") % {"at": _when(referral.accepted_at)},
                    _("Completed: %(at)s") % {"at": _when(referral.completed_at)},
                ],
            ),
            (
                _("Case summary"),
                [
                    case.title,
                    _("Age band: %(age)s; sex: %(sex)s")
                    % {"age": case.age_band, "sex": case.get_sex_display()},
                    _("ICD-10: %(codes)s") % {"codes": ", ".join(referral.icd10_codes) or "-"},
                    case.presenting_problem,
                ],
            ),
            (
                _("Question"),
                [referral.question, _("Already done: %(done)s") % {"done": referral.done_so_far or "-"}],
            ),
            (
                _("Answer"),
                [
                    _("Assessment: %(text)s") % {"text": referral.assessment},
                    _("Recommendation: %(text)s") % {"text": referral.recommendation},
                    _("Transfer advised: %(answer)s") % {"answer": _yes_no(referral.transfer_advised)},
                    _("Follow-up plan: %(text)s") % {"text": referral.follow_up_plan},
                ],
            ),
        ]
        for heading, lines in sections:
            pdf.ln(3)
            pdf.set_font("DejaVu", "B", 11)
            pdf.multi_cell(0, 6, heading, new_x="LMARGIN", new_y="NEXT")
            pdf.set_font("DejaVu", "", 10)
            for line in lines:
                pdf.multi_cell(0, 5, line, new_x="LMARGIN", new_y="NEXT")
        return bytes(pdf.output())


def generate_record(referral: Referral, *, actor: User) -> ConsultationRecord:
    """Store the record of a just-completed referral (inside the completing transaction)."""
    content = render_record(referral)
    digest = hashlib.sha256(content).hexdigest()
    consultation_record = ConsultationRecord(
        referral=referral, sha256=digest, created_at=referral.completed_at or timezone.now()
    )
    consultation_record.file.save(f"{referral.public_id}.pdf", ContentFile(content), save=False)
    consultation_record.save()
    record(
        RECORD_GENERATED,
        actor=actor,
        target=referral,
        details={"sha256": digest, "file": consultation_record.file.name, "bytes": len(content)},
    )
    return consultation_record


@dataclass(frozen=True)
class RecordProblem:
    referral_id: int
    file: str
    problem: str  # "missing", "altered" or "unaudited"


def verify_records() -> tuple[int, list[RecordProblem]]:
    """Recompute every record's SHA-256 against the audit log's; (records checked, problems)."""
    audited = {
        int(target_id): details.get("sha256")
        for target_id, details in AuditEvent.objects.filter(
            action=RECORD_GENERATED, target_type=Referral._meta.label_lower
        ).values_list("target_id", "details")
    }
    problems: list[RecordProblem] = []
    checked = 0
    for consultation_record in ConsultationRecord.objects.order_by("id").iterator():
        checked += 1
        expected = audited.pop(consultation_record.referral_id, None)
        name = consultation_record.file.name
        if expected is None:
            problems.append(RecordProblem(consultation_record.referral_id, name, "unaudited"))
            continue
        storage = consultation_record.file.storage
        if not storage.exists(name):
            problems.append(RecordProblem(consultation_record.referral_id, name, "missing"))
            continue
        digest = hashlib.sha256()
        with storage.open(name, "rb") as stored:
            for chunk in iter(lambda: stored.read(65536), b""):
                digest.update(chunk)
        if digest.hexdigest() != expected or consultation_record.sha256 != expected:
            problems.append(RecordProblem(consultation_record.referral_id, name, "altered"))
    # Generated (the audit log says so) but its row is gone: as missing as a lost file.
    for referral_id in sorted(audited):
        checked += 1
        problems.append(RecordProblem(referral_id, "-", "missing"))
    return checked, problems
