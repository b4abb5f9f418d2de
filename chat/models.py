"""Chat: rooms (one per case, doctor pair, mentorship, mentor's circle or referral), their
members and messages.

Who may use a room is never stored here: it is decided on every request from the source of
truth (case visibility, connections and blocks, active mentorships, referrals) by ``chat.selectors``.
Membership rows only remember who joined a room, and their read receipt.

Messages are ordered by ``seq``, assigned under a row lock on the room (``Room.last_seq``):
primary keys are assigned at insert, not at commit, so they are no safe order to resume from.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

DOCTOR = settings.AUTH_USER_MODEL


class Room(models.Model):
    class Kind(models.TextChoices):
        CASE = "case", _("Case discussion")
        DIRECT = "direct", _("Direct messages")
        MENTORSHIP = "mentorship", _("Mentorship")
        MENTOR_CIRCLE = "mentor_circle", _("Mentor's circle")
        REFERRAL = "referral", _("Referral")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    case = models.ForeignKey(
        "network.Case", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    mentorship = models.ForeignKey(
        "mentorship.Mentorship", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    referral = models.ForeignKey(
        "referrals.Referral", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    circle_mentor = models.ForeignKey(
        DOCTOR, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    # A direct room's two doctors, the lower key first (one room per pair).
    first_doctor = models.ForeignKey(
        DOCTOR, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    second_doctor = models.ForeignKey(
        DOCTOR, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    last_seq = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    last_activity_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-last_activity_at", "-id"]
        permissions = [("export_transcript", "Can export chat transcripts for compliance")]
        constraints = [
            models.UniqueConstraint(fields=["case"], condition=Q(kind="case"), name="chat_one_room_per_case"),
            models.UniqueConstraint(
                fields=["mentorship"], condition=Q(kind="mentorship"), name="chat_one_room_per_mentorship"
            ),
            models.UniqueConstraint(
                fields=["referral"], condition=Q(kind="referral"), name="chat_one_room_per_referral"
            ),
            models.UniqueConstraint(
                fields=["circle_mentor"], condition=Q(kind="mentor_circle"), name="chat_one_circle_per_mentor"
            ),
            models.UniqueConstraint(
                fields=["first_doctor", "second_doctor"],
                condition=Q(kind="direct"),
                name="chat_one_room_per_pair",
            ),
            models.CheckConstraint(
                condition=Q(kind="case", case__isnull=False)
                | Q(kind="mentorship", mentorship__isnull=False)
                | Q(kind="mentor_circle", circle_mentor__isnull=False)
                | Q(kind="referral", referral__isnull=False)
                | Q(kind="direct", first_doctor__lt=F("second_doctor")),
                name="chat_room_subject",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} room {self.pk}"


class RoomMember(models.Model):
    """A doctor who joined a room, and how far they have read."""

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="members")
    doctor = models.ForeignKey(DOCTOR, on_delete=models.CASCADE, related_name="chat_memberships")
    joined_at = models.DateTimeField(default=timezone.now)
    last_read_seq = models.PositiveIntegerField(default=0)
    # When the doctor's last typing indicator went out: only to throttle them (never shown).
    typing_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["room", "doctor"], name="chat_member_unique")]
        indexes = [models.Index(fields=["doctor"])]

    def __str__(self) -> str:
        return f"{self.doctor_id} in room {self.room_id}"


class Message(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="messages")
    seq = models.PositiveIntegerField()
    sender = models.ForeignKey(DOCTOR, on_delete=models.PROTECT, related_name="+")
    client_message_id = models.CharField(max_length=64)
    body = models.TextField()  # empty once deleted (the text is kept in the revisions)
    sent_at = models.DateTimeField(default=timezone.now)
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["room", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["room", "seq"], name="chat_message_seq_unique"),
            models.UniqueConstraint(fields=["sender", "client_message_id"], name="chat_message_idempotent"),
        ]
        indexes = [models.Index(fields=["sent_at"])]

    def __str__(self) -> str:
        return f"message {self.seq} in room {self.room_id}"


class MessageRevision(models.Model):
    """What a message said before an edit or a deletion (for compliance, never shown in chat)."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="revisions")
    body = models.TextField()
    replaced_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["replaced_at", "id"]

    def __str__(self) -> str:
        return f"revision of message {self.message_id}"


class SendAllowance(models.Model):
    """A doctor's send-rate token bucket, updated under a row lock in the sending transaction."""

    doctor = models.OneToOneField(DOCTOR, on_delete=models.CASCADE, primary_key=True, related_name="+")
    tokens = models.FloatField()
    refilled_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.tokens:.1f} sends left for {self.doctor_id}"
