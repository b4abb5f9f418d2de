"""Expire mentorship proposals left unanswered past their date (run daily from cron)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from mentorship.services.mentorships import expire_proposals


class Command(BaseCommand):
    help = "Mark mentorship proposals past their expiry date as expired (each one audited)."

    def handle(self, *args: Any, **options: Any) -> None:
        expired = expire_proposals()
        self.stdout.write(f"Expired {expired} mentorship proposal(s).")
