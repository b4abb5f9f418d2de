"""``manage.py export_chat_transcript ROOM --officer EMAIL [--output FILE]``: a room's full
record as JSON, for a compliance officer (``chat.export_transcript`` permission; audited)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import User
from chat.services.compliance import export_transcript
from common.errors import ServiceError


class Command(BaseCommand):
    help = "Export a chat room's transcript (every message and earlier version) as JSON."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("room", help="The room's public id (a UUID).")
        parser.add_argument("--officer", required=True, help="E-mail of the compliance officer exporting it.")
        parser.add_argument("--output", help="Write to this file instead of standard output.")

    def handle(self, *args: Any, **options: Any) -> None:
        officer = User.objects.filter(email__iexact=options["officer"]).first()
        try:
            transcript = export_transcript(officer, options["room"])
        except ServiceError as error:
            raise CommandError(str(error)) from None
        text = json.dumps(transcript, ensure_ascii=False, indent=2)
        if options["output"]:
            with open(options["output"], "w", encoding="utf-8") as output:
                output.write(text + "\n")
        else:
            self.stdout.write(text)
