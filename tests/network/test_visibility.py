"""The visibility rule on every path: a case the viewer may not see is null, empty, NOT_FOUND or
404 wherever it could leak (``case``, ``node`` for the case, its comments and attachments,
``comments``, commenting, reporting, "helpful" marks, downloading, being mentioned), exactly as
if it did not exist. A control proves each path does show a case the viewer may see."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.utils import timezone

from accounts.models import User, VerificationStatus
from network.models import (
    Case,
    CaseAttachment,
    Comment,
    ContentReport,
    HelpfulReaction,
    Mention,
    Notification,
)
from tests import factories
from tests.graphql import conftest as graphql_conftest
from tests.graphql.conftest import data_of, gid
from tests.network.test_cases_builders import (
    PDF,
    block,
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

CASE = "query ($id: ID!) { case(id: $id) { id title } }"
NODE = "query ($id: ID!) { node(id: $id) { id } }"
COMMENTS = (
    "query ($caseId: ID!) { comments(caseId: $caseId, first: 10) { totalCount edges { node { id } } } }"
)
ADD_COMMENT = """mutation ($input: AddCommentInput!) { addComment(input: $input) {
    comment { id } errors { field code message } } }"""
REPORT_CASE = """mutation ($caseId: ID!) { reportCase(caseId: $caseId, reason: SPAM) {
    report { id } errors { field code } } }"""
REPORT_COMMENT = """mutation ($commentId: ID!) { reportComment(commentId: $commentId, reason: SPAM) {
    report { id } errors { field code } } }"""
MARK_HELPFUL = """mutation ($commentId: ID!) { markHelpful(commentId: $commentId) {
    comment { id } errors { field code } } }"""


@dataclass
class Situation:
    name: str
    case: Case
    viewer: User
    comment: Comment
    attachment: CaseAttachment
    # Refusal expected from a mutation: NOT_FOUND, or NOT_VERIFIED for a viewer who is not a
    # verified doctor (refused before anything is looked up).
    refusal: tuple[str | None, str]


def _situation(name: str) -> Situation:
    author = factories.doctor()
    viewer = factories.doctor()
    now = timezone.now()
    case_kwargs: dict = {}
    if name == "named_case_not_for_viewer":
        case_kwargs = {"visibility": Case.Visibility.NAMED, "audience": (factories.doctor(),)}
    elif name == "connections_case_of_a_non_connection":
        connect(author, factories.doctor())
        case_kwargs = {"visibility": Case.Visibility.CONNECTIONS}
    elif name == "author_blocked_viewer":
        block(author, viewer)
    elif name == "viewer_blocked_author":
        block(viewer, author)
    elif name == "hidden_by_moderation":
        case_kwargs = {"hidden_at": now, "hidden_reason": "Có tên bệnh nhân"}
    elif name == "deleted_by_author":
        case_kwargs = {"deleted_at": now}
    elif name == "draft_of_someone_else":
        case_kwargs = {"status": Case.Status.DRAFT}
    elif name == "unverified_viewer":
        viewer = factories.doctor(status=VerificationStatus.PENDING)
    elif name == "revoked_viewer":
        viewer = factories.doctor(status=VerificationStatus.REVOKED)
    elif name != "visible_control":
        raise AssertionError(name)
    case = published_case(author, **case_kwargs)
    comment = comment_on(case, author)
    attachment = CaseAttachment(case=case, content_type="application/pdf", size=len(PDF))
    attachment.file.save("a.pdf", ContentFile(PDF))  # a real file: a 404 must come from the rule
    verified = viewer.verification_status == VerificationStatus.VERIFIED
    refusal = ("caseId", "NOT_FOUND") if verified else (None, "NOT_VERIFIED")
    return Situation(name, case, viewer, comment, attachment, refusal)


HIDDEN_FROM_VIEWER = [
    "named_case_not_for_viewer",
    "connections_case_of_a_non_connection",
    "author_blocked_viewer",
    "viewer_blocked_author",
    "hidden_by_moderation",
    "deleted_by_author",
    "draft_of_someone_else",
    "unverified_viewer",
    "revoked_viewer",
]
# Situations in which the author may still comment on the case (and so try to mention).
AUTHOR_CAN_COMMENT = {
    "named_case_not_for_viewer",
    "connections_case_of_a_non_connection",
    "author_blocked_viewer",
    "viewer_blocked_author",
    "unverified_viewer",
    "revoked_viewer",
    "visible_control",
}


@pytest.fixture(params=HIDDEN_FROM_VIEWER)
def hidden(request, graphql) -> Situation:
    situation = _situation(request.param)
    graphql.login(situation.viewer)
    return situation


@pytest.fixture
def visible(graphql) -> Situation:
    situation = _situation("visible_control")
    graphql.login(situation.viewer)
    return situation


def test_case_query_is_null(graphql, hidden):
    assert data_of(graphql(CASE, {"id": case_gid(hidden.case)}))["case"] is None


def test_node_lookup_of_the_case_its_comment_and_attachment_is_null(graphql, hidden):
    for global_id in (
        case_gid(hidden.case),
        comment_gid(hidden.comment),
        gid("CaseAttachment", hidden.attachment.pk),
    ):
        assert data_of(graphql(NODE, {"id": global_id}))["node"] is None


def test_comments_query_is_empty(graphql, hidden):
    assert data_of(graphql(COMMENTS, {"caseId": case_gid(hidden.case)}))["comments"] == {
        "totalCount": 0,
        "edges": [],
    }


def test_commenting_is_refused_as_not_found(graphql, hidden):
    payload = data_of(graphql(ADD_COMMENT, {"input": {"caseId": case_gid(hidden.case), "body": "Ý kiến"}}))[
        "addComment"
    ]
    assert codes(payload) == [hidden.refusal]
    assert Comment.objects.filter(author=hidden.viewer).count() == 0


def test_replying_to_its_comment_is_refused(graphql, hidden):
    variables = {
        "input": {"caseId": case_gid(hidden.case), "body": "Ý kiến", "parentId": comment_gid(hidden.comment)}
    }
    assert codes(data_of(graphql(ADD_COMMENT, variables))["addComment"]) == [hidden.refusal]


def test_reporting_the_case_or_its_comment_is_refused_as_not_found(graphql, hidden):
    payload = data_of(graphql(REPORT_CASE, {"caseId": case_gid(hidden.case)}))["reportCase"]
    assert codes(payload) == [hidden.refusal]
    payload = data_of(graphql(REPORT_COMMENT, {"commentId": comment_gid(hidden.comment)}))["reportComment"]
    field, code = hidden.refusal
    assert codes(payload) == [("commentId" if field else None, code)]
    assert not ContentReport.objects.exists()


def test_marking_its_comment_helpful_is_refused_as_not_found(graphql, hidden):
    payload = data_of(graphql(MARK_HELPFUL, {"commentId": comment_gid(hidden.comment)}))["markHelpful"]
    field, code = hidden.refusal
    assert codes(payload) == [("commentId" if field else None, code)]
    assert not HelpfulReaction.objects.exists()


def test_its_attachment_cannot_be_downloaded(hidden):
    client = Client()
    client.force_login(hidden.viewer)
    assert client.get(f"/network/attachments/{hidden.attachment.pk}/").status_code == 404


def test_the_viewer_cannot_be_mentioned_on_it(graphql, hidden):
    graphql.login(hidden.case.author)
    variables = {
        "input": {
            "caseId": case_gid(hidden.case),
            "body": "Ý kiến?",
            "mentionIds": [doctor_gid(hidden.viewer)],
        }
    }
    payload = data_of(graphql(ADD_COMMENT, variables))["addComment"]
    assert payload["comment"] is None
    if hidden.name in AUTHOR_CAN_COMMENT and hidden.viewer.verification_status == VerificationStatus.VERIFIED:
        assert codes(payload) == [("mentionIds", "MENTION_NOT_VISIBLE")]
        assert hidden.viewer.full_name in payload["errors"][0]["message"]
    else:
        assert payload["errors"]  # the author cannot comment there, or the viewer is no doctor to name
    assert not Mention.objects.exists()
    assert not Notification.objects.filter(recipient=hidden.viewer).exists()


# --- The control: every path above shows a case the viewer may see ------------------------------


def test_a_visible_case_is_shown_on_every_path(graphql, visible):
    assert data_of(graphql(CASE, {"id": case_gid(visible.case)}))["case"]["id"] == case_gid(visible.case)
    for global_id in (
        case_gid(visible.case),
        comment_gid(visible.comment),
        gid("CaseAttachment", visible.attachment.pk),
    ):
        assert data_of(graphql(NODE, {"id": global_id}))["node"] == {"id": global_id}
    assert data_of(graphql(COMMENTS, {"caseId": case_gid(visible.case)}))["comments"]["totalCount"] == 1
    reply = {"caseId": case_gid(visible.case), "body": "Ý kiến", "parentId": comment_gid(visible.comment)}
    assert data_of(graphql(ADD_COMMENT, {"input": reply}))["addComment"]["errors"] == []
    assert data_of(graphql(REPORT_CASE, {"caseId": case_gid(visible.case)}))["reportCase"]["errors"] == []
    assert (
        data_of(graphql(REPORT_COMMENT, {"commentId": comment_gid(visible.comment)}))["reportComment"][
            "errors"
        ]
        == []
    )
    assert (
        data_of(graphql(MARK_HELPFUL, {"commentId": comment_gid(visible.comment)}))["markHelpful"]["errors"]
        == []
    )
    client = Client()
    client.force_login(visible.viewer)
    assert client.get(f"/network/attachments/{visible.attachment.pk}/").status_code == 200

    graphql.login(visible.case.author)
    mention = {
        "caseId": case_gid(visible.case),
        "body": "Ý kiến?",
        "mentionIds": [doctor_gid(visible.viewer)],
    }
    assert data_of(graphql(ADD_COMMENT, {"input": mention}))["addComment"]["errors"] == []
    assert Mention.objects.filter(doctor=visible.viewer).exists()
