"""Reporting and moderation: one open report per reporter and target, the moderators' queue,
hiding content with a reason (reports resolved, author told), dismissing; all audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit.models import AuditEvent
from network.models import Case, Comment, ContentReport, Notification, NotificationKind
from tests import factories
from tests.graphql import conftest as graphql_conftest
from tests.graphql.conftest import data_of, gid
from tests.network.test_cases_builders import (
    PRESENTING_PROBLEM,
    QUESTION,
    TITLE,
    case_gid,
    codes,
    comment_gid,
    comment_on,
    moderator,
    published_case,
)

pytestmark = pytest.mark.django_db

graphql = graphql_conftest.graphql

REPORT_CASE = """mutation ($caseId: ID!, $reason: ReportReason!, $details: String) {
    reportCase(caseId: $caseId, reason: $reason, details: $details) {
        report { id reason status details reporter { id } case { id } } errors { field code }
} }"""
REPORT_COMMENT = """mutation ($commentId: ID!, $reason: ReportReason!) {
    reportComment(commentId: $commentId, reason: $reason) { report { id status comment { id } } errors { field code } }
}"""
HIDE_CASE = """mutation ($caseId: ID!, $reason: String!) { hideCase(caseId: $caseId, reason: $reason) {
    hiddenCaseId resolvedReports { id status resolutionNote } errors { field code }
} }"""
HIDE_COMMENT = """mutation ($commentId: ID!, $reason: String!) { hideComment(commentId: $commentId, reason: $reason) {
    hiddenCommentId resolvedReports { id status } errors { field code }
} }"""
DISMISS = """mutation ($reportId: ID!, $note: String) { dismissReport(reportId: $reportId, note: $note) {
    report { id status resolutionNote } errors { field code }
} }"""
QUEUE = """query ($first: Int!) { moderationQueue(first: $first) {
    totalCount
    edges { node { id reason details createdAt
        reporter { id fullName facility { name } specialties { code } }
        case { id title presentingProblem visibility commentCount author { fullName facility { name } }
               attachments { id } firstComments { id } }
        comment { id body author { fullName specialties { code } } }
    } }
} }"""
CASE = "query ($id: ID!) { case(id: $id) { id } }"
THREAD = (
    "query ($caseId: ID!) { comments(caseId: $caseId, first: 10) { edges { node { id body isDeleted } } } }"
)


@pytest.fixture
def author(db):
    return factories.doctor()


@pytest.fixture
def case(author):
    return published_case(author)


@pytest.fixture
def reporter(db):
    return factories.doctor()


@pytest.fixture
def mod(db):
    return moderator()


def report(graphql, case, reason="PATIENT_IDENTIFIABLE", details="Có tên bệnh nhân"):
    return data_of(graphql(REPORT_CASE, {"caseId": case_gid(case), "reason": reason, "details": details}))[
        "reportCase"
    ]


# --- Reporting -------------------------------------------------------------------------------


def test_a_doctor_reports_a_case_once_while_the_report_is_open(graphql, case, reporter):
    graphql.login(reporter)
    payload = report(graphql, case)
    assert payload["errors"] == []
    assert payload["report"]["status"] == "OPEN"
    assert payload["report"]["reason"] == "PATIENT_IDENTIFIABLE"
    assert payload["report"]["reporter"] is None  # shown to moderators only
    assert payload["report"]["case"] == {"id": case_gid(case)}
    assert codes(report(graphql, case, reason="SPAM")) == [(None, "ALREADY_REPORTED")]
    assert ContentReport.objects.count() == 1


def test_a_doctor_may_report_again_once_the_first_report_is_resolved(graphql, case, reporter, mod):
    graphql.login(reporter)
    report(graphql, case)
    ContentReport.objects.update(status=ContentReport.Status.DISMISSED, resolved_by=mod)
    assert report(graphql, case)["errors"] == []
    assert ContentReport.objects.count() == 2


def test_a_comment_is_reported(graphql, case, reporter):
    comment = comment_on(case, factories.doctor())
    graphql.login(reporter)
    payload = data_of(graphql(REPORT_COMMENT, {"commentId": comment_gid(comment), "reason": "ABUSIVE"}))[
        "reportComment"
    ]
    assert payload["errors"] == []
    assert payload["report"]["comment"] == {"id": comment_gid(comment)}
    payload = data_of(graphql(REPORT_COMMENT, {"commentId": comment_gid(comment), "reason": "SPAM"}))[
        "reportComment"
    ]
    assert codes(payload) == [(None, "ALREADY_REPORTED")]


def test_ones_own_content_cannot_be_reported(graphql, case, author):
    comment = comment_on(case, author)
    graphql.login(author)
    assert codes(report(graphql, case)) == [("caseId", "SELF_ACTION")]
    payload = data_of(graphql(REPORT_COMMENT, {"commentId": comment_gid(comment), "reason": "SPAM"}))[
        "reportComment"
    ]
    assert codes(payload) == [("commentId", "SELF_ACTION")]


def test_an_unverified_doctor_cannot_report(graphql, case):
    graphql.login(factories.doctor(status="pending"))
    assert codes(report(graphql, case)) == [(None, "NOT_VERIFIED")]


# --- The queue -----------------------------------------------------------------------------------


def test_the_queue_is_for_moderators_only(graphql, reporter):
    graphql.login(reporter)
    result = graphql(QUEUE, {"first": 10})
    assert result["errors"][0]["extensions"]["code"] == "NOT_MODERATOR"
    assert result["data"]["moderationQueue"] is None


def test_the_queue_lists_open_reports_oldest_first_whatever_the_cases_visibility(graphql, author, mod):
    named = published_case(author, visibility=Case.Visibility.NAMED, audience=(factories.doctor(),))
    network = published_case(author)
    comment = comment_on(network, factories.doctor())
    now = timezone.now()
    newest = ContentReport.objects.create(
        reporter=factories.doctor(), case=network, reason="spam", created_at=now
    )
    oldest = ContentReport.objects.create(
        reporter=factories.doctor(), case=named, reason="other", created_at=now - timedelta(hours=2)
    )
    middle = ContentReport.objects.create(
        reporter=factories.doctor(), comment=comment, reason="abusive", created_at=now - timedelta(hours=1)
    )
    ContentReport.objects.create(
        reporter=factories.doctor(), case=network, reason="spam", status=ContentReport.Status.DISMISSED
    )
    graphql.login(mod)
    nodes = [edge["node"] for edge in data_of(graphql(QUEUE, {"first": 10}))["moderationQueue"]["edges"]]
    assert [node["id"] for node in nodes] == [gid("ContentReport", r.pk) for r in (oldest, middle, newest)]
    assert nodes[0]["case"]["id"] == case_gid(named)  # a moderator reviews what they could not see
    assert nodes[0]["reporter"] is not None
    assert nodes[1]["comment"]["id"] == comment_gid(comment)
    assert nodes[1]["case"]["id"] == case_gid(network)  # the comment's case, for context


def test_the_queue_costs_the_same_for_2_and_30_reports(graphql, author, mod, django_assert_max_num_queries):
    specialty = factories.specialty()
    for n in range(15):
        case = published_case(author, title=f"{TITLE} {n}")
        comment = comment_on(case, factories.doctor())
        comment_on(case, factories.doctor())
        reporter = factories.doctor()
        reporter.specialties.add(specialty)
        ContentReport.objects.create(reporter=reporter, case=case, reason="spam")
        ContentReport.objects.create(reporter=reporter, comment=comment, reason="abusive")
    graphql.login(mod)
    # Two: the smallest page holding both kinds of report (a case's, a comment's).
    with CaptureQueriesContext(connection) as small:
        data = data_of(graphql(QUEUE, {"first": 2}))
    assert {bool(edge["node"]["comment"]) for edge in data["moderationQueue"]["edges"]} == {True, False}
    with django_assert_max_num_queries(len(small)):
        data = data_of(graphql(QUEUE, {"first": 30}))
    edges = data["moderationQueue"]["edges"]
    assert len(edges) == 30
    assert all(edge["node"]["case"]["commentCount"] == 2 for edge in edges)


# --- Hiding and dismissing -------------------------------------------------------------------------


def test_hiding_a_case_resolves_its_reports_tells_the_author_and_is_audited(graphql, case, author, mod):
    first = ContentReport.objects.create(
        reporter=factories.doctor(), case=case, reason="patient_identifiable"
    )
    second = ContentReport.objects.create(reporter=factories.doctor(), case=case, reason="other")
    graphql.login(mod)
    payload = data_of(
        graphql(HIDE_CASE, {"caseId": case_gid(case), "reason": "Có thông tin nhận diện bệnh nhân"})
    )["hideCase"]
    assert payload["errors"] == []
    assert payload["hiddenCaseId"] == case_gid(case)
    assert [r["id"] for r in payload["resolvedReports"]] == [
        gid("ContentReport", first.pk),
        gid("ContentReport", second.pk),
    ]
    assert {r["status"] for r in payload["resolvedReports"]} == {"HIDDEN"}

    case.refresh_from_db()
    assert case.hidden_at is not None and case.hidden_reason == "Có thông tin nhận diện bệnh nhân"
    assert set(ContentReport.objects.values_list("resolved_by", flat=True)) == {mod.pk}
    event = AuditEvent.objects.get(action="case.hidden")
    assert (event.actor_id, event.target_id) == (mod.pk, str(case.pk))
    assert sorted(event.details["reports"]) == [first.pk, second.pk]

    notification = Notification.objects.get(recipient=author)
    assert notification.kind == NotificationKind.CONTENT_MODERATED
    assert notification.actor_id is None  # moderators stay anonymous
    assert not any(text in notification.title for text in (TITLE, PRESENTING_PROBLEM, QUESTION))

    for viewer in (author, factories.doctor(), mod):  # gone everywhere, for its author too
        graphql.login(viewer)
        assert data_of(graphql(CASE, {"id": case_gid(case)}))["case"] is None


def test_hiding_a_comment_leaves_a_tombstone_where_replies_need_it(graphql, case, mod):
    commenter = factories.doctor()
    comment = comment_on(case, commenter)
    comment_on(case, factories.doctor(), "Không đồng ý", parent=comment)
    ContentReport.objects.create(reporter=factories.doctor(), comment=comment, reason="abusive")
    graphql.login(mod)
    payload = data_of(
        graphql(HIDE_COMMENT, {"commentId": comment_gid(comment), "reason": "Thiếu chuyên nghiệp"})
    )["hideComment"]
    assert payload["errors"] == []
    assert [r["status"] for r in payload["resolvedReports"]] == ["HIDDEN"]
    assert AuditEvent.objects.filter(action="comment.hidden", target_id=str(comment.pk), actor=mod).exists()
    assert Notification.objects.get(recipient=commenter).kind == NotificationKind.CONTENT_MODERATED

    graphql.login(commenter)
    (edge,) = data_of(graphql(THREAD, {"caseId": case_gid(case)}))["comments"]["edges"]
    assert edge["node"] == {"id": comment_gid(comment), "body": None, "isDeleted": True}


def test_hiding_the_accepted_answer_reopens_the_question(graphql, author, mod):
    case = published_case(author, status=Case.Status.ANSWERED)
    answer = comment_on(case, factories.doctor())
    Case.objects.filter(pk=case.pk).update(accepted_answer=answer)
    graphql.login(mod)
    assert (
        data_of(graphql(HIDE_COMMENT, {"commentId": comment_gid(answer), "reason": "Sai"}))["hideComment"][
            "errors"
        ]
        == []
    )
    case.refresh_from_db()
    assert (case.status, case.accepted_answer_id) == (Case.Status.OPEN, None)


def test_a_report_is_dismissed_once_and_the_dismissal_audited(graphql, case, mod):
    filed = ContentReport.objects.create(reporter=factories.doctor(), case=case, reason="spam")
    graphql.login(mod)
    payload = data_of(
        graphql(DISMISS, {"reportId": gid("ContentReport", filed.pk), "note": "Không vi phạm"})
    )["dismissReport"]
    assert payload == {
        "report": {
            "id": gid("ContentReport", filed.pk),
            "status": "DISMISSED",
            "resolutionNote": "Không vi phạm",
        },
        "errors": [],
    }
    assert AuditEvent.objects.filter(action="report.dismissed", target_id=str(filed.pk), actor=mod).exists()
    payload = data_of(graphql(DISMISS, {"reportId": gid("ContentReport", filed.pk)}))["dismissReport"]
    assert codes(payload) == [(None, "ALREADY_RESOLVED")]
    case.refresh_from_db()
    assert case.hidden_at is None


def test_only_moderators_hide_or_dismiss(graphql, case, author):
    comment = comment_on(case, author)
    filed = ContentReport.objects.create(reporter=factories.doctor(), case=case, reason="spam")
    graphql.login(factories.doctor())
    for document, variables, name in (
        (HIDE_CASE, {"caseId": case_gid(case), "reason": "x"}, "hideCase"),
        (HIDE_COMMENT, {"commentId": comment_gid(comment), "reason": "x"}, "hideComment"),
        (DISMISS, {"reportId": gid("ContentReport", filed.pk)}, "dismissReport"),
    ):
        assert codes(data_of(graphql(document, variables))[name]) == [(None, "NOT_MODERATOR")]
    case.refresh_from_db()
    assert case.hidden_at is None
    assert Comment.objects.get(pk=comment.pk).hidden_at is None
    assert not AuditEvent.objects.filter(
        action__in=["case.hidden", "comment.hidden", "report.dismissed"]
    ).exists()


def test_hiding_needs_a_reason(graphql, case, mod):
    graphql.login(mod)
    payload = data_of(graphql(HIDE_CASE, {"caseId": case_gid(case), "reason": "  "}))["hideCase"]
    assert codes(payload) == [("reason", "REQUIRED")]
    case.refresh_from_db()
    assert case.hidden_at is None
