"""GraphQL for the quota policy: the version in force on a date, its history, your own quota as
a mentor, and publishing a new version (mentorship administrators).

Every rule lives in ``mentorship.services.policy`` and ``mentorship.selectors.policy`` /
``mentorships``; these resolvers only find the viewer and call them.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import graphene
from django.db.models import QuerySet
from graphql import GraphQLResolveInfo

from accounts.models import User
from accounts.services import require_verified_doctor
from api.mutations import BaseMutation
from api.permissions import login_required, verified_doctor_required, viewer
from api.relay import ModelNode, PaginatedConnectionField
from common.errors import ServiceError
from facilities.schema import TierEnum
from mentorship import models as mentorship_models
from mentorship.schema.errors import MentorshipError
from mentorship.selectors import mentorships as mentorship_selectors
from mentorship.selectors import policy as selectors
from mentorship.services import policy as services
from mentorship.services.permissions import auditor_scope, is_mentorship_admin


def _policy_reader(user: Any) -> User:
    if is_mentorship_admin(user) or auditor_scope(user) is not None:
        return user
    return require_verified_doctor(user)


def policy_reader_required(info: GraphQLResolveInfo) -> User:
    """The policy is read by verified doctors (it sets their quota), mentorship administrators
    and compliance auditors (who audit against it); anyone else is refused as a doctor would be."""
    return _policy_reader(login_required(info))


def _may_read_policy(user: Any) -> bool:
    try:
        _policy_reader(user)
    except ServiceError:
        return False
    return True


class QuotaRule(graphene.ObjectType):
    """For mentors of ``mentorTier``: how many mentees of ``menteeTier`` they must have
    (``required``) and may have (``maximum``). Tiers without a rule may not be paired."""

    mentor_tier = graphene.Field(TierEnum, required=True)
    mentee_tier = graphene.Field(TierEnum, required=True)
    required = graphene.Int(required=True)
    maximum = graphene.Int(required=True)


class QuotaPolicy(ModelNode):
    """One published version of the quota rule, in force from ``effectiveFrom`` until the next
    version's date. Published versions never change."""

    rules = graphene.List(graphene.NonNull(QuotaRule), required=True)

    class Meta:
        model = mentorship_models.QuotaPolicy
        fields = ("version", "effective_from", "max_mentors_per_mentee", "reason", "published_at")

    @classmethod
    def get_queryset(cls, queryset: QuerySet[Any], info: GraphQLResolveInfo) -> QuerySet[Any]:
        return queryset if _may_read_policy(viewer(info)) else queryset.none()

    @staticmethod
    def resolve_rules(
        root: mentorship_models.QuotaPolicy, info: GraphQLResolveInfo
    ) -> list[mentorship_models.QuotaRule]:
        return list(root.rules.all())


class TierQuota(graphene.ObjectType):
    """Your quota for mentees of one tier, and where you stand."""

    mentee_tier = graphene.Field(TierEnum, required=True)
    required = graphene.Int(required=True, description="How many mentees of this tier you must have.")
    maximum = graphene.Int(required=True, description="How many you may have.")
    active = graphene.Int(required=True, description="Your active mentorships with mentees of this tier.")
    remaining = graphene.Int(required=True, description="How many more you may take on.")
    missing = graphene.Int(required=True, description="How many you still need to meet the requirement.")


class MentorQuota(graphene.ObjectType):
    """Your quota as a mentor under the policy in force today (the tier of your facility)."""

    policy = graphene.Field(QuotaPolicy, required=True)
    mentor_tier = graphene.Field(TierEnum, description="Your facility's tier; null without a facility.")
    tiers = graphene.List(
        graphene.NonNull(TierQuota),
        required=True,
        description="One line per mentee tier the policy gives your tier; empty if it gives none.",
    )


class PolicyQuery(graphene.ObjectType):
    """Root query fields for the quota policy."""

    quota_policy = graphene.Field(
        QuotaPolicy,
        as_of=graphene.Date(description="The day (today by default)."),
        required=True,
        description="The version in force on that day, with its rules.",
    )
    quota_policies = PaginatedConnectionField(
        QuotaPolicy, description="Every published version, latest effective date first."
    )
    my_quota = graphene.Field(
        MentorQuota, required=True, description="Your quota as a mentor today, per mentee tier."
    )

    @staticmethod
    def resolve_quota_policy(
        root: Any, info: GraphQLResolveInfo, as_of: date | None = None
    ) -> mentorship_models.QuotaPolicy:
        policy_reader_required(info)
        return selectors.policy_in_force(as_of)

    @staticmethod
    def resolve_quota_policies(
        root: Any, info: GraphQLResolveInfo, **_pagination: Any
    ) -> QuerySet[mentorship_models.QuotaPolicy]:
        policy_reader_required(info)
        return selectors.policies().order_by("-effective_from", "-version")

    @staticmethod
    def resolve_my_quota(root: Any, info: GraphQLResolveInfo) -> mentorship_selectors.MentorQuota:
        return mentorship_selectors.quota_of(verified_doctor_required(info))


# --- Mutations -------------------------------------------------------------------------------


class QuotaRuleInput(graphene.InputObjectType):
    mentor_tier = TierEnum(required=True)
    mentee_tier = TierEnum(required=True)
    required = graphene.Int(required=True)
    maximum = graphene.Int(description="At least `required` and at least 1; `required` when omitted.")


def _value(member: Any) -> Any:
    return getattr(member, "value", member)


class PublishQuotaPolicy(BaseMutation):
    """Publish the next version of the quota policy, in force from ``effectiveFrom`` (today or
    later: never retroactive). Mentorship administrators only; audited with its author and reason.
    Maxima apply to acceptances from that date; mentorships already active are never ended."""

    quota_policy = graphene.Field(QuotaPolicy)

    class Arguments:
        effective_from = graphene.Date(required=True)
        max_mentors_per_mentee = graphene.Int(default_value=2)
        rules = graphene.List(graphene.NonNull(QuotaRuleInput), required=True)
        reason = graphene.String(required=True)

    class Meta:
        error_type = MentorshipError
        permission = login_required

    @classmethod
    def perform_mutation(
        cls, root: Any, info: GraphQLResolveInfo, user: User | None, **data: Any
    ) -> PublishQuotaPolicy:
        assert user is not None
        rules = [
            services.RuleInput(
                mentor_tier=_value(rule.mentor_tier),
                mentee_tier=_value(rule.mentee_tier),
                required=rule.required,
                maximum=rule.get("maximum"),
            )
            for rule in data["rules"]
        ]
        maximum = data.get("max_mentors_per_mentee")
        policy = services.publish_policy(
            user,
            effective_from=data["effective_from"],
            rules=rules,
            reason=data["reason"],
            max_mentors_per_mentee=2 if maximum is None else maximum,
        )
        return cls(quota_policy=selectors.policies().get(pk=policy.pk))


class PolicyMutation(graphene.ObjectType):
    """Root mutation fields for the quota policy."""

    publish_quota_policy = PublishQuotaPolicy.Field()
