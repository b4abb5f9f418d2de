"""``manage.py send_quota_reminders``: remind mentors in deficit and their facilities'
administrators (for a daily cron; nobody is reminded more than once per
``MENTORSHIP_REMINDER_INTERVAL_DAYS``). See ``mentorship.services.reminders``."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from mentorship.services.reminders import send_quota_reminders


class Command(BaseCommand):
    help = "Notify mentors in deficit and their facility administrators (at most once per interval)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Count who would be reminded; send nothing."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        run = send_quota_reminders(dry_run=options["dry_run"])
        if run.locked_out:
            self.stderr.write("Another run holds the reminder lock; nothing done.")
            return
        prefix = "Would remind" if options["dry_run"] else "Reminded"
        self.stdout.write(
            f"{prefix} {run.mentors_reminded} mentors and {run.administrators_reminded} administrators "
            f"({run.mentors_in_deficit} mentors in deficit; {run.skipped_recently_reminded} skipped, "
            f"reminded within the interval; {run.emails} emails)."
        )
