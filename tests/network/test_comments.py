"""Discussion: comments and one level of replies, notifications, mentions, edits with history,
soft delete with tombstones, "helpful" marks."""

from __future__ import annotations

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from network.models import (
    Case,
    Comment,
    CommentRevision,
    HelpfulReaction,
    Mention,
    Notification,
    NotificationKind,
)
from network.services import comments as services
from tests import factories
from tests.graphql import conftest as graphql_conftest
from tests.graphql.conftest import data_of
from tests.network.test_cases_builders import (
    COMMENT_BODY,
    PRESENTING_PROBLEM,
    QUESTION,
    TITLE,
    case_gid,
    codes,
    comment_gid,
    comment_on,
    connect,
    doctor_gid,
    published_case,
)

pytestmark = pytest.mark.django_db

graphql = graphql_conftest.graphql

ADD = """mutation ($input: AddCommentInput!) { addComment(input: $input) {
    comment { id body isReply isDeleted author { id } helpfulCount viewerFoundHelpful viewerCanEdit }
    errors { field code message spans { start end kind text } }
} }"""
EDIT = """mutation ($id: ID!, $body: String!) { editComment(commentId: $id, body: $body) {
    comment { id body editedAt } errors { field code message spans { kind text } }
} }"""
DELETE = """mutation ($id: ID!) { deleteComment(commentId: $id) {
    comment { id body isDeleted author { id } } errors { code }
} }"""
MARK = """mutation ($id: ID!) { markHelpful(commentId: $id) {
    comment { helpfulCount viewerFoundHelpful } errors { field code }
} }"""
UNMARK = """mutation ($id: ID!) { unmarkHelpful(commentId: $id) {
    comment { helpfulCount viewerFoundHelpful } errors { code }
} }"""
THREAD = """query ($caseId: ID!) { comments(caseId: $caseId, first: 50) {
    totalCount
    edges { node { id body isDeleted author { fullName } helpfulCount viewerFoundHelpful
                   replies { id body author { fullName } } } }
} }"""


@pytest.fixture
def author(db):
    return factories.doctor(full_name="Phạm Thu Hà")


@pytest.fixture
def case(author):
    return published_case(author)


@pytest.fixture
def commenter(db):
    return factories.doctor(full_name="Lê Minh Châu")


def add(graphql, case, body=COMMENT_BODY, **extra):
    return data_of(graphql(ADD, {"input": {"caseId": case_gid(case), "body": body, **extra}}))["addComment"]


def kinds_of(recipient) -> list[str]:
    return list(Notification.objects.filter(recipient=recipient).values_list("kind", flat=True))


CLINICAL = (TITLE, PRESENTING_PROBLEM, QUESTION, COMMENT_BODY, "troponin", "đau ngực")


# --- Commenting and replying ------------------------------------------------------------------


def test_a_comment_is_posted_and_the_case_author_notified_without_clinical_text(
    graphql, case, author, commenter
):
    graphql.login(commenter)
    payload = add(graphql, case)
    assert payload["errors"] == []
    assert payload["comment"]["body"] == COMMENT_BODY
    assert payload["comment"]["author"] == {"id": doctor_gid(commenter)}
    assert payload["comment"]["isReply"] is False
    assert payload["comment"]["viewerCanEdit"] is True

    notification = Notification.objects.get(recipient=author)
    assert notification.kind == NotificationKind.CASE_COMMENTED
    assert (notification.case_id, notification.actor_id) == (case.pk, commenter.pk)
    assert "Lê Minh Châu" in notification.title
    assert not any(text in notification.title for text in CLINICAL)


def test_the_authors_own_comment_notifies_nobody(graphql, case, author):
    graphql.login(author)
    assert add(graphql, case)["errors"] == []
    assert not Notification.objects.exists()


def test_a_reply_notifies_the_comment_author_and_the_case_author(graphql, case, author, commenter):
    top = comment_on(case, commenter)
    replier = factories.doctor()
    graphql.login(replier)
    payload = add(graphql, case, "Đồng ý, thêm siêu âm tim", parentId=comment_gid(top))
    assert payload["errors"] == []
    assert payload["comment"]["isReply"] is True
    reply = Comment.objects.latest("id")
    assert reply.parent_id == top.pk
    assert kinds_of(commenter) == [NotificationKind.COMMENT_REPLIED]
    assert kinds_of(author) == [NotificationKind.CASE_COMMENTED]


def test_a_reply_to_a_reply_joins_the_thread_of_its_top_level_comment(graphql, case, author, commenter):
    top = comment_on(case, commenter)
    second = factories.doctor()
    reply = comment_on(case, second, parent=top)
    third = factories.doctor()
    graphql.login(third)
    assert add(graphql, case, "Tôi cũng nghĩ vậy", parentId=comment_gid(reply))["errors"] == []
    latest = Comment.objects.latest("id")
    assert latest.parent_id == top.pk  # one level deep
    assert kinds_of(second) == [NotificationKind.COMMENT_REPLIED]  # the one replied to
    assert kinds_of(commenter) == [NotificationKind.COMMENT_REPLIED]  # the thread's author
    assert kinds_of(author) == [NotificationKind.CASE_COMMENTED]


def test_a_reply_to_a_comment_of_another_case_is_not_found(graphql, case, commenter):
    elsewhere = comment_on(published_case(factories.doctor()), commenter)
    graphql.login(commenter)
    assert codes(add(graphql, case, parentId=comment_gid(elsewhere))) == [("parentId", "NOT_FOUND")]
    assert not Comment.objects.filter(case=case).exists()


@pytest.mark.parametrize("status", [Case.Status.CLOSED, Case.Status.DRAFT])
def test_closed_cases_and_drafts_take_no_comments(graphql, author, status):
    case = published_case(author, status=status)
    graphql.login(author)
    assert codes(add(graphql, case)) == [(None, "INVALID_TRANSITION")]
    assert not Comment.objects.exists()


def test_an_answered_case_takes_comments(graphql, author, commenter):
    case = published_case(author, status=Case.Status.ANSWERED)
    graphql.login(commenter)
    assert add(graphql, case)["errors"] == []


def test_a_comment_naming_the_patient_is_refused_with_spans_and_not_stored(graphql, case, author, commenter):
    graphql.login(commenter)
    body = "Gọi người nhà BN qua số 0912 345 678"
    payload = add(graphql, case, body)
    assert codes(payload) == [("body", "PATIENT_IDENTIFIER")]
    (span,) = payload["errors"][0]["spans"]
    assert span["kind"] == "PHONE_NUMBER"
    assert body[span["start"] : span["end"]] == span["text"] == "0912 345 678"
    assert not Comment.objects.exists()
    assert not Notification.objects.exists()


def test_an_empty_comment_is_refused(graphql, case, commenter):
    graphql.login(commenter)
    assert codes(add(graphql, case, "   ")) == [("body", "REQUIRED")]


# --- Mentions --------------------------------------------------------------------------------


def test_mentioned_doctors_are_recorded_and_told_once(graphql, case, author, commenter):
    colleague = factories.doctor()
    graphql.login(commenter)
    payload = add(
        graphql,
        case,
        "@Hà @Colleague ý kiến?",
        mentionIds=[doctor_gid(author), doctor_gid(colleague), doctor_gid(colleague)],
    )
    assert payload["errors"] == []
    assert set(Mention.objects.values_list("doctor_id", flat=True)) == {author.pk, colleague.pk}
    assert kinds_of(colleague) == [NotificationKind.MENTIONED]
    assert kinds_of(author) == [NotificationKind.MENTIONED]  # the most specific kind, once


def test_mentioning_a_doctor_who_cannot_see_the_case_is_refused_naming_them(graphql, author, commenter):
    case = published_case(author, visibility=Case.Visibility.CONNECTIONS)
    connect(author, commenter)
    outsider = factories.doctor(full_name="Đỗ Quang Huy")
    graphql.login(commenter)
    payload = add(graphql, case, mentionIds=[doctor_gid(outsider)])
    assert codes(payload) == [("mentionIds", "MENTION_NOT_VISIBLE")]
    assert "Đỗ Quang Huy" in payload["errors"][0]["message"]
    assert not Comment.objects.exists()
    assert not Notification.objects.exists()


def test_mentioning_an_unknown_doctor_is_refused(graphql, case, commenter):
    graphql.login(commenter)
    unverified = factories.doctor(status="pending")
    assert codes(add(graphql, case, mentionIds=[doctor_gid(unverified)])) == [("mentionIds", "NOT_FOUND")]
    payload = data_of(
        graphql(ADD, {"input": {"caseId": case_gid(case), "body": "x", "mentionIds": ["bm90LWFuLWlk"]}})
    )["addComment"]
    assert codes(payload) == [("mentionIds", "INVALID")]
    assert not Comment.objects.exists()


# --- Editing and deleting ------------------------------------------------------------------------


def test_an_edit_keeps_the_previous_text_and_is_audited(graphql, case, commenter):
    comment = comment_on(case, commenter)
    graphql.login(commenter)
    payload = data_of(graphql(EDIT, {"id": comment_gid(comment), "body": "Nên làm lại troponin sau 1 giờ"}))[
        "editComment"
    ]
    assert payload["errors"] == []
    assert payload["comment"]["body"] == "Nên làm lại troponin sau 1 giờ"
    assert payload["comment"]["editedAt"] is not None
    assert list(CommentRevision.objects.values_list("body", flat=True)) == [COMMENT_BODY]
    event = AuditEvent.objects.get(action="comment.edited")
    assert (event.actor_id, event.target_id) == (commenter.pk, str(comment.pk))


def test_only_the_author_edits_or_deletes_a_comment(graphql, case, author, commenter):
    comment = comment_on(case, commenter)
    graphql.login(author)
    assert codes(data_of(graphql(EDIT, {"id": comment_gid(comment), "body": "Khác"}))["editComment"]) == [
        (None, "NOT_AUTHOR")
    ]
    assert data_of(graphql(DELETE, {"id": comment_gid(comment)}))["deleteComment"]["errors"] == [
        {"code": "NOT_AUTHOR"}
    ]
    comment.refresh_from_db()
    assert (comment.body, comment.deleted_at) == (COMMENT_BODY, None)


def test_an_edit_is_guarded(graphql, case, commenter):
    comment = comment_on(case, commenter)
    graphql.login(commenter)
    payload = data_of(graphql(EDIT, {"id": comment_gid(comment), "body": "BN Trần Thị B đã ổn"}))[
        "editComment"
    ]
    assert codes(payload) == [("body", "PATIENT_IDENTIFIER")]
    comment.refresh_from_db()
    assert comment.body == COMMENT_BODY
    assert not CommentRevision.objects.exists()


def test_a_deleted_comment_with_replies_stays_as_a_tombstone(graphql, case, author, commenter):
    top = comment_on(case, commenter)
    comment_on(case, author, "Cảm ơn", parent=top)
    lonely = comment_on(case, commenter, "Một ý khác")
    graphql.login(commenter)
    payload = data_of(graphql(DELETE, {"id": comment_gid(top)}))["deleteComment"]
    assert payload == {
        "comment": {"id": comment_gid(top), "body": None, "isDeleted": True, "author": None},
        "errors": [],
    }
    assert data_of(graphql(DELETE, {"id": comment_gid(lonely)}))["deleteComment"]["errors"] == []
    assert AuditEvent.objects.filter(action="comment.deleted").count() == 2

    graphql.login(factories.doctor())
    thread = data_of(graphql(THREAD, {"caseId": case_gid(case)}))["comments"]
    assert thread["totalCount"] == 1  # the lonely deleted comment is gone altogether
    (node,) = [edge["node"] for edge in thread["edges"]]
    assert (node["id"], node["body"], node["isDeleted"], node["author"]) == (
        comment_gid(top),
        None,
        True,
        None,
    )
    assert [reply["body"] for reply in node["replies"]] == ["Cảm ơn"]
    # A deleted comment cannot be edited, deleted again, marked or replied to.
    graphql.login(commenter)
    assert codes(data_of(graphql(EDIT, {"id": comment_gid(top), "body": "x"}))["editComment"]) == [
        ("commentId", "NOT_FOUND")
    ]


def test_deleting_the_accepted_answer_reopens_the_question(author, commenter):
    case = published_case(author, status=Case.Status.ANSWERED)
    answer = comment_on(case, commenter)
    Case.objects.filter(pk=case.pk).update(accepted_answer=answer)
    services.delete_comment(commenter, answer.pk)
    case.refresh_from_db()
    assert (case.status, case.accepted_answer_id) == (Case.Status.OPEN, None)


# --- Helpful ---------------------------------------------------------------------------------


def test_helpful_marks_are_one_per_doctor_and_not_on_ones_own_comment(graphql, case, author, commenter):
    comment = comment_on(case, commenter)
    graphql.login(author)
    assert data_of(graphql(MARK, {"id": comment_gid(comment)}))["markHelpful"] == {
        "comment": {"helpfulCount": 1, "viewerFoundHelpful": True},
        "errors": [],
    }
    assert data_of(graphql(MARK, {"id": comment_gid(comment)}))["markHelpful"]["comment"]["helpfulCount"] == 1
    assert HelpfulReaction.objects.count() == 1

    graphql.login(factories.doctor())
    thread = data_of(graphql(THREAD, {"caseId": case_gid(case)}))["comments"]["edges"]
    assert (thread[0]["node"]["helpfulCount"], thread[0]["node"]["viewerFoundHelpful"]) == (1, False)

    graphql.login(commenter)
    assert codes(data_of(graphql(MARK, {"id": comment_gid(comment)}))["markHelpful"]) == [
        ("commentId", "SELF_ACTION")
    ]

    graphql.login(author)
    assert data_of(graphql(UNMARK, {"id": comment_gid(comment)}))["unmarkHelpful"] == {
        "comment": {"helpfulCount": 0, "viewerFoundHelpful": False},
        "errors": [],
    }
    assert data_of(graphql(UNMARK, {"id": comment_gid(comment)}))["unmarkHelpful"]["errors"] == []


def test_the_thread_is_oldest_first_with_live_replies_only(graphql, case, author, commenter):
    first = comment_on(case, commenter, "Thứ nhất")
    second = comment_on(case, author, "Thứ hai")
    comment_on(case, author, "Trả lời 1", parent=first)
    hidden = comment_on(case, author, "Trả lời ẩn", parent=first)
    Comment.objects.filter(pk=hidden.pk).update(hidden_at=timezone.now(), hidden_reason="spam")
    comment_on(case, commenter, "Trả lời 2", parent=first)
    graphql.login(factories.doctor())
    edges = data_of(graphql(THREAD, {"caseId": case_gid(case)}))["comments"]["edges"]
    assert [edge["node"]["id"] for edge in edges] == [comment_gid(first), comment_gid(second)]
    assert [reply["body"] for reply in edges[0]["node"]["replies"]] == ["Trả lời 1", "Trả lời 2"]
    assert edges[1]["node"]["replies"] == []
