"""Small builders for test data; each returns saved rows with sensible defaults."""

from __future__ import annotations

import itertools
import time
from datetime import date, timedelta
from typing import Any

from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.models import LicenceKind, LicenceSubmission, User, VerificationStatus
from facilities.models import Facility, Province, Specialty, Tier

_sequence = itertools.count(1)
PASSWORD = "correct-horse-battery-staple"


def province(code: int = 1, name: str = "Thành phố Hà Nội") -> Province:
    return Province.objects.get_or_create(
        code=code, defaults={"name": name, "codename": f"p{code}", "division_type": "tỉnh"}
    )[0]


def facility(tier: str = Tier.CENTRAL, **extra: Any) -> Facility:
    n = next(_sequence)
    extra.setdefault("province", province())
    return Facility.objects.create(name=extra.pop("name", f"Bệnh viện {n}"), tier=tier, **extra)


def specialty(code: str = "cardiology", name_vi: str = "Tim mạch", name_en: str = "Cardiology") -> Specialty:
    return Specialty.objects.get_or_create(code=code, defaults={"name_vi": name_vi, "name_en": name_en})[0]


def user(**extra: Any) -> User:
    n = next(_sequence)
    extra.setdefault("full_name", f"Nguyễn Văn Đức {n}")
    return User.objects.create_user(extra.pop("email", f"user{n}@example.vn"), PASSWORD, **extra)


def doctor(status: str = VerificationStatus.VERIFIED, **extra: Any) -> User:
    """A doctor with a facility; a verified one has a verified, unexpired submission."""
    extra.setdefault("facility", facility(extra.pop("tier", Tier.CENTRAL)))
    extra.setdefault("title", "BS.CKII")
    expires_on = date.today() + timedelta(days=365 * 4)
    doc = user(verification_status=status, **extra)
    if status == VerificationStatus.VERIFIED:
        doc.licence_expires_on = expires_on
        doc.save(update_fields=["licence_expires_on"])
    if status != VerificationStatus.UNVERIFIED:
        licence_submission(doc, status=status, expires_on=expires_on)
    return doc


def licence_submission(
    doc: User, status: str = VerificationStatus.PENDING, **extra: Any
) -> LicenceSubmission:
    n = next(_sequence)
    submission = LicenceSubmission(
        doctor=doc,
        kind=LicenceKind.PRACTICE_LICENCE,
        licence_number=extra.pop("licence_number", f"{n:06d}/HNO-GPHN"),
        issuing_authority="Sở Y tế Hà Nội",
        issued_on=extra.pop("issued_on", timezone.localdate() - timedelta(days=30)),
        scan_content_type="application/pdf",
        status=status,
        **extra,
    )
    submission.scan.save("licence.pdf", pdf_file(), save=False)
    submission.save()
    return submission


def verifier(*, totp: bool = True, **extra: Any) -> User:
    """A staff member allowed to review licences, with an authenticator app unless ``totp=False``."""
    extra.setdefault("is_staff", True)
    person = user(**extra)
    person.user_permissions.add(Permission.objects.get(codename="verify_doctor"))
    if totp:
        activate_totp(person)
    return User.objects.get(pk=person.pk)  # fresh permission cache


def activate_totp(person: User) -> str:
    """Give ``person`` an authenticator app, as allauth's activation does; returns the secret."""
    secret = generate_totp_secret()
    TOTP.activate(person, secret)
    return secret


def totp_code(secret: str) -> str:
    """The code an authenticator app shows now. Near the end of a period the next one is awaited,
    so the server (no clock tolerance) checks the code in the period it was made for."""
    from allauth.mfa import app_settings

    period = app_settings.TOTP_PERIOD
    if period - time.time() % period < 3:
        time.sleep(period - time.time() % period + 0.1)
    return format_hotp_value(hotp_value(secret, int(time.time()) // period))


def pdf_file(name: str = "licence.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n", "application/pdf")


def mentorship_admin(*, totp: bool = True, **extra: Any) -> User:
    """A staff member allowed to administer mentorships (policy, proposals, plans)."""
    extra.setdefault("is_staff", True)
    person = user(**extra)
    person.user_permissions.add(Permission.objects.get(codename="manage_mentorships"))
    if totp:
        activate_totp(person)
    return User.objects.get(pk=person.pk)  # fresh permission cache


def auditor(
    scope: str = "national", *, province: Province | None = None, facility: Facility | None = None
) -> User:
    """Someone allowed to audit mentoring compliance within ``scope``."""
    from mentorship.models import ComplianceAuditor

    person = user(is_staff=True)
    ComplianceAuditor.objects.create(user=person, scope=scope, province=province, facility=facility)
    return person


def mentorship(mentor: User, mentee: User, *, started_at: Any = None, **extra: Any) -> Any:
    """An active mentorship from ``started_at`` (now by default), made through the services as
    the mentor's proposal and the mentee's acceptance, then dated."""
    from mentorship.models import Mentorship
    from mentorship.services.mentorships import accept_mentorship, propose_mentorship

    proposal = propose_mentorship(mentor, mentor_id=mentor.pk, mentee_id=mentee.pk, **extra)
    accept_mentorship(mentee, proposal.public_id)
    if started_at is not None:
        Mentorship.objects.filter(pk=proposal.pk).update(started_at=started_at)
    return Mentorship.objects.get(pk=proposal.pk)
