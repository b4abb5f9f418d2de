"""The social network: connections and blocks, case posts and their discussion, moderation,
followed specialties, notifications.

Models stay thin: every write goes through ``network.services``; every read that depends on
who is looking goes through ``network.selectors`` (the visibility rule lives there, once).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from common.storage import private_storage
from facilities.models import Specialty

DOCTOR = settings.AUTH_USER_MODEL


# --- Connections ("make friends") and blocks --------------------------------------------------


class ConnectionRequest(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        CANCELLED = "cancelled", _("Cancelled")

    sender = models.ForeignKey(DOCTOR, on_delete=models.CASCADE, related_name="sent_connection_requests")
    recipient = models.ForeignKey(
        DOCTOR, on_delete=models.CASCADE, related_name="received_connection_requests"
    )
    message = models.CharField(max_length=300, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # One pending request per pair and direction; the services also refuse the reverse.
            models.UniqueConstraint(
                fields=["sender", "recipient"],
                condition=Q(status="pending"),
                name="network_one_pending_request_per_pair",
            ),
            models.CheckConstraint(
                condition=~Q(sender=models.F("recipient")), name="network_request_not_self"
            ),
        ]
        indexes = [
            models.Index(fields=["recipient", "status", "-created_at"]),
            models.Index(fields=["sender", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.sender_id} → {self.recipient_id} ({self.status})"


class Connection(models.Model):
    """One direction of a mutual connection: services always write both rows together, so
    "the connections of X" is a plain filter on ``doctor``."""

    doctor = models.ForeignKey(DOCTOR, on_delete=models.CASCADE, related_name="connections")
    peer = models.ForeignKey(DOCTOR, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["doctor", "peer"], name="network_connection_unique"),
            models.CheckConstraint(condition=~Q(doctor=models.F("peer")), name="network_connection_not_self"),
        ]
        indexes = [models.Index(fields=["peer"])]

    def __str__(self) -> str:
        return f"{self.doctor_id} ↔ {self.peer_id}"


class Block(models.Model):
    blocker = models.ForeignKey(DOCTOR, on_delete=models.CASCADE, related_name="blocks")
    blocked = models.ForeignKey(DOCTOR, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["blocker", "blocked"], name="network_block_unique"),
            models.CheckConstraint(condition=~Q(blocker=models.F("blocked")), name="network_block_not_self"),
        ]
        indexes = [models.Index(fields=["blocked"])]

    def __str__(self) -> str:
        return f"{self.blocker_id} blocked {self.blocked_id}"


class SpecialtyFollow(models.Model):
    doctor = models.ForeignKey(DOCTOR, on_delete=models.CASCADE, related_name="specialty_follows")
    specialty = models.ForeignKey(Specialty, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["doctor", "specialty"], name="network_follow_unique")]
        indexes = [models.Index(fields=["specialty"])]

    def __str__(self) -> str:
        return f"{self.doctor_id} follows {self.specialty_id}"


# --- Cases --------------------------------------------------------------------------------------


class AgeBand(models.TextChoices):
    """Age bands, never exact ages or birth dates (de-identification)."""

    NEWBORN = "0-28d", _("Newborn (0-28 days)")
    INFANT = "1-11m", _("Infant (1-11 months)")
    CHILD_1_4 = "1-4", _("1-4 years")
    CHILD_5_11 = "5-11", _("5-11 years")
    ADOLESCENT = "12-17", _("12-17 years")
    ADULT_18_29 = "18-29", _("18-29 years")
    ADULT_30_44 = "30-44", _("30-44 years")
    ADULT_45_59 = "45-59", _("45-59 years")
    ADULT_60_74 = "60-74", _("60-74 years")
    ADULT_75_PLUS = "75+", _("75 years and over")


class Sex(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    OTHER = "other", _("Other")
    UNDISCLOSED = "undisclosed", _("Not stated")


class Case(models.Model):
    class Visibility(models.TextChoices):
        NETWORK = "network", _("All verified doctors")
        CONNECTIONS = "connections", _("My connections")
        NAMED = "named", _("Named doctors only")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        OPEN = "open", _("Open")
        ANSWERED = "answered", _("Answered")
        CLOSED = "closed", _("Closed")

    class ConsentBy(models.TextChoices):
        PATIENT = "patient", _("The patient")
        GUARDIAN = "guardian", _("A parent or legal guardian")
        NEXT_OF_KIN = "next_of_kin", _("The next of kin")

    class ConsentMethod(models.TextChoices):
        WRITTEN = "written", _("Written, signed")
        VERBAL_WITNESSED = "verbal_witnessed", _("Verbal, witnessed and noted in the record")
        ELECTRONIC = "electronic", _("Electronic")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    author = models.ForeignKey(DOCTOR, on_delete=models.PROTECT, related_name="cases")
    title = models.CharField(max_length=200)
    specialty = models.ForeignKey(Specialty, on_delete=models.PROTECT, related_name="cases")
    icd10_codes = ArrayField(models.CharField(max_length=8), default=list, blank=True, size=10)
    age_band = models.CharField(max_length=8, choices=AgeBand.choices)
    sex = models.CharField(max_length=12, choices=Sex.choices)
    presenting_problem = models.TextField(max_length=4000)
    history = models.TextField(max_length=8000, blank=True)
    findings = models.TextField(max_length=8000, blank=True)
    investigations = models.TextField(max_length=8000, blank=True)
    question = models.TextField(max_length=2000)
    tags = ArrayField(models.CharField(max_length=40), default=list, blank=True, size=15)
    consent_by = models.CharField(max_length=12, choices=ConsentBy.choices, blank=True)
    consent_method = models.CharField(max_length=20, choices=ConsentMethod.choices, blank=True)
    consent_note = models.CharField(max_length=500, blank=True)
    visibility = models.CharField(max_length=12, choices=Visibility.choices, default=Visibility.NETWORK)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    accepted_answer = models.ForeignKey(
        "Comment", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)
    deleted_at = models.DateTimeField(null=True, blank=True)
    hidden_at = models.DateTimeField(null=True, blank=True)
    hidden_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-published_at", "-id"]
        permissions = [("moderate_content", "Can review reports and hide cases and comments")]
        indexes = [
            models.Index(
                fields=["-published_at", "-id"],
                name="network_case_feed_idx",
                condition=Q(published_at__isnull=False, deleted_at__isnull=True, hidden_at__isnull=True),
            ),
            models.Index(fields=["author", "-published_at"]),
            models.Index(fields=["specialty", "-published_at"]),
            # What the visibility rule and search's filters read of a case found by id: a search
            # probes thousands of matches, from this index alone (no heap visit).
            models.Index(
                fields=["id"],
                include=[
                    "deleted_at",
                    "hidden_at",
                    "author",
                    "published_at",
                    "visibility",
                    "specialty",
                    "status",
                ],
                name="network_case_visibility_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class CaseAudience(models.Model):
    """The doctors a case with NAMED visibility is shown to (besides its author)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="audience")
    doctor = models.ForeignKey(DOCTOR, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["case", "doctor"], name="network_audience_unique")]
        indexes = [models.Index(fields=["doctor"])]

    def __str__(self) -> str:
        return f"case {self.case_id} shown to {self.doctor_id}"


class CaseRevision(models.Model):
    """What a case said before an edit (the edit history; the audit log records who and when)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="revisions")
    editor = models.ForeignKey(DOCTOR, on_delete=models.PROTECT, related_name="+")
    edited_at = models.DateTimeField(default=timezone.now)
    previous = models.JSONField()

    class Meta:
        ordering = ["-edited_at", "-id"]

    def __str__(self) -> str:
        return f"revision of case {self.case_id} at {self.edited_at:%Y-%m-%d %H:%M}"


class CaseAttachment(models.Model):
    """An image (re-encoded, metadata stripped) or PDF; served only to those who may see the case."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to="cases/%Y/%m/", storage=private_storage)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    caption = models.CharField(max_length=300, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"attachment {self.pk} of case {self.case_id}"

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


# --- Discussion ---------------------------------------------------------------------------------


class Comment(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(DOCTOR, on_delete=models.PROTECT, related_name="comments")
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="replies"
    )  # one level of replies: a reply's parent is always a top-level comment
    body = models.TextField(max_length=8000)
    created_at = models.DateTimeField(default=timezone.now)
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    hidden_at = models.DateTimeField(null=True, blank=True)
    hidden_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["case", "parent", "created_at"]), models.Index(fields=["author"])]

    def __str__(self) -> str:
        return f"comment {self.pk} on case {self.case_id}"


class CommentRevision(models.Model):
    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="revisions")
    body = models.TextField()
    edited_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-edited_at", "-id"]

    def __str__(self) -> str:
        return f"revision of comment {self.comment_id}"


class HelpfulReaction(models.Model):
    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="helpful_reactions")
    doctor = models.ForeignKey(DOCTOR, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["comment", "doctor"], name="network_helpful_unique")]

    def __str__(self) -> str:
        return f"{self.doctor_id} found comment {self.comment_id} helpful"


class Mention(models.Model):
    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="mentions")
    doctor = models.ForeignKey(DOCTOR, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["comment", "doctor"], name="network_mention_unique")]

    def __str__(self) -> str:
        return f"{self.doctor_id} mentioned in comment {self.comment_id}"


# --- Reporting and moderation -----------------------------------------------------------------


class ContentReport(models.Model):
    class Reason(models.TextChoices):
        PATIENT_IDENTIFIABLE = "patient_identifiable", _("Identifies a patient")
        MISINFORMATION = "misinformation", _("Clinically unsafe or misleading")
        ABUSIVE = "abusive", _("Abusive or unprofessional")
        SPAM = "spam", _("Spam or advertising")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        HIDDEN = "hidden", _("Content hidden")
        DISMISSED = "dismissed", _("Dismissed")

    reporter = models.ForeignKey(DOCTOR, on_delete=models.CASCADE, related_name="+")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, null=True, blank=True, related_name="reports")
    comment = models.ForeignKey(
        Comment, on_delete=models.CASCADE, null=True, blank=True, related_name="reports"
    )
    reason = models.CharField(max_length=24, choices=Reason.choices)
    details = models.CharField(max_length=1000, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(default=timezone.now)
    resolved_by = models.ForeignKey(DOCTOR, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution_note = models.CharField(max_length=1000, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(case__isnull=False, comment__isnull=True)
                | Q(case__isnull=True, comment__isnull=False),
                name="network_report_one_target",
            ),
            models.UniqueConstraint(
                fields=["reporter", "case"], condition=Q(status="open"), name="network_one_open_case_report"
            ),
            models.UniqueConstraint(
                fields=["reporter", "comment"],
                condition=Q(status="open"),
                name="network_one_open_comment_report",
            ),
        ]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"report {self.pk} ({self.reason}, {self.status})"


# --- Notifications ------------------------------------------------------------------------------


class NotificationKind(models.TextChoices):
    CONNECTION_REQUESTED = "connection_requested", _("Connection request")
    CONNECTION_ACCEPTED = "connection_accepted", _("Connection accepted")
    CASE_COMMENTED = "case_commented", _("Comment on your case")
    COMMENT_REPLIED = "comment_replied", _("Reply to your comment")
    MENTIONED = "mentioned", _("Mention")
    ANSWER_ACCEPTED = "answer_accepted", _("Your answer was accepted")
    CONTENT_MODERATED = "content_moderated", _("Moderation decision")
    MENTORSHIP_PROPOSED = "mentorship_proposed", _("Mentorship proposed")
    MENTORSHIP_STARTED = "mentorship_started", _("Mentorship started")
    MENTORSHIP_DECLINED = "mentorship_declined", _("Mentorship declined")
    MENTORSHIP_ENDED = "mentorship_ended", _("Mentorship ended")
    QUOTA_REMINDER = "quota_reminder", _("Mentoring quota reminder")
    REFERRAL_REQUESTED = "referral_requested", _("New referral")
    REFERRAL_ACCEPTED = "referral_accepted", _("Referral accepted")
    REFERRAL_REJECTED = "referral_rejected", _("Referral rejected")
    REFERRAL_INFORMATION_REQUESTED = (
        "referral_information_requested",
        _("More information requested for a referral"),
    )
    REFERRAL_INFORMATION_GIVEN = "referral_information_given", _("Information given for a referral")
    REFERRAL_COMPLETED = "referral_completed", _("Referral answered")
    REFERRAL_CANCELLED = "referral_cancelled", _("Referral cancelled")
    REFERRAL_ESCALATED = "referral_escalated", _("Referral escalated")
    REFERRAL_ANSWER_OVERDUE = "referral_answer_overdue", _("Referral answer overdue")


# Room for the longest kind ("referral_information_requested").
KIND_MAX_LENGTH = 32


class Notification(models.Model):
    """Carries ids and a short title, never clinical text (it may reach a lock screen)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    recipient = models.ForeignKey(DOCTOR, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=KIND_MAX_LENGTH, choices=NotificationKind.choices)
    actor = models.ForeignKey(DOCTOR, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    connection_request = models.ForeignKey(
        ConnectionRequest, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    mentorship = models.ForeignKey(
        "mentorship.Mentorship", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    referral = models.ForeignKey(
        "referrals.Referral", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    title = models.CharField(max_length=200)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "-created_at", "-id"]),
            models.Index(fields=["recipient"], condition=Q(read_at__isnull=True), name="network_unread_idx"),
        ]

    def __str__(self) -> str:
        return self.title


class NotificationMute(models.Model):
    """A kind of notification the doctor chose not to receive."""

    doctor = models.ForeignKey(DOCTOR, on_delete=models.CASCADE, related_name="notification_mutes")
    kind = models.CharField(max_length=KIND_MAX_LENGTH, choices=NotificationKind.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["doctor", "kind"], name="network_mute_unique")]

    def __str__(self) -> str:
        return f"{self.doctor_id} mutes {self.kind}"
