"""The quota policy in force on a date, and its history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Case, Prefetch, QuerySet, Value, When
from django.utils import timezone

from facilities.models import Tier
from mentorship.models import QuotaPolicy, QuotaRule


def _rank(field: str) -> Case:
    """A tier's rank (central 0 … commune 3), for listing rules from the top level down."""
    return Case(*(When(**{field: tier}, then=Value(Tier.rank(tier))) for tier in Tier.values))


def policies() -> QuerySet[QuotaPolicy]:
    """Every published version, latest effective first, with its rules (by tier, top down)."""
    rules = QuotaRule.objects.order_by(_rank("mentor_tier"), _rank("mentee_tier"))
    return QuotaPolicy.objects.prefetch_related(Prefetch("rules", queryset=rules)).select_related(
        "published_by"
    )


def policy_in_force(on: date | None = None) -> QuotaPolicy:
    """The version in force on ``on`` (today by default): the latest ``effective_from`` on or
    before it, the highest version on a tie. The default policy of 1 July 2025 (data migration)
    is in force from then on; an earlier date reads back that first version too."""
    on = on or timezone.localdate()
    policy = policies().filter(effective_from__lte=on).order_by("-effective_from", "-version").first()
    if policy is None:
        policy = policies().order_by("effective_from", "version").first()
    if policy is None:
        raise QuotaPolicy.DoesNotExist("No quota policy was ever published (migration 0002 loads one).")
    return policy


@dataclass(frozen=True)
class Quota:
    required: int
    maximum: int


def quota(policy: QuotaPolicy, mentor_tier: str, mentee_tier: str) -> Quota | None:
    """What ``policy`` asks of a mentor of ``mentor_tier`` for mentees of ``mentee_tier``, or
    None if it does not pair those tiers."""
    for rule in policy.rules.all():
        if rule.mentor_tier == mentor_tier and rule.mentee_tier == mentee_tier:
            return Quota(rule.required, rule.maximum)
    return None


def mentoring_tiers(policy: QuotaPolicy) -> set[str]:
    """The tiers whose doctors must mentor (a rule with a required number above zero)."""
    return {rule.mentor_tier for rule in policy.rules.all() if rule.required > 0}
