"""GraphQL for the mentorship lifecycle: your mentorships, proposing, answering, withdrawing and
ending one.

A mentorship is seen by its two doctors and by mentorship administrators only
(``mentorship.selectors.mentorships.mentorships_visible_to``); every rule, including the quota
enforced when the last acceptance starts a mentorship, lives in
``mentorship.services.mentorships``. Doctors are named by their Doctor global IDs (public UUIDs),
mentorships by their Mentorship global IDs.
"""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

import graphene
from django.db.models import QuerySet
from graphql import GraphQLResolveInfo

from accounts.models import User
from accounts.schema import Doctor
from api.mutations import BaseMutation
from api.permissions import login_required, verified_doctor_required, viewer
from api.relay import ModelNode, PaginatedConnectionField, instance_from_global_id, key_from_global_id
from facilities.schema import Specialty, TierEnum
from mentorship import models as mentorship_models
from mentorship.schema.errors import MentorshipError
from mentorship.selectors import mentorships as selectors
from mentorship.services import mentorships as services

MentorshipStatusEnum = graphene.Enum.from_enum(
    mentorship_models.Mentorship.Status,
    name="MentorshipStatus",
    description=(
        "PROPOSED until both doctors accept (ACTIVE), one DECLINES, the proposer WITHDRAWS it or "
        "it EXPIRES; an ACTIVE mentorship is ENDED with a reason."
    ),
)
MentorshipProposerEnum = graphene.Enum.from_enum(
    mentorship_models.Mentorship.Proposer,
    name="MentorshipProposer",
    description="Who proposed it: the mentor, the mentee, or an administrator (then both accept).",
)
MentorshipReviewReasonEnum = graphene.Enum.from_enum(
    mentorship_models.Mentorship.ReviewReason,
    name="MentorshipReviewReason",
    description="Why an open mentorship was flagged for an administrator's review.",
)


class MentorshipRole(graphene.Enum):
    """Your side of a mentorship."""

    MENTOR = selectors.MENTOR
    MENTEE = selectors.MENTEE


class Mentorship(ModelNode):
    """A mentor supporting a mentee. Seen by its two doctors and mentorship administrators.

    ``mentorTier``/``menteeTier`` are the facility tiers counted when it started (when proposed,
    until then); a later move of facility changes no past figure but sets ``reviewReason``.
    """

    mentor = graphene.Field(Doctor, required=True)
    mentee = graphene.Field(Doctor, required=True)
    mentor_tier = graphene.Field(TierEnum, required=True)
    mentee_tier = graphene.Field(TierEnum, required=True)
    specialty = graphene.Field(Specialty)
    status = graphene.Field(MentorshipStatusEnum, required=True)
    proposed_as = graphene.Field(MentorshipProposerEnum, required=True)
    review_reason = graphene.Field(
        MentorshipReviewReasonEnum, description="Set when it was flagged for review; null otherwise."
    )

    class Meta:
        model = mentorship_models.Mentorship
        fields = (
            "message",
            "proposed_at",
            "expires_at",
            "mentor_accepted_at",
            "mentee_accepted_at",
            "started_at",
            "ended_at",
            "end_reason",
            "last_activity_at",
        )

    lookup_field = "public_id"

    @classmethod
    def get_queryset(cls, queryset: QuerySet[Any], info: GraphQLResolveInfo) -> QuerySet[Any]:
        return selectors.mentorships_visible_to(viewer(info), queryset)

    @staticmethod
    def resolve_id(root: mentorship_models.Mentorship, info: GraphQLResolveInfo) -> str:
        return str(root.public_id)

    @staticmethod
    def resolve_mentor(root: mentorship_models.Mentorship, info: GraphQLResolveInfo) -> User:
        return root.mentor

    @staticmethod
    def resolve_mentee(root: mentorship_models.Mentorship, info: GraphQLResolveInfo) -> User:
        return root.mentee

    @staticmethod
    def resolve_specialty(root: mentorship_models.Mentorship, info: GraphQLResolveInfo) -> Any:
        return root.specialty

    @staticmethod
    def resolve_review_reason(root: mentorship_models.Mentorship, info: GraphQLResolveInfo) -> str | None:
        return root.review_reason or None


class MentorshipsQuery(graphene.ObjectType):
    """Root query fields for mentorships."""

    my_mentorships = PaginatedConnectionField(
        Mentorship,
        role=graphene.Argument(MentorshipRole, description="Only as mentor or as mentee; both by default."),
        status=graphene.List(graphene.NonNull(MentorshipStatusEnum), description="Only these statuses."),
        description="Your mentorships, newest proposal first.",
    )

    @staticmethod
    def resolve_my_mentorships(
        root: Any,
        info: GraphQLResolveInfo,
        role: Any = None,
        status: list[Any] | None = None,
        **_pagination: Any,
    ) -> QuerySet[mentorship_models.Mentorship]:
        user = login_required(info)
        statuses = None if status is None else [_value(item) for item in status]
        return selectors.mentorships_of(user, role=_value(role), statuses=statuses)


# --- Mutations -------------------------------------------------------------------------------


def _value(member: Any) -> Any:
    return getattr(member, "value", member)


def _doctor_pk(info: GraphQLResolveInfo, doctor_id: str, field: str) -> int:
    doctor: User = instance_from_global_id(info, doctor_id, Doctor, field)
    return doctor.pk


def _mentorship_key(mentorship_id: str) -> uuid.UUID:
    key: uuid.UUID = key_from_global_id(mentorship_id, Mentorship, "id")
    return key


def _loaded(mentorship: mentorship_models.Mentorship) -> mentorship_models.Mentorship:
    """The mentorship as the payload shows it (both doctors' cards)."""
    return selectors.with_parties(mentorship_models.Mentorship.objects.filter(pk=mentorship.pk)).get()


class ProposeMentorship(BaseMutation):
    """Propose a mentorship. As the mentor or the mentee, your proposal counts as your acceptance
    and the other doctor is asked; as a mentorship administrator, both doctors are asked. The
    quota is checked now and again when the last acceptance starts it."""

    mentorship = graphene.Field(Mentorship)

    class Arguments:
        mentor_id = graphene.ID(required=True, description="A Doctor ID.")
        mentee_id = graphene.ID(required=True, description="A Doctor ID.")
        specialty_id = graphene.ID(description="A Specialty ID: what the mentoring is about.")
        message = graphene.String(description="A short note (500 characters at most).")

    class Meta:
        error_type = MentorshipError
        permission = login_required

    @classmethod
    def perform_mutation(
        cls, root: Any, info: GraphQLResolveInfo, user: User | None, **data: Any
    ) -> ProposeMentorship:
        assert user is not None
        specialty_id = data.get("specialty_id")
        mentorship = services.propose_mentorship(
            user,
            mentor_id=_doctor_pk(info, data["mentor_id"], "mentorId"),
            mentee_id=_doctor_pk(info, data["mentee_id"], "menteeId"),
            specialty_id=key_from_global_id(specialty_id, Specialty, "specialtyId") if specialty_id else None,
            message=data.get("message") or "",
        )
        return cls(mentorship=_loaded(mentorship))


class MentorshipAnswer(BaseMutation):
    """A change to one mentorship; the payload returns it. Each subclass names the service that
    does it (``service(user, public_id)``)."""

    mentorship = graphene.Field(Mentorship)
    service: ClassVar[staticmethod[[User, uuid.UUID], mentorship_models.Mentorship]]

    class Arguments:
        id = graphene.ID(required=True, description="A Mentorship ID.")

    class Meta:
        abstract = True

    @classmethod
    def perform_mutation(cls, root: Any, info: GraphQLResolveInfo, user: User | None, **data: Any) -> Any:
        assert user is not None
        return cls(mentorship=_loaded(cls.service(user, _mentorship_key(data["id"]))))


class AcceptMentorship(MentorshipAnswer):
    """Accept a mentorship proposed to you. The last acceptance starts it (the quota in force
    today is enforced then) and connects the two doctors if they were not."""

    service = staticmethod(services.accept_mentorship)

    class Meta:
        error_type = MentorshipError
        permission = verified_doctor_required


class DeclineMentorship(MentorshipAnswer):
    """Decline a mentorship proposed to you (one you have not accepted); the other doctor is told."""

    service = staticmethod(services.decline_mentorship)

    class Meta:
        error_type = MentorshipError
        permission = verified_doctor_required


class WithdrawMentorship(MentorshipAnswer):
    """Withdraw a proposal you made (an administrator withdraws an administrator's proposal)."""

    service = staticmethod(services.withdraw_mentorship)

    class Meta:
        error_type = MentorshipError
        permission = login_required


class EndMentorship(BaseMutation):
    """End an active mentorship, saying why: either doctor, or a mentorship administrator."""

    mentorship = graphene.Field(Mentorship)

    class Arguments:
        id = graphene.ID(required=True, description="A Mentorship ID.")
        reason = graphene.String(required=True)

    class Meta:
        error_type = MentorshipError
        permission = login_required

    @classmethod
    def perform_mutation(
        cls, root: Any, info: GraphQLResolveInfo, user: User | None, **data: Any
    ) -> EndMentorship:
        assert user is not None
        mentorship = services.end_mentorship(user, _mentorship_key(data["id"]), reason=data["reason"])
        return cls(mentorship=_loaded(mentorship))


class MentorshipsMutation(graphene.ObjectType):
    """Root mutation fields for mentorships."""

    propose_mentorship = ProposeMentorship.Field()
    accept_mentorship = AcceptMentorship.Field()
    decline_mentorship = DeclineMentorship.Field()
    withdraw_mentorship = WithdrawMentorship.Field()
    end_mentorship = EndMentorship.Field()
