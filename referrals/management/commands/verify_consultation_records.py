"""Check every consultation record PDF against the SHA-256 in the audit log.

Exits with status 1 and lists each record that is missing, altered or unaudited.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from referrals.services.records import verify_records


class Command(BaseCommand):
    help = "Verify consultation record PDFs against the hashes in the audit log (tampering detection)."

    def handle(self, *args: Any, **options: Any) -> None:
        checked, problems = verify_records()
        for problem in problems:
            self.stderr.write(f"referral {problem.referral_id}: {problem.problem} ({problem.file})")
        if problems:
            raise CommandError(f"{len(problems)} of {checked} consultation record(s) failed verification.")
        self.stdout.write(f"All {checked} consultation record(s) match the audit log.")
