"""Escalate referrals left unanswered past their due time, and tell both doctors of an accepted
referral whose answer is overdue (run every few minutes from cron).

manage.py escalate_referrals                              # now
manage.py escalate_referrals --now 2026-11-26T18:00:00+07:00  # a given clock (tests, replays)
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from referrals.services.escalation import escalate_overdue, remind_overdue_answers


def _moment(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--now must be an ISO 8601 date and time, not {value!r}.") from None
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


class Command(BaseCommand):
    help = (
        "Escalate every overdue, unanswered referral by one step and remind both doctors of each "
        "overdue answer (idempotent; each step audited)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--now", help="The clock to escalate at (ISO 8601); the current time by default.")

    def handle(self, *args: Any, **options: Any) -> None:
        now = _moment(options.get("now"))
        run = escalate_overdue(now=now)
        reminded = remind_overdue_answers(now=now)
        self.stdout.write(
            f"Referrals: {run.escalated} escalated, {run.exhausted} at the top tier already, "
            f"{reminded} with an overdue answer reminded."
        )
