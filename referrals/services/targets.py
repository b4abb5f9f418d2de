"""Changing the response-time targets (policy data). Only administrators with a second factor
(``require_mentorship_admin``: the network programme's administrators) may; every change is
audited with the values before and after. Never retroactive: referrals keep the due times they
were given when made."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import record
from common.errors import FieldError, ServiceError
from mentorship.services.permissions import require_mentorship_admin
from referrals.errors import ReferralErrorCode
from referrals.models import ResponseTarget

FIELDS = ("first_response_hours", "completion_hours", "escalation_step_hours")


def target_problems(
    first_response_hours: int, completion_hours: int, escalation_step_hours: int
) -> list[FieldError]:
    problems = [
        FieldError(ReferralErrorCode.INVALID, _("At least one hour."), name)
        for name, hours in zip(
            FIELDS, (first_response_hours, completion_hours, escalation_step_hours), strict=True
        )
        if hours is None or hours < 1
    ]
    if not problems and completion_hours < first_response_hours:
        problems.append(
            FieldError(
                ReferralErrorCode.INVALID,
                _("Completion cannot be due before the first response."),
                "completion_hours",
            )
        )
    return problems


def set_response_target(
    actor: Any, urgency: str, *, first_response_hours: int, completion_hours: int, escalation_step_hours: int
) -> ResponseTarget:
    admin = require_mentorship_admin(actor)
    problems = target_problems(first_response_hours, completion_hours, escalation_step_hours)
    if problems:
        raise ServiceError.many(problems)
    with transaction.atomic():
        target = ResponseTarget.objects.select_for_update().filter(urgency=urgency).first()
        if target is None:
            raise ServiceError(ReferralErrorCode.NOT_FOUND, _("Not found."), "urgency")
        before = {name: getattr(target, name) for name in FIELDS}
        after = {
            "first_response_hours": first_response_hours,
            "completion_hours": completion_hours,
            "escalation_step_hours": escalation_step_hours,
        }
        for name, value in after.items():
            setattr(target, name, value)
        target.updated_at = timezone.now()
        target.save()
        record(
            "referral.targets_changed", actor=admin, target=target, details={"before": before, "after": after}
        )
    return target
