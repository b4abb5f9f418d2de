"""What moderators see: the queue of open reports, with the reported content loaded.

Moderators review content whatever its visibility (a case shown to named doctors can be
reported by one of them): the queue and the attachments of reported cases are theirs to see;
everywhere else they see what any doctor sees.
"""

from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet

from accounts.models import User
from network.models import Case, CaseAttachment, Comment, ContentReport
from network.selectors.cases import NOT_REMOVED, Viewer, with_card_data, with_comment_data
from network.services.moderation import is_moderator, require_moderator

# Reports still worth a moderator's time: open, on content its author has not deleted.
_PENDING = Q(status=ContentReport.Status.OPEN) & (
    Q(case__isnull=False, case__deleted_at__isnull=True)
    | Q(comment__isnull=False, comment__deleted_at__isnull=True, comment__case__deleted_at__isnull=True)
)


def moderation_queue(moderator: Viewer) -> QuerySet[ContentReport]:
    """Open reports, oldest first, each with its reporter, the reported case or comment, and
    the case the comment is on (``comment.case``), in a fixed number of queries."""
    moderator = require_moderator(moderator)
    cases = with_card_data(Case.objects.all(), moderator)
    comments = with_comment_data(Comment.objects.all(), moderator).prefetch_related(
        Prefetch("case", queryset=cases)
    )
    return (
        ContentReport.objects.filter(_PENDING)
        .select_related("reporter__facility__province", "reporter__facility__commune")
        .prefetch_related(
            "reporter__specialties",
            Prefetch("case", queryset=cases),
            Prefetch("comment", queryset=comments),
        )
        .order_by("created_at", "id")
    )


def reports_visible_to(
    viewer: Viewer, reports: QuerySet[ContentReport] | None = None
) -> QuerySet[ContentReport]:
    """Moderators see every report; a doctor sees the reports they filed."""
    reports = ContentReport.objects.all() if reports is None else reports
    if is_moderator(viewer):
        return reports
    if isinstance(viewer, User) and viewer.is_authenticated:
        return reports.filter(reporter_id=viewer.pk)
    return reports.none()


def attachment_under_review(viewer: Viewer, attachment_id: int) -> CaseAttachment | None:
    """An attachment of a case with a pending report, for a moderator reviewing it."""
    if not is_moderator(viewer):
        return None
    reported = Q(reports__in=ContentReport.objects.filter(_PENDING)) | Q(
        comments__reports__in=ContentReport.objects.filter(_PENDING)
    )
    cases = Case.objects.filter(NOT_REMOVED).filter(reported)
    return CaseAttachment.objects.filter(pk=attachment_id, case__in=cases).select_related("case").first()
