"""``manage.py apply_chat_retention``: remove messages older than their room kind's retention
period (``CHAT_RETENTION_DAYS``; for a daily cron). See ``chat.services.compliance``."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from chat.services.compliance import apply_retention


class Command(BaseCommand):
    help = "Remove chat messages older than their room kind's retention period (audited)."

    def handle(self, *args: Any, **options: Any) -> None:
        run = apply_retention()
        if not run.deleted:
            self.stdout.write("Nothing to remove.")
        for kind, count in sorted(run.deleted.items()):
            self.stdout.write(f"{kind}: removed {count} messages.")
