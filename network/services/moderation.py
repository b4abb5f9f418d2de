"""Reporting cases and comments, and what moderators do about reports.

Any verified doctor who can see a case or comment may report it, once while that report is open.
Moderators (permission ``network.moderate_content``) work through the queue: they hide the
content with a reason (every open report on it is resolved as HIDDEN and the author told, with a
short non-clinical title) or dismiss a report. Hidden content disappears everywhere, for its
author too. Every moderation action is audited.
"""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.services import require_verified_doctor
from audit import services as audit
from common.errors import CommonErrorCode, ServiceError
from network.errors import NetworkErrorCode
from network.models import Case, Comment, ContentReport, NotificationKind
from network.selectors.cases import LIVE_COMMENT, NOT_REMOVED, cases_visible_to
from network.services.cases import max_length_of, release_answer, require_found
from network.services.notifications import notify

MODERATE_PERMISSION = "network.moderate_content"
MAX_REASON_LENGTH = 500


def require_moderator(user: AbstractBaseUser | AnonymousUser | None) -> User:
    """Return ``user`` if they may review reports and hide content; else NOT_MODERATOR."""
    if user is None or not user.is_authenticated:
        raise ServiceError(CommonErrorCode.NOT_AUTHENTICATED, _("Sign in first."))
    assert isinstance(user, User)
    if not (user.is_active and user.has_perm(MODERATE_PERMISSION)):
        raise ServiceError(NetworkErrorCode.NOT_MODERATOR, _("Only moderators can do this."))
    return user


def is_moderator(user: AbstractBaseUser | AnonymousUser | None) -> bool:
    try:
        require_moderator(user)
    except ServiceError:
        return False
    return True


# --- Reporting -----------------------------------------------------------------------------------


def _clean_report(reason: str, details: str) -> str:
    if reason not in ContentReport.Reason.values:
        raise ServiceError(NetworkErrorCode.INVALID, _("Choose a reason."), "reason")
    details = " ".join(details.split())
    limit = max_length_of(ContentReport, "details")
    if len(details) > limit:
        raise ServiceError(
            NetworkErrorCode.INVALID,
            _("Too long (at most %(limit)d characters).") % {"limit": limit},
            "details",
        )
    return details


def _file_report(reporter: User, reason: str, details: str, **target: Case | Comment) -> ContentReport:
    try:
        with transaction.atomic():
            report = ContentReport.objects.create(reporter=reporter, reason=reason, details=details, **target)
    except IntegrityError:
        # One open report per reporter and target (a constraint, so concurrent taps agree).
        raise ServiceError(
            NetworkErrorCode.ALREADY_REPORTED, _("You already reported this; moderators will review it.")
        ) from None
    return report


def report_case(reporter: User, case_id: int, reason: str, details: str = "") -> ContentReport:
    """Report a case one can see (not one's own)."""
    reporter = require_verified_doctor(reporter)
    case = require_found(cases_visible_to(reporter).filter(pk=case_id).first())
    if case.author_id == reporter.pk:
        raise ServiceError(NetworkErrorCode.SELF_ACTION, _("You cannot report your own case."), "caseId")
    return _file_report(reporter, reason, _clean_report(reason, details), case=case)


def report_comment(reporter: User, comment_id: int, reason: str, details: str = "") -> ContentReport:
    """Report a live comment on a case one can see (not one's own)."""
    reporter = require_verified_doctor(reporter)
    comment = require_found(
        Comment.objects.filter(LIVE_COMMENT, pk=comment_id, case__in=cases_visible_to(reporter)).first(),
        "commentId",
    )
    if comment.author_id == reporter.pk:
        raise ServiceError(
            NetworkErrorCode.SELF_ACTION, _("You cannot report your own comment."), "commentId"
        )
    return _file_report(reporter, reason, _clean_report(reason, details), comment=comment)


# --- Moderation ----------------------------------------------------------------------------------


def _clean_reason(reason: str) -> str:
    reason = " ".join(reason.split())
    if not reason:
        raise ServiceError(
            NetworkErrorCode.REQUIRED, _("Give the reason (the author will see it)."), "reason"
        )
    if len(reason) > MAX_REASON_LENGTH:
        raise ServiceError(
            NetworkErrorCode.INVALID,
            _("Too long (at most %(limit)d characters).") % {"limit": MAX_REASON_LENGTH},
            "reason",
        )
    return reason


def _resolve_open_reports(reports: QuerySet[ContentReport], moderator: User, reason: str) -> list[int]:
    """Mark every open report on the hidden content HIDDEN; returns their ids."""
    open_reports = reports.select_for_update().filter(status=ContentReport.Status.OPEN)
    ids = list(open_reports.values_list("pk", flat=True))
    ContentReport.objects.filter(pk__in=ids).update(
        status=ContentReport.Status.HIDDEN,
        resolved_by=moderator,
        resolved_at=timezone.now(),
        resolution_note=reason,
    )
    return ids


def hide_case(moderator: User, case_id: int, reason: str) -> list[int]:
    """Hide a case everywhere (its author included) with a reason; resolves its open reports and
    notifies the author. Returns the ids of the reports resolved."""
    moderator = require_moderator(moderator)
    reason = _clean_reason(reason)
    with transaction.atomic():
        case = require_found(Case.objects.select_for_update().filter(NOT_REMOVED, pk=case_id).first())
        case.hidden_at = timezone.now()
        case.hidden_reason = reason
        case.save(update_fields=["hidden_at", "hidden_reason"])
        resolved = _resolve_open_reports(case.reports.all(), moderator, reason)
        audit.record(
            "case.hidden", actor=moderator, target=case, details={"reason": reason, "reports": resolved}
        )
        # Sent although the case is now hidden from its author too (notify's one exception); no
        # actor: moderators stay anonymous to authors.
        notify(
            case.author, NotificationKind.CONTENT_MODERATED, _("A moderator hid one of your cases"), case=case
        )
    return resolved


def hide_comment(moderator: User, comment_id: int, reason: str) -> list[int]:
    """Hide a comment (a tombstone where its replies need one) with a reason; resolves its open
    reports and notifies the author. A hidden accepted answer stops being the answer."""
    moderator = require_moderator(moderator)
    reason = _clean_reason(reason)
    with transaction.atomic():
        comment = require_found(
            Comment.objects.select_for_update(of=("self",))
            .filter(LIVE_COMMENT, pk=comment_id, case__deleted_at__isnull=True)
            .select_related("author", "case")
            .first(),
            "commentId",
        )
        comment.hidden_at = timezone.now()
        comment.hidden_reason = reason
        comment.save(update_fields=["hidden_at", "hidden_reason"])
        release_answer(comment)
        resolved = _resolve_open_reports(comment.reports.all(), moderator, reason)
        audit.record(
            "comment.hidden",
            actor=moderator,
            target=comment,
            details={"reason": reason, "case_id": comment.case_id, "reports": resolved},
        )
        notify(
            comment.author,
            NotificationKind.CONTENT_MODERATED,
            _("A moderator hid one of your comments"),
            case=comment.case,
            comment=comment,
        )
    return resolved


def dismiss_report(moderator: User, report_id: int, note: str = "") -> ContentReport:
    """Close a report without action; a report already resolved is ALREADY_RESOLVED."""
    moderator = require_moderator(moderator)
    note = " ".join(note.split())[: max_length_of(ContentReport, "resolution_note")]
    with transaction.atomic():
        report = require_found(
            ContentReport.objects.select_for_update().filter(pk=report_id).first(), "reportId"
        )
        if report.status != ContentReport.Status.OPEN:
            raise ServiceError(NetworkErrorCode.ALREADY_RESOLVED, _("This report was already resolved."))
        report.status = ContentReport.Status.DISMISSED
        report.resolved_by = moderator
        report.resolved_at = timezone.now()
        report.resolution_note = note
        report.save(update_fields=["status", "resolved_by", "resolved_at", "resolution_note"])
        audit.record(
            "report.dismissed",
            actor=moderator,
            target=report,
            details={"case_id": report.case_id, "comment_id": report.comment_id},
        )
    return report
