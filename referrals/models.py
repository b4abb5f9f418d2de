"""Referral and teleconsultation: a doctor asks an upper level of care for help with a case.

A referral goes to a named doctor or to a facility's specialty queue, follows the states of a
FHIR Task, carries response-time targets (policy data, ``ResponseTarget``) and escalates when
overdue. On completion a consultation record (biên bản hội chẩn) is stored as a PDF whose
SHA-256 is in the audit log. Models stay thin: every write goes through
``referrals.services``, every read that depends on who is asking through ``referrals.selectors``.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import F, Func, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from common.storage import private_storage
from facilities.models import Facility, Specialty

DOCTOR = settings.AUTH_USER_MODEL


class Urgency(models.TextChoices):
    """Emergencies are not referrals: they go by emergency transfer (refused by the service)."""

    ROUTINE = "routine", _("Routine")
    URGENT = "urgent", _("Urgent")


class ResponseTarget(models.Model):
    """The response-time policy for one urgency, as data. A referral copies its due times when
    it is made, so a later change of policy moves no past deadline and no past figure."""

    urgency = models.CharField(max_length=8, choices=Urgency.choices, unique=True)
    first_response_hours = models.PositiveIntegerField(_("hours to first response"))
    completion_hours = models.PositiveIntegerField(_("hours to completion"))
    escalation_step_hours = models.PositiveIntegerField(
        _("hours between escalations"), help_text=_("How long each escalated queue has before the next step.")
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["urgency"]
        verbose_name = _("response target")
        verbose_name_plural = _("response targets")
        constraints = [
            models.CheckConstraint(
                condition=Q(first_response_hours__gte=1)
                & Q(completion_hours__gte=models.F("first_response_hours"))
                & Q(escalation_step_hours__gte=1),
                name="referrals_target_hours",
            )
        ]

    def __str__(self) -> str:
        return f"{self.urgency}: {self.first_response_hours} h / {self.completion_hours} h"


class HoursSinceRequest(Func):
    """Hours from the referral's request to ``moment`` (null while there is none): ``date_part``
    is double precision and immutable, so PostgreSQL can store it in a generated column."""

    template = "(date_part('epoch', %(expressions)s) / 3600)"
    arg_joiner = " - "
    output_field = models.FloatField()

    def __init__(self, moment: str) -> None:
        super().__init__(F(moment), F("created_at"))


class Referral(models.Model):
    class Status(models.TextChoices):
        """FHIR Task statuses (a subset)."""

        REQUESTED = "requested", _("Requested")
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Rejected")
        IN_PROGRESS = "in-progress", _("In progress")
        ON_HOLD = "on-hold", _("On hold")
        COMPLETED = "completed", _("Completed")
        CANCELLED = "cancelled", _("Cancelled")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey("network.Case", on_delete=models.PROTECT, related_name="referrals")
    requester = models.ForeignKey(DOCTOR, on_delete=models.PROTECT, related_name="referrals_requested")
    requester_facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="+")
    # Where the referral waits: a named doctor (``target_doctor``, at ``target_facility``) or the
    # queue of ``target_facility`` + ``specialty`` (``target_doctor`` null). Escalation moves it.
    target_doctor = models.ForeignKey(
        DOCTOR, on_delete=models.PROTECT, null=True, blank=True, related_name="referrals_named"
    )
    target_facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="referrals_received")
    specialty = models.ForeignKey(Specialty, on_delete=models.PROTECT, related_name="+")
    # Who answers: set when the named doctor accepts or a queue member claims it.
    consultant = models.ForeignKey(
        DOCTOR, on_delete=models.PROTECT, null=True, blank=True, related_name="referrals_consulted"
    )
    urgency = models.CharField(max_length=8, choices=Urgency.choices)
    question = models.TextField(max_length=4000)
    done_so_far = models.TextField(max_length=4000, blank=True)
    icd10_codes = ArrayField(models.CharField(max_length=8), default=list, blank=True, size=10)
    preferred_response_hours = models.PositiveIntegerField(null=True, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.REQUESTED)
    created_at = models.DateTimeField(default=timezone.now)
    response_due_at = models.DateTimeField()
    completion_due_at = models.DateTimeField()
    first_response_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    rejected_at = models.DateTimeField(null=True, blank=True)
    reject_reason = models.TextField(max_length=2000, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    # Durations the metrics sort, stored by PostgreSQL whenever the moments change, so a
    # year of percentiles reads plain numbers from the metrics index instead of computing them.
    response_hours = models.GeneratedField(
        expression=HoursSinceRequest("first_response_at"), output_field=models.FloatField(), db_persist=True
    )
    completion_hours = models.GeneratedField(
        expression=HoursSinceRequest("completed_at"), output_field=models.FloatField(), db_persist=True
    )
    # Escalation: how many steps it took, and when the next one is due while unanswered.
    escalation_level = models.PositiveSmallIntegerField(default=0)
    escalated_at = models.DateTimeField(null=True, blank=True)
    next_escalation_at = models.DateTimeField(null=True, blank=True)
    # An accepted referral still unanswered at its completion due time: when both doctors were
    # told (once; it stays with its consultant).
    completion_reminded_at = models.DateTimeField(null=True, blank=True)
    # The structured answer (required to complete).
    assessment = models.TextField(max_length=8000, blank=True)
    recommendation = models.TextField(max_length=8000, blank=True)
    transfer_advised = models.BooleanField(null=True, blank=True)
    follow_up_plan = models.TextField(max_length=4000, blank=True)
    # The outcome, recorded by the requester when closing.
    closed_at = models.DateTimeField(null=True, blank=True)
    transfer_avoided = models.BooleanField(null=True, blank=True)
    plan_changed = models.BooleanField(null=True, blank=True)
    usefulness = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        constraints = [
            models.CheckConstraint(condition=~Q(requester=models.F("consultant")), name="referrals_not_self"),
            models.CheckConstraint(
                condition=Q(status__in=["requested", "rejected", "cancelled"]) | Q(consultant__isnull=False),
                name="referrals_consultant_when_accepted",
            ),
            models.CheckConstraint(
                condition=Q(usefulness__isnull=True) | Q(usefulness__gte=1, usefulness__lte=5),
                name="referrals_usefulness_range",
            ),
        ]
        indexes = [
            # A queue page: waiting referrals of one facility and specialty, soonest due first.
            models.Index(
                fields=["target_facility", "specialty", "response_due_at"],
                condition=Q(status="requested", target_doctor__isnull=True),
                name="referrals_queue_idx",
            ),
            models.Index(
                fields=["target_doctor", "response_due_at"],
                condition=Q(status="requested"),
                name="referrals_named_idx",
            ),
            models.Index(
                fields=["next_escalation_at"],
                condition=Q(status="requested"),
                name="referrals_escalation_idx",
            ),
            models.Index(
                fields=["completion_due_at"],
                condition=Q(
                    status__in=["accepted", "in-progress", "on-hold"], completion_reminded_at__isnull=True
                ),
                name="referrals_answer_overdue_idx",
            ),
            models.Index(fields=["requester", "-created_at"]),
            models.Index(fields=["consultant", "-created_at"]),
            # The metrics read every referral of a period from this index alone (index-only scan).
            models.Index(
                fields=["created_at"],
                include=[
                    "target_facility",
                    "specialty",
                    "status",
                    "response_hours",
                    "completion_hours",
                    "first_response_at",
                    "response_due_at",
                    "accepted_at",
                    "completed_at",
                    "completion_due_at",
                    "escalation_level",
                    "transfer_advised",
                    "closed_at",
                    "transfer_avoided",
                ],
                name="referrals_metrics_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"referral {self.pk} ({self.status})"


class InformationRequest(models.Model):
    """The consultant's question that put a referral on hold, and the requester's answer."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="information_requests")
    question = models.TextField(max_length=4000)
    asked_by = models.ForeignKey(DOCTOR, on_delete=models.PROTECT, related_name="+")
    asked_at = models.DateTimeField(default=timezone.now)
    answer = models.TextField(max_length=4000, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["asked_at", "id"]

    def __str__(self) -> str:
        return f"information request {self.pk} on referral {self.referral_id}"


class ConsultationRecord(models.Model):
    """The consultation record (biên bản hội chẩn) generated on completion: never changed.
    Its SHA-256 is also in the audit log, which nothing can alter."""

    referral = models.OneToOneField(Referral, on_delete=models.PROTECT, related_name="record")
    file = models.FileField(upload_to="referrals/records/%Y/%m/", storage=private_storage)
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("consultation record")
        verbose_name_plural = _("consultation records")

    def __str__(self) -> str:
        return f"record of referral {self.referral_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ImmutableRecordError(_("A consultation record is never changed."))
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ImmutableRecordError(_("A consultation record is never deleted."))


class ImmutableRecordError(Exception):
    """Raised by any attempt to change or delete a consultation record through the ORM."""
