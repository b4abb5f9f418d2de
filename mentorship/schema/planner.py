"""GraphQL for the nationwide planner: run a plan, review it (summary and pairs), apply or
discard it. Administrators only (``require_mentorship_admin``: permission and a second factor);
the rules live in ``mentorship.services.planner``. Plans are named by their global IDs
(public UUIDs)."""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

import graphene
from django.db.models import QuerySet
from graphql import GraphQLError, GraphQLResolveInfo

from accounts.models import User
from accounts.schema import Doctor
from api.mutations import BaseMutation
from api.permissions import mentorship_admin_required, viewer
from api.relay import ModelNode, PaginatedConnectionField, instance_from_global_id
from common.errors import CommonErrorCode, ServiceError
from facilities.schema import Specialty, TierEnum
from mentorship import models as mentorship_models
from mentorship.schema.errors import MentorshipError
from mentorship.services import planner as services
from mentorship.services.permissions import is_mentorship_admin

MentorshipPlanStatusEnum = graphene.Enum.from_enum(
    mentorship_models.MentorshipPlan.Status,
    name="MentorshipPlanStatus",
    description="DRAFT until an administrator APPLIES it (every pair proposed) or DISCARDS it.",
)


class PlannedPair(ModelNode):
    """A pair the plan proposes, with its cost (see MentorshipPlan.summary.cost_function)."""

    mentor = graphene.Field(Doctor, required=True)
    mentee = graphene.Field(Doctor, required=True)
    mentee_tier = graphene.Field(TierEnum, required=True)
    specialty = graphene.Field(Specialty, description="A specialty the two share; null when none.")

    class Meta:
        model = mentorship_models.PlannedPair
        fields = ("cost",)

    @classmethod
    def get_queryset(cls, queryset: QuerySet[Any], info: GraphQLResolveInfo) -> QuerySet[Any]:
        if not is_mentorship_admin(viewer(info)):
            return queryset.none()
        return queryset.select_related("mentor", "mentee", "specialty").order_by("id")

    @staticmethod
    def resolve_mentor(root: mentorship_models.PlannedPair, info: GraphQLResolveInfo) -> User:
        return root.mentor

    @staticmethod
    def resolve_mentee(root: mentorship_models.PlannedPair, info: GraphQLResolveInfo) -> User:
        return root.mentee

    @staticmethod
    def resolve_specialty(root: mentorship_models.PlannedPair, info: GraphQLResolveInfo) -> Any:
        return root.specialty


class MentorshipPlan(ModelNode):
    """A planner run. ``summary`` holds: slots, upper_bound (min of slots and room per tier),
    max_flow, filled, unfilled, per_tier {slots, room, filled, matched}, cost, cost_function,
    status (OPTIMAL, MAXIMUM_FLOW or FEASIBLE), method, seconds, solver details."""

    status = graphene.Field(MentorshipPlanStatusEnum, required=True)
    summary = graphene.JSONString(required=True)
    filled = graphene.Int(required=True, description="Pairs proposed by the plan.")
    created_by = graphene.Field(Doctor)
    pairs = PaginatedConnectionField(PlannedPair, description="The plan's pairs, by mentor.")

    class Meta:
        model = mentorship_models.MentorshipPlan
        fields = ("created_at", "applied_at")

    lookup_field = "public_id"

    @classmethod
    def get_queryset(cls, queryset: QuerySet[Any], info: GraphQLResolveInfo) -> QuerySet[Any]:
        if not is_mentorship_admin(viewer(info)):
            return queryset.none()
        return queryset

    @staticmethod
    def resolve_id(root: mentorship_models.MentorshipPlan, info: GraphQLResolveInfo) -> str:
        return str(root.public_id)

    @staticmethod
    def resolve_filled(root: mentorship_models.MentorshipPlan, info: GraphQLResolveInfo) -> int:
        return int(root.summary.get("filled", 0))

    @staticmethod
    def resolve_created_by(root: mentorship_models.MentorshipPlan, info: GraphQLResolveInfo) -> None:
        # Administrators are staff, not doctors: no Doctor card to show.
        return None

    @staticmethod
    def resolve_pairs(
        root: mentorship_models.MentorshipPlan, info: GraphQLResolveInfo, **_pagination: Any
    ) -> QuerySet[Any]:
        return PlannedPair.get_queryset(root.pairs.all(), info)


class PlannerQuery(graphene.ObjectType):
    """Root query fields for the planner."""

    mentorship_plan = graphene.Field(
        MentorshipPlan,
        id=graphene.ID(required=True),
        description="A plan, with its summary and pairs (administrators only).",
    )

    @staticmethod
    def resolve_mentorship_plan(root: Any, info: GraphQLResolveInfo, id: str) -> Any:
        mentorship_admin_required(info)
        return instance_or_none(info, id)


def instance_or_none(info: GraphQLResolveInfo, global_id: str) -> Any:
    """The plan, or None when there is none with that ID (a malformed ID is INVALID)."""
    try:
        return instance_from_global_id(info, global_id, MentorshipPlan, "id")
    except ServiceError as error:
        if error.errors[0].code == CommonErrorCode.NOT_FOUND:
            return None
        item = error.errors[0]
        raise GraphQLError(item.message, extensions={"code": str(item.code)}) from None


def _plan_key(info: GraphQLResolveInfo, plan_id: str) -> uuid.UUID:
    plan: mentorship_models.MentorshipPlan = instance_from_global_id(info, plan_id, MentorshipPlan, "planId")
    return plan.public_id


class RunMentorshipPlan(BaseMutation):
    """Run the planner on today's policy and doctors: a DRAFT plan to review."""

    plan = graphene.Field(MentorshipPlan)

    class Meta:
        error_type = MentorshipError
        permission = mentorship_admin_required

    @classmethod
    def perform_mutation(
        cls, root: Any, info: GraphQLResolveInfo, user: User | None, **data: Any
    ) -> RunMentorshipPlan:
        return cls(plan=services.run_plan(user))


class PlanDecision(BaseMutation):
    """A decision on a draft plan; the payload returns it. Each subclass names the service that
    makes it (``service(user, plan_public_id)``)."""

    plan = graphene.Field(MentorshipPlan)
    service: ClassVar[staticmethod[[User, uuid.UUID], mentorship_models.MentorshipPlan]]

    class Arguments:
        plan_id = graphene.ID(required=True)

    class Meta:
        abstract = True

    @classmethod
    def perform_mutation(cls, root: Any, info: GraphQLResolveInfo, user: User | None, **data: Any) -> Any:
        assert user is not None
        return cls(plan=cls.service(user, _plan_key(info, data["plan_id"])))


class ApplyMentorshipPlan(PlanDecision):
    """Propose every pair of a draft plan (both doctors then accept or decline), all or none:
    PLAN_STALE when any pair is no longer valid."""

    service = staticmethod(services.apply_plan)

    class Meta:
        error_type = MentorshipError
        permission = mentorship_admin_required


class DiscardMentorshipPlan(PlanDecision):
    """Set a draft plan aside; nothing is proposed."""

    service = staticmethod(services.discard_plan)

    class Meta:
        error_type = MentorshipError
        permission = mentorship_admin_required


class PlannerMutation(graphene.ObjectType):
    """Root mutation fields for the planner."""

    run_mentorship_plan = RunMentorshipPlan.Field()
    apply_mentorship_plan = ApplyMentorshipPlan.Field()
    discard_mentorship_plan = DiscardMentorshipPlan.Field()
