"""Quota reminders (``manage.py send_quota_reminders``, for a daily cron): every mentor in
deficit today is notified, and so is each administrator of a facility with mentors in deficit
(a user with a facility-scoped ``ComplianceAuditor`` grant), by notification and by email,
because an administrator who is not a verified doctor never sees notifications.

Nobody is reminded more than once per ``MENTORSHIP_REMINDER_INTERVAL_DAYS``: each reminder
writes a ``QuotaReminder`` row, and recipients with one newer than the interval are skipped.
A run holds a PostgreSQL advisory lock for its transaction, so two overlapping cron runs cannot
remind anyone twice (the second one does nothing).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import connection, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import User
from mentorship.models import AuditScope, ComplianceAuditor, QuotaReminder
from mentorship.selectors.compliance import ComplianceFilters, MentorOrder, iter_mentor_compliance
from mentorship.services.permissions import NATIONAL
from network.models import NotificationKind
from network.services.notifications import notify

logger = logging.getLogger(__name__)

# Arbitrary, fixed key of the advisory lock a run holds ("QUOTA" in ASCII).
LOCK_KEY = 0x51554F5441

MENTOR_TITLE = gettext_noop("Your mentoring quota has %(deficit)d open places")
ADMINISTRATOR_TITLE = gettext_noop("%(mentors)d mentors at %(facility)s are short of their mentoring quota")


@dataclass
class ReminderRun:
    """What a run did (or, with ``dry_run``, would do)."""

    mentors_in_deficit: int = 0
    mentors_reminded: int = 0
    administrators_reminded: int = 0
    skipped_recently_reminded: int = 0
    emails: int = 0
    locked_out: bool = False
    recipients: list[int] = field(default_factory=list)


@dataclass
class _FacilityShortfall:
    name: str
    mentors: int = 0
    deficit: int = 0


def _title(message: str, **values: object) -> str:
    # Stored once and shown later, whose language is unknown here: the site's.
    with translation.override(settings.LANGUAGE_CODE):
        return _(message) % values


def _email_administrator(administrator: User, shortfall: _FacilityShortfall) -> bool:
    context = {"administrator": administrator, "facility": shortfall.name, "shortfall": shortfall}
    with translation.override(settings.LANGUAGE_CODE):
        subject = render_to_string("mentorship/email/quota_reminder_subject.txt", context).strip()
        body = render_to_string("mentorship/email/quota_reminder.txt", context)
    try:
        send_mail(subject, body, None, [administrator.email])
    except OSError:
        # The reminder stands (and is recorded); log for the operators.
        logger.exception("Could not email the quota reminder to administrator %s", administrator.pk)
        return False
    return True


def send_quota_reminders(*, now: datetime | None = None, dry_run: bool = False) -> ReminderRun:
    """Remind mentors in deficit today and their facilities' administrators, at most once per
    interval each. With ``dry_run`` nothing is sent or recorded."""
    now = now or timezone.now()
    interval = timedelta(days=settings.MENTORSHIP_REMINDER_INTERVAL_DAYS)
    run = ReminderRun()
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [LOCK_KEY])
            (acquired,) = cursor.fetchone()
        if not acquired:
            run.locked_out = True
            return run
        recent = set(
            QuotaReminder.objects.filter(sent_at__gt=now - interval).values_list("recipient_id", flat=True)
        )
        in_deficit = list(
            iter_mentor_compliance(
                NATIONAL,
                timezone.localdate(now),
                ComplianceFilters(deficit_only=True),
                order=MentorOrder.DEFICIT,
            )
        )
        run.mentors_in_deficit = len(in_deficit)
        shortfalls: dict[int, _FacilityShortfall] = defaultdict(lambda: _FacilityShortfall(name=""))
        reminders: list[QuotaReminder] = []
        for row in in_deficit:
            shortfall = shortfalls[row.facility.pk]
            shortfall.name = row.facility.name
            shortfall.mentors += 1
            shortfall.deficit += row.figures.deficit
            if row.mentor.pk in recent:
                run.skipped_recently_reminded += 1
                continue
            recent.add(row.mentor.pk)
            run.mentors_reminded += 1
            run.recipients.append(row.mentor.pk)
            if not dry_run:
                notify(
                    row.mentor,
                    NotificationKind.QUOTA_REMINDER,
                    _title(MENTOR_TITLE, deficit=row.figures.deficit),
                )
            reminders.append(QuotaReminder(recipient=row.mentor, sent_at=now, deficit=row.figures.deficit))
        grants = ComplianceAuditor.objects.filter(
            scope=AuditScope.FACILITY, facility_id__in=list(shortfalls), user__is_active=True
        ).select_related("user")
        emails: list[tuple[User, _FacilityShortfall]] = []
        for grant in grants.order_by("user_id"):
            administrator = grant.user
            assert grant.facility_id is not None
            shortfall = shortfalls[grant.facility_id]
            if administrator.pk in recent:
                run.skipped_recently_reminded += 1
                continue
            recent.add(administrator.pk)
            run.administrators_reminded += 1
            run.recipients.append(administrator.pk)
            if not dry_run:
                # Shown only if the administrator is also a verified doctor: hence the email.
                notify(
                    administrator,
                    NotificationKind.QUOTA_REMINDER,
                    _title(ADMINISTRATOR_TITLE, mentors=shortfall.mentors, facility=shortfall.name),
                )
                emails.append((administrator, shortfall))
            reminders.append(QuotaReminder(recipient=administrator, sent_at=now, deficit=shortfall.deficit))
        if dry_run:
            return run
        QuotaReminder.objects.bulk_create(reminders)
        run.emails = len([administrator for administrator, _shortfall in emails if administrator.email])

        def send_emails() -> None:
            for administrator, shortfall in emails:
                if administrator.email:
                    _email_administrator(administrator, shortfall)

        transaction.on_commit(send_emails)
    return run
