"""Quota reminders: mentors in deficit and their facility administrators are notified (the
administrators also by email), at most once per MENTORSHIP_REMINDER_INTERVAL_DAYS."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from facilities.models import Tier
from mentorship.models import QuotaReminder
from mentorship.services.reminders import send_quota_reminders
from network.models import Notification, NotificationKind
from tests import factories
from tests.mentorship.test_compliance import mentor, pair

pytestmark = pytest.mark.django_db


@pytest.fixture
def data():
    facility = factories.facility(Tier.CENTRAL, name="Bệnh viện Chợ Rẫy")
    short = mentor(facility, full_name="Mentor Short")
    complete = mentor(full_name="Mentor Complete")
    started = timezone.now() - timedelta(days=10)
    for tier, count in ((Tier.PROVINCIAL, 4), (Tier.DISTRICT, 4), (Tier.COMMUNE, 2)):
        for _ in range(count):
            pair(complete, tier, started=started)
    administrator = factories.auditor("facility", facility=facility)
    other_facility_administrator = factories.auditor("facility", facility=complete.facility)
    return {
        "short": short,
        "complete": complete,
        "administrator": administrator,
        "other": other_facility_administrator,
    }


def test_mentors_in_deficit_and_their_administrators_are_reminded(data, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        run = send_quota_reminders()

    assert (run.mentors_in_deficit, run.mentors_reminded, run.administrators_reminded) == (1, 1, 1)
    notification = Notification.objects.get(recipient=data["short"], kind=NotificationKind.QUOTA_REMINDER)
    assert "10" in notification.title
    assert not Notification.objects.filter(recipient=data["complete"]).exists()
    reminders = {r.recipient_id: r.deficit for r in QuotaReminder.objects.all()}
    assert reminders == {data["short"].pk: 10, data["administrator"].pk: 10}
    (email,) = mail.outbox
    assert email.to == [data["administrator"].email] and "Bệnh viện Chợ Rẫy" in email.subject
    assert data["other"].pk not in reminders


def test_nobody_is_reminded_twice_within_the_interval(data, settings, django_capture_on_commit_callbacks):
    settings.MENTORSHIP_REMINDER_INTERVAL_DAYS = 7
    now = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        send_quota_reminders(now=now)
        again = send_quota_reminders(now=now + timedelta(days=6))
    assert (again.mentors_reminded, again.administrators_reminded, again.skipped_recently_reminded) == (
        0,
        0,
        2,
    )
    assert QuotaReminder.objects.count() == 2 and len(mail.outbox) == 1

    with django_capture_on_commit_callbacks(execute=True):
        later = send_quota_reminders(now=now + timedelta(days=7, minutes=1))
    assert (later.mentors_reminded, later.administrators_reminded) == (1, 1)
    assert QuotaReminder.objects.count() == 4
    assert (
        Notification.objects.filter(recipient=data["short"], kind=NotificationKind.QUOTA_REMINDER).count()
        == 2
    )


def test_the_command_and_its_dry_run(data, django_capture_on_commit_callbacks):
    out = StringIO()
    call_command("send_quota_reminders", "--dry-run", stdout=out)
    assert "Would remind 1 mentors and 1 administrators" in out.getvalue()
    assert not QuotaReminder.objects.exists() and not Notification.objects.exists()

    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_quota_reminders", stdout=out)
    assert "Reminded 1 mentors and 1 administrators" in out.getvalue()
    assert QuotaReminder.objects.count() == 2
