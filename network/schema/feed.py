"""GraphQL for the personalised feed: ``feed(first, after)``, the mobile app's home screen.

Pages are cut by position (publication time and id), not by offset: a case published while
the doctor scrolls does not shift the next page. The connection has no ``totalCount`` (counting
a feed at country scale would cost more than the page) and pages forward only.
"""

from __future__ import annotations

from typing import Any

import graphene
from django.utils.translation import gettext as _
from graphene import relay
from graphql import GraphQLError, GraphQLResolveInfo

from api.permissions import verified_doctor_required
from api.relay import page_size_problem, selected_fields
from common.errors import CommonErrorCode, ServiceError
from network.schema.cases import Case
from network.selectors.feed import FeedPosition, feed_cards


class FeedConnection(relay.Connection):
    class Meta:
        node = Case
        description = "A page of the feed, newest case first."


class FeedQuery(graphene.ObjectType):
    feed = graphene.Field(
        FeedConnection,
        required=True,
        first=graphene.Int(required=True, description="How many cases (1 to 100)."),
        after=graphene.String(description="The `endCursor` of the previous page."),
        description=(
            "Cases from your connections, the specialties you follow and yourself, newest first "
            "(verified doctors only)."
        ),
    )

    @staticmethod
    def resolve_feed(
        root: Any, info: GraphQLResolveInfo, first: int, after: str | None = None
    ) -> FeedConnection:
        doctor = verified_doctor_required(info)
        problem = page_size_problem(info.field_name, first, None)
        if problem is not None:
            message, code = problem
            raise GraphQLError(message, extensions={"code": code})
        position = None
        if after:
            try:
                position = FeedPosition.from_cursor(after)
            except ValueError:
                raise ServiceError(CommonErrorCode.INVALID, _("Not a feed cursor."), "after") from None
        # One case more than asked tells whether another page follows. Cards load attachments,
        # accepted answers and the profiles of comments' authors only for a document that shows
        # them (the home screen does not).
        shown = selected_fields(info, "edges", "node")
        comment_author = selected_fields(info, "edges", "node", "firstComments", "author")
        cases = feed_cards(
            doctor,
            first=first + 1,
            after=position,
            attachments="attachments" in shown,
            accepted_answer="acceptedAnswer" in shown,
            comment_author_profile=bool(comment_author & {"facility", "specialties"}),
        )
        page = cases[:first]
        edges = [FeedConnection.Edge(node=case, cursor=FeedPosition.of(case).cursor) for case in page]
        return FeedConnection(
            edges=edges,
            page_info=relay.PageInfo(
                has_next_page=len(cases) > first,
                has_previous_page=position is not None,
                start_cursor=edges[0].cursor if edges else None,
                end_cursor=edges[-1].cursor if edges else None,
            ),
        )
