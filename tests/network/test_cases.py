"""Case posts: writing a de-identified draft, editing with history, publishing, visibility and
the named audience, status moves, the accepted answer, soft deletion."""

from __future__ import annotations

import pytest

from accounts.models import VerificationStatus
from audit.models import AuditEvent
from common.errors import ServiceError
from network.models import Case, CaseAttachment, CaseRevision, Comment, Notification, NotificationKind
from network.services import cases as services
from tests import factories
from tests.graphql import conftest as graphql_conftest
from tests.graphql.conftest import data_of, gid
from tests.network.test_cases_builders import (
    PRESENTING_PROBLEM,
    QUESTION,
    TITLE,
    block,
    case_fields,
    case_gid,
    case_input,
    codes,
    comment_on,
    doctor_gid,
    published_case,
)

pytestmark = pytest.mark.django_db

# The fixture of tests/graphql: operations as ``graphql.login(user)``, over HTTP.
graphql = graphql_conftest.graphql

CREATE = """mutation ($input: CreateCaseInput!) { createCase(input: $input) {
    case { id title status visibility ageBand sex icd10Codes tags presentingProblem question
           author { id } specialty { code } viewerCanEdit commentCount firstComments { id }
           audience { id } consentBy consentMethod publishedAt }
    errors { field code message spans { start end kind text } }
} }"""
UPDATE = """mutation ($caseId: ID!, $input: UpdateCaseInput!) { updateCase(caseId: $caseId, input: $input) {
    case { id title history visibility revisions { editedAt changedFields title history } }
    errors { field code message spans { start end kind text } }
} }"""
PUBLISH = """mutation ($caseId: ID!) { publishCase(caseId: $caseId) {
    case { id status publishedAt } errors { field code message }
} }"""
CLOSE = """mutation ($caseId: ID!) { closeCase(caseId: $caseId) { case { status } errors { code } } }"""
REOPEN = """mutation ($caseId: ID!) { reopenCase(caseId: $caseId) { case { status } errors { code } } }"""
ACCEPT = """mutation ($caseId: ID!, $commentId: ID!) { acceptAnswer(caseId: $caseId, commentId: $commentId) {
    case { status acceptedAnswer { id body } } errors { field code }
} }"""
DELETE = """mutation ($caseId: ID!) { deleteCase(caseId: $caseId) { deletedCaseId errors { code } } }"""
CASE = "query ($id: ID!) { case(id: $id) { id title status } }"
MY_CASES = "query { cases(first: 10) { totalCount edges { node { id title status } } } }"


# --- Writing a draft -------------------------------------------------------------------------


def test_a_verified_doctor_writes_a_draft_only_they_can_see(graphql, verified_doctor):
    graphql.login(verified_doctor)
    payload = data_of(graphql(CREATE, {"input": case_input(icd10Codes=["i21.0", "I10"], tags=["STEMI"])}))[
        "createCase"
    ]
    assert payload["errors"] == []
    case = payload["case"]
    assert case["status"] == "DRAFT"
    assert case["publishedAt"] is None
    assert case["visibility"] == "NETWORK"
    assert case["ageBand"] == "ADULT_45_59"
    assert case["icd10Codes"] == ["I21.0", "I10"]  # normalised to upper case
    assert case["author"] == {"id": doctor_gid(verified_doctor)}
    assert case["viewerCanEdit"] is True
    assert case["commentCount"] == 0
    assert case["audience"] == []

    stored = Case.objects.get()
    assert stored.title == TITLE
    assert AuditEvent.objects.filter(action="case.created", target_id=str(stored.pk)).exists()

    graphql.login(factories.doctor())
    assert data_of(graphql(CASE, {"id": case["id"]}))["case"] is None


def test_an_unverified_doctor_cannot_write_a_case(graphql):
    graphql.login(factories.doctor(status=VerificationStatus.PENDING))
    payload = data_of(graphql(CREATE, {"input": case_input()}))["createCase"]
    assert codes(payload) == [(None, "NOT_VERIFIED")]
    assert not Case.objects.exists()


def test_patient_identifiers_are_refused_with_every_span_and_nothing_is_stored(graphql, verified_doctor):
    graphql.login(verified_doctor)
    history = "Bệnh nhân Nguyễn Văn An, SĐT 0912 345 678, vào viện vì đau ngực"
    payload = data_of(
        graphql(
            CREATE,
            {
                "input": case_input(
                    history=history, question="CCCD 001085012345 có cần không?", tags=["0987654321"]
                )
            },
        )
    )["createCase"]
    assert payload["case"] is None
    by_field = {error["field"]: error for error in payload["errors"]}
    assert set(by_field) == {"history", "question", "tags"}
    assert all(error["code"] == "PATIENT_IDENTIFIER" for error in payload["errors"])
    assert by_field["history"]["spans"] == [
        {"start": 10, "end": 23, "kind": "PATIENT_NAME", "text": "Nguyễn Văn An"},
        {"start": 29, "end": 41, "kind": "PHONE_NUMBER", "text": "0912 345 678"},
    ]
    assert by_field["question"]["spans"] == [
        {"start": 5, "end": 17, "kind": "CITIZEN_ID", "text": "001085012345"}
    ]
    assert [span["kind"] for span in by_field["tags"]["spans"]] == ["PHONE_NUMBER"]
    # The spans index the text as the client sent it.
    for span in by_field["history"]["spans"]:
        assert history[span["start"] : span["end"]] == span["text"]
    assert not Case.objects.exists()
    assert not AuditEvent.objects.filter(action="case.created").exists()


def test_spans_index_the_submitted_text_even_with_leading_spaces(verified_doctor):
    text = "   BN Trần Thị B vào viện vì sốt"
    with pytest.raises(ServiceError) as refusal:
        services.create_case(verified_doctor, **case_fields(presenting_problem=text))
    (error,) = refusal.value.errors
    (span,) = error.spans
    assert (error.field, span.kind) == ("presentingProblem", "PATIENT_NAME")
    assert text[span.start : span.end] == span.text == "Trần Thị B"
    assert not Case.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"icd10_codes": ["I21.0", "21.0", "ABC"]}, "icd10Codes", "INVALID"),
        ({"icd10_codes": [f"A{n:02d}" for n in range(11)]}, "icd10Codes", "INVALID"),
        ({"age_band": "58"}, "ageBand", "INVALID"),
        ({"sex": "unknown"}, "sex", "INVALID"),
        ({"title": "   "}, "title", "REQUIRED"),
        ({"question": ""}, "question", "REQUIRED"),
        ({"title": "x" * 201}, "title", "INVALID"),
        ({"history": "x" * 8001}, "history", "INVALID"),
        ({"tags": [f"tag{n}" for n in range(16)]}, "tags", "INVALID"),
        ({"tags": ["x" * 41]}, "tags", "INVALID"),
        ({"consent_by": "doctor"}, "consentBy", "INVALID"),
        ({"specialty_id": 999_999}, "specialtyId", "NOT_FOUND"),
        ({"visibility": "named"}, "audienceIds", "REQUIRED"),
    ],
)
def test_invalid_case_fields_are_refused(verified_doctor, overrides, field, code):
    with pytest.raises(ServiceError) as refusal:
        services.create_case(verified_doctor, **case_fields(**overrides))
    assert [(error.field, str(error.code)) for error in refusal.value.errors] == [(field, code)]
    assert not Case.objects.exists()


def test_icd10_codes_accept_the_usual_forms(verified_doctor):
    case = services.create_case(
        verified_doctor, **case_fields(icd10_codes=["I21", "e11.65", " J18.9 ", "I21"])
    )
    assert case.icd10_codes == ["I21", "E11.65", "J18.9"]


def test_every_problem_is_reported_at_once(verified_doctor):
    with pytest.raises(ServiceError) as refusal:
        services.create_case(
            verified_doctor, **case_fields(title="", sex="?", findings="gọi 0987 654 321 nhé")
        )
    assert sorted((error.field, str(error.code)) for error in refusal.value.errors) == [
        ("findings", "PATIENT_IDENTIFIER"),
        ("sex", "INVALID"),
        ("title", "REQUIRED"),
    ]


# --- The named audience ------------------------------------------------------------------------


def test_a_named_case_is_shown_to_its_audience_and_its_author_only(graphql, verified_doctor):
    mentor = factories.doctor()
    graphql.login(verified_doctor)
    payload = data_of(
        graphql(
            CREATE,
            {
                "input": case_input(
                    visibility="NAMED", audienceIds=[doctor_gid(mentor), doctor_gid(verified_doctor)]
                )
            },
        )
    )["createCase"]
    assert payload["errors"] == []
    assert payload["case"]["audience"] == [{"id": doctor_gid(mentor)}]  # the author is implicit
    case_id = payload["case"]["id"]
    assert data_of(graphql(PUBLISH, {"caseId": case_id}))["publishCase"]["errors"] == []

    graphql.login(mentor)
    assert data_of(graphql(CASE, {"id": case_id}))["case"]["id"] == case_id
    graphql.login(factories.doctor())
    assert data_of(graphql(CASE, {"id": case_id}))["case"] is None


@pytest.mark.parametrize("status", [VerificationStatus.PENDING, VerificationStatus.REVOKED])
def test_the_audience_must_be_verified_doctors(verified_doctor, status):
    unverified = factories.doctor(status=status)
    with pytest.raises(ServiceError) as refusal:
        services.create_case(
            verified_doctor,
            **case_fields(visibility=Case.Visibility.NAMED, audience_ids=[unverified.public_id]),
        )
    assert refusal.value.errors[0].field == "audienceIds"
    assert refusal.value.code == "NOT_FOUND"


def test_a_doctor_blocked_either_way_cannot_be_named(verified_doctor):
    blocker = factories.doctor()
    block(blocker, verified_doctor)
    with pytest.raises(ServiceError) as refusal:
        services.create_case(
            verified_doctor, **case_fields(visibility=Case.Visibility.NAMED, audience_ids=[blocker.public_id])
        )
    assert refusal.value.code == "NOT_FOUND"


def test_changing_visibility_away_from_named_clears_the_audience(verified_doctor):
    mentor = factories.doctor()
    case = services.create_case(
        verified_doctor, **case_fields(visibility=Case.Visibility.NAMED, audience_ids=[mentor.public_id])
    )
    services.update_case(verified_doctor, case.pk, visibility=Case.Visibility.CONNECTIONS)
    assert not case.audience.exists()
    revision = CaseRevision.objects.get(case=case)
    assert revision.previous == {"visibility": "named", "audience_ids": [str(mentor.public_id)]}


# --- Editing -----------------------------------------------------------------------------------


def test_an_edit_keeps_the_previous_version_and_is_audited(graphql, verified_doctor):
    case = services.create_case(verified_doctor, **case_fields(history="Tiền sử tăng huyết áp"))
    graphql.login(verified_doctor)
    payload = data_of(
        graphql(UPDATE, {"caseId": case_gid(case), "input": {"history": "Tiền sử tăng huyết áp 10 năm"}})
    )["updateCase"]
    assert payload["errors"] == []
    assert payload["case"]["history"] == "Tiền sử tăng huyết áp 10 năm"
    (revision,) = payload["case"]["revisions"]
    assert revision["changedFields"] == ["history"]
    assert revision["history"] == "Tiền sử tăng huyết áp"
    assert revision["title"] is None  # unchanged fields are not repeated

    event = AuditEvent.objects.get(action="case.edited", target_id=str(case.pk))
    assert event.actor_id == verified_doctor.pk
    assert event.details == {"fields": ["history"]}  # no clinical text in the audit log


def test_an_edit_that_changes_nothing_leaves_no_revision(verified_doctor):
    case = services.create_case(verified_doctor, **case_fields())
    services.update_case(verified_doctor, case.pk, title=f"  {TITLE} ")
    assert not CaseRevision.objects.exists()
    assert not AuditEvent.objects.filter(action="case.edited").exists()


def test_only_the_author_sees_the_revisions(graphql, verified_doctor):
    case = published_case(verified_doctor)
    services.update_case(verified_doctor, case.pk, title="Nam 58 tuổi đau ngực")
    graphql.login(factories.doctor())
    query = "query ($id: ID!) { case(id: $id) { title revisions { title } viewerCanEdit audience { id } } }"
    assert data_of(graphql(query, {"id": case_gid(case)}))["case"] == {
        "title": "Nam 58 tuổi đau ngực",
        "revisions": None,
        "viewerCanEdit": False,
        "audience": None,
    }


def test_another_doctor_cannot_edit(graphql, verified_doctor):
    case = published_case(factories.doctor())
    graphql.login(verified_doctor)
    payload = data_of(graphql(UPDATE, {"caseId": case_gid(case), "input": {"title": "Khác"}}))["updateCase"]
    assert codes(payload) == [(None, "NOT_AUTHOR")]
    case.refresh_from_db()
    assert case.title == TITLE


def test_an_edit_is_guarded_too_and_changes_nothing_when_refused(graphql, verified_doctor):
    case = published_case(verified_doctor)
    graphql.login(verified_doctor)
    payload = data_of(
        graphql(
            UPDATE, {"caseId": case_gid(case), "input": {"findings": "liên hệ 0912345678", "title": "Mới"}}
        )
    )["updateCase"]
    assert codes(payload) == [("findings", "PATIENT_IDENTIFIER")]
    assert payload["errors"][0]["spans"] == [
        {"start": 8, "end": 18, "kind": "PHONE_NUMBER", "text": "0912345678"}
    ]
    case.refresh_from_db()
    assert (case.title, case.findings) == (TITLE, "")
    assert not CaseRevision.objects.exists()


# --- Publishing and consent --------------------------------------------------------------------


def test_publishing_a_draft_opens_it_to_its_audience(graphql, verified_doctor):
    case = services.create_case(verified_doctor, **case_fields())
    graphql.login(verified_doctor)
    payload = data_of(graphql(PUBLISH, {"caseId": case_gid(case)}))["publishCase"]
    assert payload["errors"] == []
    assert payload["case"]["status"] == "OPEN"
    assert payload["case"]["publishedAt"] is not None
    assert AuditEvent.objects.filter(action="case.published", target_id=str(case.pk)).exists()
    graphql.login(factories.doctor())
    assert data_of(graphql(CASE, {"id": case_gid(case)}))["case"]["status"] == "OPEN"


def test_a_case_with_an_image_needs_consent_before_publishing(graphql, verified_doctor):
    case = services.create_case(verified_doctor, **case_fields())
    CaseAttachment.objects.create(case=case, file="cases/x.jpg", content_type="image/jpeg", size=10)
    graphql.login(verified_doctor)
    payload = data_of(graphql(PUBLISH, {"caseId": case_gid(case)}))["publishCase"]
    assert codes(payload) == [("consentBy", "CONSENT_REQUIRED")]
    case.refresh_from_db()
    assert case.status == Case.Status.DRAFT

    services.update_case(verified_doctor, case.pk, consent_by="patient", consent_method="written")
    payload = data_of(graphql(PUBLISH, {"caseId": case_gid(case)}))["publishCase"]
    assert payload["errors"] == []
    assert payload["case"]["status"] == "OPEN"


def test_a_case_with_only_a_pdf_needs_no_consent(verified_doctor):
    case = services.create_case(verified_doctor, **case_fields())
    CaseAttachment.objects.create(case=case, file="cases/x.pdf", content_type="application/pdf", size=10)
    assert services.publish_case(verified_doctor, case.pk).status == Case.Status.OPEN


def test_consent_cannot_be_withdrawn_from_a_published_case_with_images(graphql, verified_doctor):
    case = published_case(verified_doctor, consent_by="patient", consent_method="written")
    CaseAttachment.objects.create(case=case, file="cases/x.jpg", content_type="image/jpeg", size=10)
    graphql.login(verified_doctor)
    payload = data_of(graphql(UPDATE, {"caseId": case_gid(case), "input": {"clearConsent": True}}))[
        "updateCase"
    ]
    assert codes(payload) == [("consentBy", "CONSENT_REQUIRED")]
    case.refresh_from_db()
    assert case.consent_by == "patient"


# --- Status --------------------------------------------------------------------------------------


def test_status_moves_open_answered_closed_and_back(graphql, verified_doctor):
    case = published_case(verified_doctor)
    answerer = factories.doctor(full_name="Lê Minh Châu")
    answer = comment_on(case, answerer)
    graphql.login(verified_doctor)

    payload = data_of(
        graphql(ACCEPT, {"caseId": case_gid(case), "commentId": gid("Comment", answer.public_id)})
    )["acceptAnswer"]
    assert payload["errors"] == []
    assert payload["case"]["status"] == "ANSWERED"
    assert payload["case"]["acceptedAnswer"]["id"] == gid("Comment", answer.public_id)
    notification = Notification.objects.get(recipient=answerer)
    assert notification.kind == NotificationKind.ANSWER_ACCEPTED
    assert notification.comment_id == answer.pk
    assert QUESTION not in notification.title and PRESENTING_PROBLEM not in notification.title

    assert data_of(graphql(CLOSE, {"caseId": case_gid(case)}))["closeCase"]["case"]["status"] == "CLOSED"
    assert data_of(graphql(REOPEN, {"caseId": case_gid(case)}))["reopenCase"]["case"]["status"] == "ANSWERED"


@pytest.mark.parametrize(
    ("status", "document", "name"),
    [
        (Case.Status.OPEN, PUBLISH, "publishCase"),
        (Case.Status.DRAFT, CLOSE, "closeCase"),
        (Case.Status.CLOSED, CLOSE, "closeCase"),
        (Case.Status.OPEN, REOPEN, "reopenCase"),
        (Case.Status.ANSWERED, REOPEN, "reopenCase"),
    ],
)
def test_other_status_moves_are_refused(graphql, verified_doctor, status, document, name):
    case = published_case(verified_doctor, status=status)
    graphql.login(verified_doctor)
    payload = data_of(graphql(document, {"caseId": case_gid(case)}))[name]
    assert [error["code"] for error in payload["errors"]] == ["INVALID_TRANSITION"]
    case.refresh_from_db()
    assert case.status == status


def test_a_closed_case_without_an_answer_reopens_open(verified_doctor):
    case = published_case(verified_doctor, status=Case.Status.CLOSED)
    assert services.reopen_case(verified_doctor, case.pk).status == Case.Status.OPEN


def test_the_accepted_answer_is_another_doctors_live_top_level_comment(graphql, verified_doctor):
    case = published_case(verified_doctor)
    other = factories.doctor()
    own = comment_on(case, verified_doctor)
    top = comment_on(case, other)
    reply = comment_on(case, other, parent=top)
    deleted = comment_on(case, other)
    Comment.objects.filter(pk=deleted.pk).update(deleted_at=reply.created_at)
    elsewhere = comment_on(published_case(verified_doctor), other)
    graphql.login(verified_doctor)
    for comment, expected in (
        (own, [("commentId", "SELF_ACTION")]),
        (reply, [("commentId", "INVALID")]),
        (deleted, [("commentId", "NOT_FOUND")]),
        (elsewhere, [("commentId", "NOT_FOUND")]),
    ):
        payload = data_of(
            graphql(ACCEPT, {"caseId": case_gid(case), "commentId": gid("Comment", comment.public_id)})
        )["acceptAnswer"]
        assert codes(payload) == expected
    case.refresh_from_db()
    assert (case.status, case.accepted_answer_id) == (Case.Status.OPEN, None)


def test_only_the_author_accepts_an_answer(graphql, verified_doctor):
    case = published_case(factories.doctor())
    answer = comment_on(case, factories.doctor())
    graphql.login(verified_doctor)
    payload = data_of(
        graphql(ACCEPT, {"caseId": case_gid(case), "commentId": gid("Comment", answer.public_id)})
    )["acceptAnswer"]
    assert codes(payload) == [(None, "NOT_AUTHOR")]


# --- Deletion and "my cases" ------------------------------------------------------------------------


def test_a_deleted_case_disappears_everywhere_and_the_deletion_is_audited(graphql, verified_doctor):
    case = published_case(verified_doctor)
    reader = factories.doctor()
    graphql.login(verified_doctor)
    assert data_of(graphql(DELETE, {"caseId": case_gid(case)}))["deleteCase"] == {
        "deletedCaseId": case_gid(case),
        "errors": [],
    }
    case.refresh_from_db()
    assert case.deleted_at is not None
    assert AuditEvent.objects.filter(
        action="case.deleted", target_id=str(case.pk), actor=verified_doctor
    ).exists()
    assert data_of(graphql(CASE, {"id": case_gid(case)}))["case"] is None
    assert data_of(graphql(MY_CASES))["cases"]["totalCount"] == 0
    graphql.login(reader)
    assert data_of(graphql(CASE, {"id": case_gid(case)}))["case"] is None
    # Deleting again: it no longer exists for anyone.
    graphql.login(verified_doctor)
    assert data_of(graphql(DELETE, {"caseId": case_gid(case)}))["deleteCase"]["errors"] == [
        {"code": "NOT_FOUND"}
    ]


def test_my_cases_lists_my_drafts_and_published_cases_only(graphql, verified_doctor):
    draft = services.create_case(verified_doctor, **case_fields(title="Bản nháp"))
    published = published_case(verified_doctor, title="Đã đăng")
    published_case(factories.doctor(), title="Của người khác")
    graphql.login(verified_doctor)
    nodes = [edge["node"] for edge in data_of(graphql(MY_CASES))["cases"]["edges"]]
    assert {node["id"] for node in nodes} == {case_gid(draft), case_gid(published)}


def test_my_cases_needs_a_verified_doctor(graphql):
    graphql.login(factories.doctor(status=VerificationStatus.UNVERIFIED))
    result = graphql(MY_CASES)
    assert result["errors"][0]["extensions"]["code"] == "NOT_VERIFIED"
