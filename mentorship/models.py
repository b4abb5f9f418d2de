"""Mentorship: the Ministry's quota policy (as data), mentorships, what mentoring actually
happened, who may audit compliance, reminders, and the nationwide plans.

Models stay thin: every write goes through ``mentorship.services``, every read that depends on
who is looking or on a date goes through ``mentorship.selectors``.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from facilities.models import Facility, Province, Specialty, Tier

PERSON = settings.AUTH_USER_MODEL


# --- The quota policy -------------------------------------------------------------------------


class QuotaPolicy(models.Model):
    """One published version of the quota rule. The version in force on a date is the one with
    the latest ``effective_from`` on or before it (the highest version on a tie); published
    versions are never changed, so any past date's rule can be read back."""

    version = models.PositiveIntegerField(unique=True)
    effective_from = models.DateField(_("effective from"))
    max_mentors_per_mentee = models.PositiveSmallIntegerField(_("maximum mentors per mentee"), default=2)
    reason = models.TextField(_("reason"))
    published_by = models.ForeignKey(
        PERSON, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    published_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-effective_from", "-version"]
        verbose_name = _("quota policy")
        verbose_name_plural = _("quota policies")
        constraints = [
            models.CheckConstraint(
                condition=Q(max_mentors_per_mentee__gte=1), name="mentorship_policy_mentors_min"
            ),
        ]
        permissions = [
            (
                "manage_mentorships",
                "Can publish quota policies, propose and end mentorships for others and run the planner",
            )
        ]

    def __str__(self) -> str:
        return f"v{self.version} ({self.effective_from:%Y-%m-%d})"


class QuotaRule(models.Model):
    """For mentors of ``mentor_tier``: how many mentees of ``mentee_tier`` they must have
    (``required``) and may have (``maximum``). A pair of tiers without a rule may not be paired."""

    policy = models.ForeignKey(QuotaPolicy, on_delete=models.PROTECT, related_name="rules")
    mentor_tier = models.CharField(max_length=16, choices=Tier.choices)
    mentee_tier = models.CharField(max_length=16, choices=Tier.choices)
    required = models.PositiveSmallIntegerField()
    maximum = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["policy", "mentor_tier", "mentee_tier"]
        constraints = [
            models.UniqueConstraint(
                fields=["policy", "mentor_tier", "mentee_tier"], name="mentorship_rule_unique"
            ),
            models.CheckConstraint(
                condition=Q(maximum__gte=F("required")) & Q(maximum__gte=1), name="mentorship_rule_maximum"
            ),
            models.CheckConstraint(
                condition=~Q(mentor_tier=F("mentee_tier")), name="mentorship_rule_tiers_differ"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.mentor_tier} → {self.mentee_tier}: {self.required}/{self.maximum}"


# --- Mentorships ------------------------------------------------------------------------------


class Mentorship(models.Model):
    """A mentor supporting a mentee. Proposed by either of them or by an administrator (then
    both accept); active from ``started_at`` until ``ended_at``.

    The tiers are those counted at the start (the mentee's is what the quota counts), so a
    later move of facility changes no past figure; such a move flags the mentorship for review.
    """

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        ACTIVE = "active", _("Active")
        ENDED = "ended", _("Ended")
        DECLINED = "declined", _("Declined")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        EXPIRED = "expired", _("Expired")

    class Proposer(models.TextChoices):
        MENTOR = "mentor", _("Mentor")
        MENTEE = "mentee", _("Mentee")
        ADMINISTRATOR = "administrator", _("Administrator")

    class ReviewReason(models.TextChoices):
        VERIFICATION_LOST = "verification_lost", _("Verification lost")
        FACILITY_CHANGED = "facility_changed", _("Moved facility")
        DEACTIVATED = "deactivated", _("Account deactivated")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    mentor = models.ForeignKey(PERSON, on_delete=models.PROTECT, related_name="mentorships_as_mentor")
    mentee = models.ForeignKey(PERSON, on_delete=models.PROTECT, related_name="mentorships_as_mentee")
    mentor_tier = models.CharField(max_length=16, choices=Tier.choices)
    mentee_tier = models.CharField(max_length=16, choices=Tier.choices)
    specialty = models.ForeignKey(
        Specialty, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PROPOSED)
    proposed_by = models.ForeignKey(PERSON, on_delete=models.PROTECT, related_name="+")
    proposed_as = models.CharField(max_length=16, choices=Proposer.choices)
    plan = models.ForeignKey(
        "MentorshipPlan", on_delete=models.PROTECT, null=True, blank=True, related_name="mentorships"
    )
    message = models.CharField(max_length=500, blank=True)
    proposed_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    mentor_accepted_at = models.DateTimeField(null=True, blank=True)
    mentee_accepted_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(PERSON, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    end_reason = models.TextField(blank=True)
    last_activity_at = models.DateTimeField(null=True, blank=True)
    review_reason = models.CharField(max_length=20, choices=ReviewReason.choices, blank=True)
    flagged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-proposed_at", "-id"]
        verbose_name = _("mentorship")
        verbose_name_plural = _("mentorships")
        constraints = [
            models.CheckConstraint(condition=~Q(mentor=F("mentee")), name="mentorship_not_self"),
            # One open mentorship (proposed or active) per pair, whoever proposed it.
            models.UniqueConstraint(
                fields=["mentor", "mentee"],
                condition=Q(status__in=["proposed", "active"]),
                name="mentorship_one_open_per_pair",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["active", "ended"]) | Q(started_at__isnull=False),
                name="mentorship_started",
            ),
            models.CheckConstraint(
                condition=~Q(status="ended") | Q(ended_at__isnull=False), name="mentorship_ended"
            ),
        ]
        indexes = [
            models.Index(fields=["mentor", "status"]),
            models.Index(fields=["mentee", "status"]),
            models.Index(fields=["status", "expires_at"]),
            models.Index(
                fields=["mentor", "started_at"],
                condition=Q(started_at__isnull=False),
                name="mentorship_interval_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.mentor_id} → {self.mentee_id} ({self.status})"


class ActivityKind(models.TextChoices):
    CASE_SHARED = "case_shared", _("Case shared")
    COMMENT = "comment", _("Comment")
    ANSWER_ACCEPTED = "answer_accepted", _("Answer accepted")
    CHAT_MESSAGE = "chat_message", _("Chat message")
    REFERRAL = "referral", _("Referral")


class MentorshipActivity(models.Model):
    """Mentoring that happened: one row per thing done between the pair (recorded once)."""

    mentorship = models.ForeignKey(Mentorship, on_delete=models.CASCADE, related_name="activities")
    kind = models.CharField(max_length=20, choices=ActivityKind.choices)
    subject_id = models.CharField(max_length=64, help_text="The case, comment, message or referral.")
    occurred_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = _("mentorship activity")
        verbose_name_plural = _("mentorship activities")
        constraints = [
            models.UniqueConstraint(
                fields=["mentorship", "kind", "subject_id"], name="mentorship_activity_once"
            ),
        ]
        indexes = [models.Index(fields=["mentorship", "-occurred_at"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.subject_id}"


# --- Who may audit compliance, and where ------------------------------------------------------


class AuditScope(models.TextChoices):
    NATIONAL = "national", _("National")
    PROVINCE = "province", _("Province")
    FACILITY = "facility", _("Facility")


class ComplianceAuditor(models.Model):
    """The audit permission, with its scope: the whole country, one province (a provincial
    health department) or one facility. A facility-scoped auditor is also that facility's
    administrator for quota reminders."""

    user = models.OneToOneField(PERSON, on_delete=models.CASCADE, related_name="compliance_auditor")
    scope = models.CharField(max_length=10, choices=AuditScope.choices)
    province = models.ForeignKey(Province, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    granted_by = models.ForeignKey(PERSON, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    granted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("compliance auditor")
        verbose_name_plural = _("compliance auditors")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(scope="national", province__isnull=True, facility__isnull=True)
                    | Q(scope="province", province__isnull=False, facility__isnull=True)
                    | Q(scope="facility", province__isnull=True, facility__isnull=False)
                ),
                name="mentorship_auditor_scope",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.scope})"


class QuotaReminder(models.Model):
    """A reminder sent, so that nobody is reminded more often than the configured interval."""

    recipient = models.ForeignKey(PERSON, on_delete=models.CASCADE, related_name="+")
    sent_at = models.DateTimeField(default=timezone.now)
    deficit = models.PositiveIntegerField(help_text="Open slots the reminder was about.")

    class Meta:
        indexes = [models.Index(fields=["recipient", "-sent_at"])]

    def __str__(self) -> str:
        return f"{self.recipient_id} @ {self.sent_at:%Y-%m-%d}"


# --- Nationwide plans -------------------------------------------------------------------------


class MentorshipPlan(models.Model):
    """A planner run: proposed pairs the administrator reviews, then applies (all or none)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        APPLIED = "applied", _("Applied")
        DISCARDED = "discarded", _("Discarded")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    policy = models.ForeignKey(QuotaPolicy, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    created_by = models.ForeignKey(PERSON, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    summary = models.JSONField(default=dict)
    applied_by = models.ForeignKey(PERSON, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("mentorship plan")
        verbose_name_plural = _("mentorship plans")

    def __str__(self) -> str:
        return f"plan {self.pk} ({self.status})"


class PlannedPair(models.Model):
    plan = models.ForeignKey(MentorshipPlan, on_delete=models.CASCADE, related_name="pairs")
    mentor = models.ForeignKey(PERSON, on_delete=models.CASCADE, related_name="+")
    mentee = models.ForeignKey(PERSON, on_delete=models.CASCADE, related_name="+")
    mentee_tier = models.CharField(max_length=16, choices=Tier.choices)
    specialty = models.ForeignKey(
        Specialty, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    cost = models.PositiveIntegerField()

    class Meta:
        ordering = ["plan", "id"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "mentor", "mentee"], name="mentorship_plan_pair_once")
        ]

    def __str__(self) -> str:
        return f"{self.mentor_id} → {self.mentee_id}"
