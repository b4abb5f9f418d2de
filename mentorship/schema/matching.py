"""GraphQL for matching: mentees to suggest to a mentor, mentors to suggest to a mentee.

The rules and the ranking live in ``mentorship.selectors.matching``; cursors are ranks.
"""

from __future__ import annotations

from typing import Any

import graphene
from django.utils.translation import gettext as _
from graphql import GraphQLError, GraphQLResolveInfo
from graphql_relay import cursor_to_offset, offset_to_cursor

from accounts.schema import Doctor
from api.permissions import verified_doctor_required
from api.relay import page_size_problem
from common.errors import CommonErrorCode, ServiceError
from facilities.schema import TierEnum
from mentorship.selectors.matching import Match, mentee_suggestion_page, mentor_candidate_page


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


def _start(after: str | None) -> int:
    if not after:
        return 0
    offset = cursor_to_offset(after)
    if offset is None or offset < 0:
        raise GraphQLError(_("Malformed cursor."), extensions={"code": str(CommonErrorCode.INVALID)})
    return offset + 1


def _connection(rows: list[Match], start: int, first: int) -> MentorshipMatchConnection:
    page = rows[:first]
    edges = [
        MentorshipMatchConnection.Edge(node=row, cursor=offset_to_cursor(start + index))
        for index, row in enumerate(page)
    ]
    return MentorshipMatchConnection(
        edges=edges,
        page_info=graphene.relay.PageInfo(
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
            has_previous_page=start > 0,
            has_next_page=len(rows) > first,
        ),
    )


def _first(info: GraphQLResolveInfo, first: int | None) -> int:
    problem = page_size_problem(info.field_name, first, None)
    if problem is not None:
        message, code = problem
        raise GraphQLError(message, extensions={"code": code})
    assert first is not None
    return first


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
        size, start = _first(info, first), _start(after)
        tier = getattr(mentee_tier, "value", mentee_tier)
        try:
            rows = mentee_suggestion_page(doctor, tier, offset=start, limit=size + 1)
        except ServiceError as error:
            raise _refused(error) from None
        return _connection(rows, start, size)

    @staticmethod
    def resolve_mentor_candidates(
        root: Any, info: GraphQLResolveInfo, first: int | None = None, after: str | None = None
    ) -> MentorshipMatchConnection:
        doctor = verified_doctor_required(info)
        size, start = _first(info, first), _start(after)
        try:
            rows = mentor_candidate_page(doctor, offset=start, limit=size + 1)
        except ServiceError as error:
            raise _refused(error) from None
        return _connection(rows, start, size)
