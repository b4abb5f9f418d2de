"""Which cases a doctor may see: the visibility rule, written once.

Every path that shows a case or anything about one (feed, case page, node lookup, comments,
notifications, search, chat rooms) filters through :func:`cases_visible_to`; nothing else
decides whether a case may be seen.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import (
    BigIntegerField,
    Count,
    Exists,
    F,
    Func,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    prefetch_related_objects,
)
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

    For every verified doctor the rule compiles to the same SQL and parameters but for the
    doctor's id: the feed compiles it once and binds each viewer's id into it
    (``feed._PageTemplate``). Keep it so: no branch on other attributes of the viewer, and
    conditions on the date through the database's clock (``Now()``), not a Python value.
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

# How many top-level comments a case card shows, and which first.
CARD_COMMENTS = 3
CARD_COMMENT_ORDER = ("created_at", "id")

# What a doctor card (GraphQL ``Doctor``) reads of an author: joined, or prefetched.
_PROFILE_JOINS = ("facility__province", "facility__commune")


def _author_joins(prefix: str) -> list[str]:
    return [f"{prefix}__{path}" for path in _PROFILE_JOINS]


def _count_of(rows: QuerySet, key: str) -> Coalesce:
    """``rows`` counted per outer row through ``key`` (a correlated subquery: no join fan-out)."""
    counted = rows.order_by().values(key).annotate(total=Count("pk")).values("total")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def with_comment_data(
    comments: QuerySet[Comment], viewer: Viewer, *, author_profile: bool = True
) -> QuerySet[Comment]:
    """Comments with what a comment shows: the author's card, ``helpful_count`` and
    ``viewer_found_helpful``. Without ``author_profile`` the author comes without facility
    and specialties (a screen that shows neither: a query and three joins fewer)."""
    viewer_id = viewer.pk if isinstance(viewer, User) else None
    if author_profile:
        comments = comments.select_related("author", *_author_joins("author")).prefetch_related(
            "author__specialties"
        )
    else:
        comments = comments.select_related("author")
    return comments.annotate(
        helpful_count=_count_of(HelpfulReaction.objects.filter(comment_id=OuterRef("pk")), "comment_id"),
        viewer_found_helpful=Exists(
            HelpfulReaction.objects.filter(comment_id=OuterRef("pk"), doctor_id=viewer_id)
        ),
    )


def live_replies_prefetch(viewer: Viewer) -> Prefetch:
    """A top-level comment's live replies, oldest first, in ``live_replies``."""
    replies = with_comment_data(Comment.objects.filter(LIVE_COMMENT), viewer).order_by("created_at", "id")
    return Prefetch("replies", queryset=replies, to_attr="live_replies")


def with_card_data(
    cases: QuerySet[Case],
    viewer: Viewer,
    *,
    attachments: bool = True,
    accepted_answer: bool = True,
    first_comments: bool = True,
) -> QuerySet[Case]:
    """Cases with everything a case card or the case page shows, in a fixed number of queries.

    Joins the author's card and the specialty; annotates ``comment_count`` (live comments and
    replies); prefetches ``attachments``, ``accepted_answer`` (with its author) and, in
    ``first_comments``, the first :data:`CARD_COMMENTS` live top-level comments with their authors,
    helpful counts and whether ``viewer`` marked them helpful. Apply it after the visibility
    filter (it filters nothing itself).

    A caller that knows its screen shows no attachments or no accepted answer (a GraphQL
    document that does not ask for them) passes False to skip loading them: read anyway, they
    would cost a query per case. A caller that passes ``first_comments=False`` loads them with
    :func:`load_first_comments` once it holds the cases.
    """
    prefetches: list[str | Prefetch] = ["author__specialties"]
    if attachments:
        prefetches.append("attachments")
    if accepted_answer:
        prefetches.append(
            Prefetch("accepted_answer", queryset=with_comment_data(Comment.objects.all(), viewer))
        )
    if first_comments:
        prefetches.append(_first_comments(viewer))
    return (
        cases.select_related("author", *_author_joins("author"), "specialty")
        .prefetch_related(*prefetches)
        .annotate(
            comment_count=_count_of(Comment.objects.filter(LIVE_COMMENT, case_id=OuterRef("pk")), "case_id")
        )
    )


def load_first_comments(cases: Sequence[Case], viewer: Viewer, *, author_profile: bool = True) -> None:
    """Set ``first_comments`` (as :func:`with_card_data` prefetches it) on cases loaded with
    ``first_comments=False``: one query for the cases that have live comments, none if no case
    has any (their ``comment_count`` says so already: often the case for the newest cases).
    ``author_profile`` as for :func:`with_comment_data`."""
    commented: list[Case] = []
    for case in cases:
        if comment_count_of(case):
            commented.append(case)
        else:
            case.first_comments = []  # type: ignore[attr-defined]
    if not commented:  # building the query costs about what the cards' own does: not for nothing
        return
    # The cases being known, each one's first comments are read by a walk of its comment index
    # (a lateral join): CARD_COMMENTS rows a case, where the window ranks all of its comments.
    walk = _card_comments().filter(case_id=OuterRef("pk")).order_by(*CARD_COMMENT_ORDER).values("pk")
    firsts = Case.objects.filter(pk__in=[case.pk for case in commented]).values(
        comment_id=Func(
            ArraySubquery(walk[:CARD_COMMENTS]), function="unnest", output_field=BigIntegerField()
        )
    )
    comments = with_comment_data(
        Comment.objects.filter(pk__in=firsts), viewer, author_profile=author_profile
    ).order_by(*CARD_COMMENT_ORDER)
    prefetch_related_objects(commented, Prefetch("comments", queryset=comments, to_attr="first_comments"))


def _card_comments() -> QuerySet[Comment]:
    """The comments a card may show: live, top-level (first :data:`CARD_COMMENTS` of them in
    :data:`CARD_COMMENT_ORDER`)."""
    return Comment.objects.filter(LIVE_COMMENT, parent__isnull=True)


def _first_comments(viewer: Viewer) -> Prefetch:
    # Built before the cases are read: ranks the comments of whichever cases Django prefetches for.
    ranked = with_comment_data(_card_comments(), viewer).annotate(
        card_rank=Window(
            RowNumber(), partition_by=F("case_id"), order_by=[F(field).asc() for field in CARD_COMMENT_ORDER]
        )
    )
    first_comments = ranked.filter(card_rank__lte=CARD_COMMENTS).order_by(*CARD_COMMENT_ORDER)
    return Prefetch("comments", queryset=first_comments, to_attr="first_comments")


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
    top_level = _card_comments().filter(case_id=case.pk)
    return list(with_comment_data(top_level, viewer).order_by(*CARD_COMMENT_ORDER)[:CARD_COMMENTS])


def attachment_visible_to(viewer: Viewer, attachment_id: int) -> CaseAttachment | None:
    """An attachment of a case ``viewer`` may see (the download view's check)."""
    return (
        CaseAttachment.objects.filter(pk=attachment_id, case__in=cases_visible_to(viewer))
        .select_related("case")
        .first()
    )
