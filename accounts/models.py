"""Users (doctors, verifiers, administrators) and their practice-licence submissions.

Models stay thin: every state change goes through ``accounts.services``.
"""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from common.storage import private_storage
from facilities.models import Facility, Specialty


class VerificationStatus(models.TextChoices):
    UNVERIFIED = "unverified", _("Unverified")
    PENDING = "pending", _("Pending review")
    VERIFIED = "verified", _("Verified")
    REJECTED = "rejected", _("Rejected")
    REVOKED = "revoked", _("Revoked")
    EXPIRED = "expired", _("Expired")


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra: Any) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra["is_staff"] = True
        extra["is_superuser"] = True
        return self._create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in. Doctors are users with a profile and a verification status."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    email = models.EmailField(_("email address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=150, blank=True)
    title = models.CharField(_("professional title"), max_length=80, blank=True)
    position = models.CharField(_("position"), max_length=120, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    bio = models.TextField(_("short bio"), max_length=1000, blank=True)
    avatar = models.ImageField(_("avatar"), upload_to="avatars/", blank=True)
    facility = models.ForeignKey(
        Facility, on_delete=models.PROTECT, null=True, blank=True, related_name="doctors"
    )
    specialties = models.ManyToManyField(Specialty, blank=True, related_name="doctors")
    verification_status = models.CharField(
        max_length=12,
        choices=VerificationStatus.choices,
        default=VerificationStatus.UNVERIFIED,
        db_index=True,
    )
    licence_expires_on = models.DateField(
        _("licence expires on"), null=True, blank=True, help_text=_("Of the licence last verified.")
    )
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        ordering = ["full_name", "id"]
        verbose_name = _("user")
        verbose_name_plural = _("users")
        permissions = [("verify_doctor", "Can review doctors' practice licences")]
        indexes = [models.Index(fields=["facility", "verification_status"])]

    def __str__(self) -> str:
        return self.full_name or self.email

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[-1] if self.full_name else self.email


class LicenceKind(models.TextChoices):
    PRACTICE_LICENCE = "practice_licence", _("Practice licence (giấy phép hành nghề)")
    PRACTICE_CERTIFICATE = "practice_certificate", _("Practice certificate (chứng chỉ hành nghề)")


class LicenceSubmission(models.Model):
    """One submission of a practice licence for review. The doctor's current status mirrors
    the latest submission and is changed only by ``accounts.services``."""

    doctor = models.ForeignKey(User, on_delete=models.PROTECT, related_name="licence_submissions")
    kind = models.CharField(max_length=24, choices=LicenceKind.choices)
    licence_number = models.CharField(_("licence number"), max_length=40, db_index=True)
    issuing_authority = models.CharField(_("issuing authority"), max_length=200)
    issued_on = models.DateField(_("issued on"))
    expires_on = models.DateField(_("expires on"), null=True, blank=True)
    scan = models.FileField(upload_to="licences/%Y/%m/", storage=private_storage)
    scan_content_type = models.CharField(max_length=40)
    status = models.CharField(
        max_length=12, choices=VerificationStatus.choices, default=VerificationStatus.PENDING
    )
    submitted_at = models.DateTimeField(default=timezone.now)
    reviewed_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="licence_reviews"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        verbose_name = _("licence submission")
        verbose_name_plural = _("licence submissions")
        indexes = [models.Index(fields=["status", "submitted_at"])]

    def __str__(self) -> str:
        return f"{self.licence_number} ({self.get_status_display()})"
