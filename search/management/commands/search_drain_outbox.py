"""Apply the pending Elasticsearch index updates (run from cron, e.g. every minute)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from search import outbox
from search.models import OutboxEntry


class Command(BaseCommand):
    help = "Apply the search outbox to Elasticsearch; entries that fail stay for the next run."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.ELASTICSEARCH_URL:
            self.stdout.write("ELASTICSEARCH_URL is not set: PostgreSQL search needs no outbox.")
            return
        outcome = outbox.drain()
        left = OutboxEntry.objects.count()
        self.stdout.write(f"Applied {outcome.applied} update(s); {left} pending.")
        if outcome.failed:
            raise CommandError(f"Elasticsearch refused or is unreachable ({outcome.error}); {left} pending.")
