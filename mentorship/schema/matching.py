"""GraphQL for matching: mentees to suggest to a mentor, mentors to suggest to a mentee.

The rules and the ranking live in ``mentorship.selectors.matching``; cursors are ranks.
"""

from __future__ import annotations

from typing import Any

import graphene
from graphql import GraphQLError, GraphQLResolveInfo

from accounts.schema import Doctor
from api.permissions import verified_doctor_required
from api.relay import offset_connection, offset_page_bounds
from common.errors import ServiceError
from facilities.schema import TierEnum
from mentorship.selectors.matching import mentee_suggestion_page, mentor_candidate_page


class MentorshipMatch(graphene.ObjectType):
    """A doctor to mentor or to be mentored by, with the reasons behind the rank (in order:
    specialty match, same then neighbouring province, fewest current partners, connections in
    common)."""

    doctor = graphene.Field(Doctor, required=True)
    specialty_match = graphene.Boolean(required=True, description="Shares a specialty with you.")
    same_province = graphene.Boolean(required=True, description="Works in your province.")
    neighbouring_province = graphene.Boolean(
        required=True, description="Works in a province bordering yours."
    )
    current_partners = graphene.Int(
        required=True,
        description="A mentee's active mentors; a mentor's active mentees at your tier.",
    )
    shared_connections = graphene.Int(required=True, description="Connections you have in common.")


class MentorshipMatchConnection(graphene.relay.Connection):
    class Meta:
        node = MentorshipMatch


def _refused(error: ServiceError) -> GraphQLError:
    item = error.errors[0]
    return GraphQLError(item.message, extensions={"code": str(item.code)})


class MatchingQuery(graphene.ObjectType):
    """Root query fields for matching."""

    mentor_suggestions = graphene.Field(
        MentorshipMatchConnection,
        mentee_tier=graphene.Argument(TierEnum, required=True),
        first=graphene.Int(),
        after=graphene.String(),
        description="Mentees of that tier for you as mentor, best first (empty when your quota is full).",
    )
    mentor_candidates = graphene.Field(
        MentorshipMatchConnection,
        first=graphene.Int(),
        after=graphene.String(),
        description="Mentors for you as mentee, best first (empty when you have the maximum of mentors).",
    )

    @staticmethod
    def resolve_mentor_suggestions(
        root: Any,
        info: GraphQLResolveInfo,
        mentee_tier: Any,
        first: int | None = None,
        after: str | None = None,
    ) -> MentorshipMatchConnection:
        doctor = verified_doctor_required(info)
        start, size = offset_page_bounds(info, first, after)
        tier = getattr(mentee_tier, "value", mentee_tier)
        try:
            rows = mentee_suggestion_page(doctor, tier, offset=start, limit=size + 1)
        except ServiceError as error:
            raise _refused(error) from None
        return offset_connection(MentorshipMatchConnection, rows[:size], start, has_next=len(rows) > size)

    @staticmethod
    def resolve_mentor_candidates(
        root: Any, info: GraphQLResolveInfo, first: int | None = None, after: str | None = None
    ) -> MentorshipMatchConnection:
        doctor = verified_doctor_required(info)
        start, size = offset_page_bounds(info, first, after)
        try:
            rows = mentor_candidate_page(doctor, offset=start, limit=size + 1)
        except ServiceError as error:
            raise _refused(error) from None
        return offset_connection(MentorshipMatchConnection, rows[:size], start, has_next=len(rows) > size)
