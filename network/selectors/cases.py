"""Which cases a doctor may see: the visibility rule, written once.

Every path that shows a case or anything about one (feed, case page, node lookup, comments,
notifications, search, chat rooms) filters through :func:`cases_visible_to`; nothing else
decides whether a case may be seen.
"""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, Exists, F, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery, Value
from django.db.models.expressions import Window
from django.db.models.functions import Coalesce, RowNumber

from accounts.models import User
from accounts.services import is_verified_doctor
from network.models import Case, CaseAttachment, CaseAudience, Comment, HelpfulReaction
from network.selectors.connections import blocked_either_way_ids, peer_ids

Viewer = AbstractBaseUser | AnonymousUser | None


# Neither deleted by its author nor hidden by a moderator: such a case shows nowhere.
NOT_REMOVED = Q(deleted_at__isnull=True, hidden_at__isnull=True)


def cases_visible_to(viewer: Viewer) -> QuerySet[Case]:
    """The cases ``viewer`` may open.

    Only verified doctors see cases. A doctor sees their own live cases and drafts, and other
    doctors' live cases whose visibility admits them (the whole network; connections of the
    author; the named audience), never a case of someone they blocked or who blocked them.
    """
    if not is_verified_doctor(viewer):
        return Case.objects.none()
    assert isinstance(viewer, User)
    admitted = (
        Q(visibility=Case.Visibility.NETWORK)
        | Q(visibility=Case.Visibility.CONNECTIONS, author_id__in=peer_ids(viewer.pk))
        | Q(
            Exists(CaseAudience.objects.filter(case_id=OuterRef("pk"), doctor_id=viewer.pk)),
            visibility=Case.Visibility.NAMED,
        )
    )
    others = Q(published_at__isnull=False) & admitted & ~Q(author_id__in=blocked_either_way_ids(viewer.pk))
    return Case.objects.filter(NOT_REMOVED & (Q(author_id=viewer.pk) | others))


def can_see_case(viewer: Viewer, case_id: int) -> bool:
    return cases_visible_to(viewer).filter(pk=case_id).exists()


# --- What screens show of a case and its comments ----------------------------------------------

# A comment neither deleted by its author nor hidden by a moderator.
LIVE_COMMENT = Q(deleted_at__isnull=True, hidden_at__isnull=True)

# How many top-level comments a case card shows.
CARD_COMMENTS = 3

# What a doctor card (GraphQL ``Doctor``) reads of an author: joined, or prefetched.
_PROFILE_JOINS = ("facility__province", "facility__commune")


def _author_joins(prefix: str) -> list[str]:
    return [f"{prefix}__{path}" for path in _PROFILE_JOINS]


def _count_of(rows: QuerySet, key: str) -> Coalesce:
    """``rows`` counted per outer row through ``key`` (a correlated subquery: no join fan-out)."""
    counted = rows.order_by().values(key).annotate(total=Count("pk")).values("total")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def with_comment_data(comments: QuerySet[Comment], viewer: Viewer) -> QuerySet[Comment]:
    """Comments with what a comment shows: the author's card, ``helpful_count`` and
    ``viewer_found_helpful``."""
    viewer_id = viewer.pk if isinstance(viewer, User) else None
    return (
        comments.select_related("author", *_author_joins("author"))
        .prefetch_related("author__specialties")
        .annotate(
            helpful_count=_count_of(HelpfulReaction.objects.filter(comment_id=OuterRef("pk")), "comment_id"),
            viewer_found_helpful=Exists(
                HelpfulReaction.objects.filter(comment_id=OuterRef("pk"), doctor_id=viewer_id)
            ),
        )
    )


def live_replies_prefetch(viewer: Viewer) -> Prefetch:
    """A top-level comment's live replies, oldest first, in ``live_replies``."""
    replies = with_comment_data(Comment.objects.filter(LIVE_COMMENT), viewer).order_by("created_at", "id")
    return Prefetch("replies", queryset=replies, to_attr="live_replies")


def with_card_data(
    cases: QuerySet[Case], viewer: Viewer, *, attachments: bool = True, accepted_answer: bool = True
) -> QuerySet[Case]:
    """Cases with everything a case card or the case page shows, in a fixed number of queries.

    Joins the author's card and the specialty; annotates ``comment_count`` (live comments and
    replies); prefetches ``attachments``, ``accepted_answer`` (with its author) and, in
    ``first_comments``, the first :data:`CARD_COMMENTS` live top-level comments with their authors,
    helpful counts and whether ``viewer`` marked them helpful. Apply it after the visibility
    filter (it filters nothing itself).

    A caller that knows its screen shows no attachments or no accepted answer (a GraphQL
    document that does not ask for them) passes False to skip loading them: read anyway, they
    would cost a query per case.
    """
    ranked = with_comment_data(Comment.objects.filter(LIVE_COMMENT, parent__isnull=True), viewer).annotate(
        card_rank=Window(
            RowNumber(), partition_by=F("case_id"), order_by=(F("created_at").asc(), F("id").asc())
        )
    )
    first_comments = ranked.filter(card_rank__lte=CARD_COMMENTS).order_by("created_at", "id")
    prefetches: list[str | Prefetch] = ["author__specialties"]
    if attachments:
        prefetches.append("attachments")
    if accepted_answer:
        prefetches.append(
            Prefetch("accepted_answer", queryset=with_comment_data(Comment.objects.all(), viewer))
        )
    prefetches.append(Prefetch("comments", queryset=first_comments, to_attr="first_comments"))
    return (
        cases.select_related("author", *_author_joins("author"), "specialty")
        .prefetch_related(*prefetches)
        .annotate(
            comment_count=_count_of(Comment.objects.filter(LIVE_COMMENT, case_id=OuterRef("pk")), "case_id")
        )
    )


def visible_case(viewer: Viewer, case_id: int) -> Case | None:
    """The case page's case, if ``viewer`` may see it."""
    return with_card_data(cases_visible_to(viewer).filter(pk=case_id), viewer).first()


def cases_of_author(viewer: Viewer) -> QuerySet[Case]:
    """ "My cases": the viewer's own drafts and live cases, most recently changed first."""
    if not isinstance(viewer, User):
        return Case.objects.none()
    return with_card_data(cases_visible_to(viewer).filter(author_id=viewer.pk), viewer).order_by(
        "-updated_at", "-id"
    )


def comment_count_of(case: Case) -> int:
    """Live comments and replies on ``case``: annotated by :func:`with_card_data`, else counted."""
    annotated: int | None = getattr(case, "comment_count", None)
    if annotated is not None:
        return annotated
    return Comment.objects.filter(LIVE_COMMENT, case_id=case.pk).count()


def first_comments_of(case: Case, viewer: Viewer) -> list[Comment]:
    """The card's first live top-level comments: prefetched by :func:`with_card_data`, else queried."""
    prefetched: list[Comment] | None = getattr(case, "first_comments", None)
    if prefetched is not None:
        return prefetched
    top_level = Comment.objects.filter(LIVE_COMMENT, case_id=case.pk, parent__isnull=True)
    return list(with_comment_data(top_level, viewer).order_by("created_at", "id")[:CARD_COMMENTS])


def attachment_visible_to(viewer: Viewer, attachment_id: int) -> CaseAttachment | None:
    """An attachment of a case ``viewer`` may see (the download view's check)."""
    return (
        CaseAttachment.objects.filter(pk=attachment_id, case__in=cases_visible_to(viewer))
        .select_related("case")
        .first()
    )
