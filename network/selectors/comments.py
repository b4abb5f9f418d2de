"""Which comments a doctor sees, shaped for the case page.

Comments are seen only through their case: whoever may see the case (``cases_visible_to``) sees
its discussion. A deleted or hidden comment shows as a tombstone ("comment deleted") only where
the thread needs one: a top-level comment that still has live replies. Otherwise it is left out.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, QuerySet

from network.models import Comment
from network.selectors.cases import (
    LIVE_COMMENT,
    Viewer,
    cases_visible_to,
    live_replies_prefetch,
    with_comment_data,
)


def comments_visible_to(viewer: Viewer) -> QuerySet[Comment]:
    """Comments on cases ``viewer`` may see, tombstones included (they show no body nor author)."""
    return Comment.objects.filter(case__in=cases_visible_to(viewer))


def comments_of_case(viewer: Viewer, case_id: int) -> QuerySet[Comment]:
    """The case page's thread: top-level comments oldest first, each with its live replies in
    ``live_replies``, authors, helpful counts and the viewer's own marks; empty when ``viewer``
    may not see the case. Removed top-level comments stay only as tombstones over live replies.
    """
    has_live_replies = Exists(Comment.objects.filter(LIVE_COMMENT, parent_id=OuterRef("pk")))
    top_level = comments_visible_to(viewer).filter(case_id=case_id, parent__isnull=True)
    return with_thread_data(top_level.filter(LIVE_COMMENT | has_live_replies), viewer).order_by(
        "created_at", "id"
    )


def with_thread_data(comments: QuerySet[Comment], viewer: Viewer) -> QuerySet[Comment]:
    """Comments with what a comment shows and, in ``live_replies``, their live replies."""
    return with_comment_data(comments, viewer).prefetch_related(live_replies_prefetch(viewer))


def visible_comment(viewer: Viewer, comment_id: int) -> Comment | None:
    """One comment as the viewer sees it (a mutation's result), with its live replies."""
    return with_thread_data(comments_visible_to(viewer).filter(pk=comment_id), viewer).first()


def replies_of(comment: Comment, viewer: Viewer) -> list[Comment]:
    """Live replies of a top-level comment: prefetched by the selectors above, else queried."""
    prefetched: list[Comment] | None = getattr(comment, "live_replies", None)
    if prefetched is not None:
        return prefetched
    if comment.parent_id is not None:
        return []
    return list(with_comment_data(comment.replies.filter(LIVE_COMMENT), viewer).order_by("created_at", "id"))
