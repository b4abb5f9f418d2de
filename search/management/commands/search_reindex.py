"""Rebuild search indexes in bulk, with a progress bar (see ``search.reindex``)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from search import reindex
from search.models import IndexKind


class Command(BaseCommand):
    help = (
        "Rebuild the search indexes: PostgreSQL's document tables always; with ELASTICSEARCH_URL, "
        "a new Elasticsearch index per kind, then the alias swapped to it (no downtime)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kinds", nargs="*", help=f"Some of {', '.join(IndexKind.values)} (default: all).")
        parser.add_argument("--postgres-only", action="store_true", help="Leave Elasticsearch alone.")

    def handle(self, *args: Any, kinds: list[str], postgres_only: bool, **options: Any) -> None:
        unknown = set(kinds) - set(IndexKind.values)
        if unknown:
            raise CommandError(f"Unknown index: {', '.join(sorted(unknown))}.")
        for kind in kinds or IndexKind.values:
            self._run(
                f"PostgreSQL {kind}s", lambda progress, kind=kind: reindex.rebuild_postgres(kind, progress)
            )
            if settings.ELASTICSEARCH_URL and not postgres_only:
                name = self._run(
                    f"Elasticsearch {kind}s",
                    lambda progress, kind=kind: reindex.rebuild_elasticsearch(kind, progress),
                )
                self.stdout.write(f"  alias {kind}s → {name}")

    def _run(self, label: str, rebuild: Any) -> Any:
        def progress(done: int, total: int) -> None:
            width = 30
            filled = width * done // total if total else width
            self.stdout.write(
                f"\r{label}: [{'#' * filled}{'.' * (width - filled)}] {done}/{total}", ending=""
            )
            self.stdout.flush()

        result = rebuild(progress)
        self.stdout.write("")
        return result
