"""Run the nationwide planner, or apply or discard a plan, as a mentorship administrator.

manage.py plan_mentorships --as admin@example.vn                 # a new draft plan
manage.py plan_mentorships --as admin@example.vn --apply <uuid>  # propose all its pairs
manage.py plan_mentorships --as admin@example.vn --discard <uuid>
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import User
from common.errors import ServiceError
from mentorship.services import planner


class Command(BaseCommand):
    help = "Run the mentorship planner (a draft plan), or apply or discard a plan."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--as", dest="email", required=True, help="The administrator's email.")
        action = parser.add_mutually_exclusive_group()
        action.add_argument("--apply", type=uuid.UUID, help="Apply the draft plan with this id.")
        action.add_argument("--discard", type=uuid.UUID, help="Discard the draft plan with this id.")

    def handle(self, *args: Any, **options: Any) -> None:
        admin = User.objects.filter(email__iexact=options["email"]).first()
        if admin is None:
            raise CommandError(f"No user with the email {options['email']}.")
        try:
            if options["apply"]:
                plan = planner.apply_plan(admin, options["apply"])
                self.stdout.write(f"Applied plan {plan.public_id}: {plan.mentorships.count()} proposals.")
            elif options["discard"]:
                plan = planner.discard_plan(admin, options["discard"])
                self.stdout.write(f"Discarded plan {plan.public_id}.")
            else:
                plan = planner.run_plan(admin)
                self.stdout.write(f"Draft plan {plan.public_id}:")
                self.stdout.write(json.dumps(plan.summary, indent=2, ensure_ascii=False))
        except ServiceError as error:
            raise CommandError("; ".join(f"{item.code}: {item.message}" for item in error.errors)) from None
