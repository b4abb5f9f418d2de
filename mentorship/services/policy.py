"""Publishing a new version of the quota policy (after a reform, say): never retroactive, so
every past date keeps the rule it was audited under."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from audit.services import record
from common.errors import FieldError, ServiceError
from facilities.models import Tier
from mentorship.errors import MentorshipErrorCode
from mentorship.models import QuotaPolicy, QuotaRule
from mentorship.services.permissions import require_mentorship_admin


@dataclass(frozen=True)
class RuleInput:
    mentor_tier: str
    mentee_tier: str
    required: int
    maximum: int | None = None  # defaults to ``required``


def publish_policy(
    admin: User,
    *,
    effective_from: date,
    rules: list[RuleInput],
    reason: str,
    max_mentors_per_mentee: int = 2,
) -> QuotaPolicy:
    """Publish the next version, in force from ``effective_from`` (today or later); audited with
    its author and reason."""
    admin = require_mentorship_admin(admin)
    reason = reason.strip()
    errors = _problems(effective_from, rules, reason, max_mentors_per_mentee)
    if errors:
        raise ServiceError.many(errors)
    with transaction.atomic():
        # Versions are numbered in publication order: one publisher at a time (readers go on).
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {QuotaPolicy._meta.db_table} IN EXCLUSIVE MODE")
        version = (QuotaPolicy.objects.aggregate(latest=Max("version"))["latest"] or 0) + 1
        policy = QuotaPolicy.objects.create(
            version=version,
            effective_from=effective_from,
            max_mentors_per_mentee=max_mentors_per_mentee,
            reason=reason,
            published_by=admin,
        )
        QuotaRule.objects.bulk_create(
            QuotaRule(
                policy=policy,
                mentor_tier=rule.mentor_tier,
                mentee_tier=rule.mentee_tier,
                required=rule.required,
                maximum=rule.required if rule.maximum is None else rule.maximum,
            )
            for rule in rules
        )
        record(
            "mentorship.policy_published",
            actor=admin,
            target=policy,
            details={
                "version": version,
                "effective_from": effective_from.isoformat(),
                "max_mentors_per_mentee": max_mentors_per_mentee,
                "rules": [
                    [rule.mentor_tier, rule.mentee_tier, rule.required, rule.maximum or rule.required]
                    for rule in rules
                ],
                "reason": reason,
            },
        )
    return policy


def _problems(
    effective_from: date, rules: list[RuleInput], reason: str, max_mentors: int
) -> list[FieldError]:
    errors: list[FieldError] = []
    if not reason:
        errors.append(
            FieldError(MentorshipErrorCode.REASON_REQUIRED, _("Say why the policy changes."), "reason")
        )
    if effective_from < timezone.localdate():
        errors.append(
            FieldError(
                MentorshipErrorCode.RETROACTIVE_POLICY,
                _("A policy takes effect today or later: past audits keep the rule they were made under."),
                "effectiveFrom",
            )
        )
    if max_mentors < 1:
        errors.append(
            FieldError(
                MentorshipErrorCode.INVALID,
                _("A mentee may have at least one mentor."),
                "maxMentorsPerMentee",
            )
        )
    if not rules:
        errors.append(FieldError(MentorshipErrorCode.INVALID_RULE, _("Give at least one rule."), "rules"))
    tiers = set(Tier.values)
    seen: set[tuple[str, str]] = set()
    for rule in rules:
        maximum = rule.required if rule.maximum is None else rule.maximum
        pair = (rule.mentor_tier, rule.mentee_tier)
        if rule.mentor_tier not in tiers or rule.mentee_tier not in tiers:
            problem = _("Unknown tier.")
        elif Tier.rank(rule.mentor_tier) >= Tier.rank(rule.mentee_tier):
            problem = _("A mentor's tier must be above the mentee's.")
        elif pair in seen:
            problem = _("Each pair of tiers appears once.")
        elif rule.required < 0 or maximum < max(rule.required, 1):
            problem = _("The maximum must be at least the required number, and at least 1.")
        else:
            seen.add(pair)
            continue
        errors.append(
            FieldError(
                MentorshipErrorCode.INVALID_RULE,
                f"{rule.mentor_tier} → {rule.mentee_tier}: {problem}",
                "rules",
            )
        )
    return errors
