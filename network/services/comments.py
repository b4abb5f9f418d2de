"""Discussion on cases: comments, one level of replies, edits with history, soft delete,
"helpful" reactions and @mentions.

Whoever may see a case may take part in its discussion; for anyone else the case and its
comments do not exist (NOT_FOUND, the same answer as for a missing one). New comments are taken
on OPEN and ANSWERED cases only. A reply to a reply joins the thread of the top-level comment
(as chat apps do): replies stay one level deep without refusing the doctor's tap on "reply".
Mentions are explicit doctor ids sent with the comment (no markup to parse on the phone); a
mention of a doctor who cannot see the case is refused, naming them.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.selectors import doctors_visible_to
from accounts.services import require_verified_doctor
from audit import services as audit
from common.errors import FieldError, ServiceError
from common.interactions import Interaction, announce
from network.errors import NetworkErrorCode
from network.models import Case, Comment, CommentRevision, HelpfulReaction, Mention, NotificationKind
from network.selectors.cases import LIVE_COMMENT, can_see_case, cases_visible_to
from network.selectors.connections import is_blocked_either_way
from network.services.cases import OPEN_FOR_DISCUSSION, guard, max_length_of, release_answer, require_found
from network.services.notifications import notify

MAX_MENTIONS = 20


def _live_comment(doctor: User, comment_id: int, *, lock: bool = False) -> Comment:
    """A live comment on a case ``doctor`` may see; else NOT_FOUND."""
    comments = Comment.objects.filter(LIVE_COMMENT, pk=comment_id, case__in=cases_visible_to(doctor))
    if lock:
        comments = comments.select_for_update(of=("self",))
    comment: Comment = require_found(comments.first(), "commentId")
    return comment


def _require_author(doctor: User, comment: Comment) -> None:
    if comment.author_id != doctor.pk:
        raise ServiceError(NetworkErrorCode.NOT_AUTHOR, _("Only the author of the comment can do this."))


def _clean_body(body: str, errors: list[FieldError]) -> str:
    text = body.strip()  # the guard sees the body as submitted: its spans index that
    limit = max_length_of(Comment, "body")
    if not text:
        errors.append(FieldError(NetworkErrorCode.REQUIRED, _("Write a comment."), "body"))
    elif len(text) > limit:
        errors.append(
            FieldError(
                NetworkErrorCode.INVALID,
                _("Too long (at most %(limit)d characters).") % {"limit": limit},
                "body",
            )
        )
    else:
        guard({"body": body}, errors)
    return text


def _mentioned(
    author: User, case: Case, mention_ids: Collection[uuid.UUID], errors: list[FieldError]
) -> list[User]:
    """The doctors to mention; each must be able to see the case (and not be blocked either way
    with the author)."""
    wanted = set(mention_ids) - {author.public_id}
    if not wanted:
        return []
    if len(wanted) > MAX_MENTIONS:
        errors.append(
            FieldError(
                NetworkErrorCode.INVALID,
                _("Mention at most %(limit)d doctors.") % {"limit": MAX_MENTIONS},
                "mentionIds",
            )
        )
        return []
    doctors = list(
        doctors_visible_to(author, User.objects.filter(public_id__in=wanted)).order_by("full_name")
    )
    if len(doctors) != len(wanted):
        errors.append(FieldError(NetworkErrorCode.NOT_FOUND, _("Unknown doctor."), "mentionIds"))
    for doctor in doctors:
        if is_blocked_either_way(author.pk, doctor.pk) or not can_see_case(doctor, case.pk):
            errors.append(
                FieldError(
                    NetworkErrorCode.MENTION_NOT_VISIBLE,
                    _("%(name)s cannot see this case, so cannot be mentioned.") % {"name": doctor.full_name},
                    "mentionIds",
                )
            )
    return doctors


def add_comment(
    doctor: User,
    case_id: int,
    body: str,
    parent_id: int | None = None,
    mention_ids: Collection[uuid.UUID] = (),
) -> Comment:
    """Comment on a case (or reply to a comment on it) and notify: the case's author
    (CASE_COMMENTED), the author of the comment replied to and of its thread (COMMENT_REPLIED),
    each mentioned doctor (MENTIONED); one notification per person, the most specific kind.
    ``mention_ids`` are doctors' public ids."""
    doctor = require_verified_doctor(doctor)
    case = require_found(cases_visible_to(doctor).filter(pk=case_id).select_related("author").first())
    if case.status not in OPEN_FOR_DISCUSSION:
        raise ServiceError(
            NetworkErrorCode.INVALID_TRANSITION,
            _("This case is closed to new comments.")
            if case.status == Case.Status.CLOSED
            else _("Publish the case before discussing it."),
        )
    replied_to: Comment | None = None
    if parent_id is not None:
        replied_to = require_found(
            case.comments.filter(LIVE_COMMENT, pk=parent_id)
            .select_related("author", "parent__author")
            .first(),
            "parentId",
        )
    errors: list[FieldError] = []
    body = _clean_body(body, errors)
    mentioned = _mentioned(doctor, case, mention_ids, errors)
    if errors:
        raise ServiceError.many(errors)

    thread = replied_to.parent if replied_to is not None and replied_to.parent is not None else replied_to
    with transaction.atomic():
        comment = Comment.objects.create(case=case, author=doctor, parent=thread, body=body)
        Mention.objects.bulk_create([Mention(comment=comment, doctor=person) for person in mentioned])
        recipients: dict[int, tuple[User, NotificationKind, str]] = {}
        name = {"name": doctor.full_name}
        recipients[case.author_id] = (
            case.author,
            NotificationKind.CASE_COMMENTED,
            _("%(name)s commented on your case") % name,
        )
        if replied_to is not None:
            for addressed in {replied_to, thread}:
                if addressed is not None and _is_live(addressed):  # notify skips blocked pairs
                    recipients[addressed.author_id] = (
                        addressed.author,
                        NotificationKind.COMMENT_REPLIED,
                        _("%(name)s replied to your comment") % name,
                    )
        for person in mentioned:
            recipients[person.pk] = (
                person,
                NotificationKind.MENTIONED,
                _("%(name)s mentioned you in a comment") % name,
            )
        for recipient, kind, title in recipients.values():
            notify(recipient, kind, title, actor=doctor, case=case, comment=comment)
        # Discussion with the case's author or the doctor replied to (mentoring, when a pair).
        for other_id in {case.author_id} | ({replied_to.author_id} if replied_to is not None else set()):
            announce(doctor.pk, other_id, Interaction.COMMENT, comment.pk, comment.created_at)
    return comment


def _is_live(comment: Comment) -> bool:
    return comment.deleted_at is None and comment.hidden_at is None


def edit_comment(doctor: User, comment_id: int, body: str) -> Comment:
    """Change one's own comment; the previous text is kept as a CommentRevision, the edit audited.
    Mentions are not re-sent on an edit."""
    doctor = require_verified_doctor(doctor)
    _require_author(doctor, _live_comment(doctor, comment_id))
    errors: list[FieldError] = []
    body = _clean_body(body, errors)
    if errors:
        raise ServiceError.many(errors)
    with transaction.atomic():
        comment = _live_comment(doctor, comment_id, lock=True)
        _require_author(doctor, comment)
        if comment.body == body:
            return comment
        CommentRevision.objects.create(comment=comment, body=comment.body)
        comment.body = body
        comment.edited_at = timezone.now()
        comment.save(update_fields=["body", "edited_at"])
        audit.record("comment.edited", actor=doctor, target=comment, details={"case_id": comment.case_id})
    return comment


def delete_comment(doctor: User, comment_id: int) -> Comment:
    """Soft delete one's own comment: others see "comment deleted" where its replies need it.
    A deleted accepted answer stops being the answer."""
    doctor = require_verified_doctor(doctor)
    with transaction.atomic():
        comment = _live_comment(doctor, comment_id, lock=True)
        _require_author(doctor, comment)
        comment.deleted_at = timezone.now()
        comment.save(update_fields=["deleted_at"])
        release_answer(comment)
        audit.record("comment.deleted", actor=doctor, target=comment, details={"case_id": comment.case_id})
    return comment


def mark_helpful(doctor: User, comment_id: int) -> Comment:
    """Mark another doctor's comment helpful; marking it again changes nothing (one per doctor)."""
    doctor = require_verified_doctor(doctor)
    comment = _live_comment(doctor, comment_id)
    if comment.author_id == doctor.pk:
        raise ServiceError(
            NetworkErrorCode.SELF_ACTION, _("You cannot mark your own comment helpful."), "commentId"
        )
    try:
        with transaction.atomic():
            HelpfulReaction.objects.get_or_create(comment=comment, doctor=doctor)
    except IntegrityError:
        pass  # a concurrent request marked it first: the one reaction exists
    return comment


def unmark_helpful(doctor: User, comment_id: int) -> Comment:
    """Withdraw one's "helpful" mark; withdrawing one that is not there changes nothing."""
    doctor = require_verified_doctor(doctor)
    comment = _live_comment(doctor, comment_id)
    with transaction.atomic():
        HelpfulReaction.objects.filter(comment=comment, doctor=doctor).delete()
    return comment
