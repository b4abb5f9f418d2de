"""The referral API end to end over /graphql/: request, claim from a queue, answer, close;
refusals as data with stable codes; visibility; query counts at two page sizes."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from facilities.models import Tier
from network.services.cases import add_attachment
from network.services.moderation import hide_case
from referrals.models import Referral
from tests import factories
from tests.graphql import conftest as graphql_conftest
from tests.graphql.conftest import data_of, gid
from tests.network.test_cases_builders import moderator
from tests.referrals.conftest import advance, doctor_with_specialty, refer

pytestmark = pytest.mark.django_db
graphql = graphql_conftest.graphql

FIELDS = """
  id status urgency question responseDueAt responseOverdue escalationLevel
  requester { fullName facility { name } } consultant { fullName }
  targetDoctor { fullName } targetFacility { name } specialty { code }
  case { title } record { sha256 downloadPath }
"""
REQUEST = f"""
mutation($input: ID!, $facility: ID, $urgency: RequestedUrgency!, $question: String!) {{
  requestReferral(caseId: $input, facilityId: $facility, urgency: $urgency, question: $question) {{
    referral {{ {FIELDS} }}
    errors {{ field code message spans {{ start end kind text }} }}
  }}
}}"""
STEP = """
mutation($id: ID!) {{ {name}(id: $id) {{ referral {{ id status consultant {{ fullName }} }} errors {{ code field }} }} }}
"""
COMPLETE = """
mutation($id: ID!) {
  completeReferral(id: $id, assessment: "Đau thắt ngực ổn định.", recommendation: "Tối ưu điều trị nội khoa.",
                   transferAdvised: false, followUpPlan: "Tái khám 2 tuần.") {
    referral { status record { sha256 downloadPath } fhir }
    errors { code field }
  }
}"""
QUEUE = (
    f"query($first: Int!) {{ referralQueue(first: $first) {{ totalCount edges {{ node {{ {FIELDS} }} }} }} }}"
)
MINE = f"query($first: Int!) {{ myReferrals(first: $first, role: REQUESTER) {{ totalCount edges {{ node {{ {FIELDS} }} }} }} }}"
# With the lists a card may show: one more query each (and the FHIR export: none), whatever the page size.
RICH = (
    "query($first: Int!) { referralQueue(first: $first) { edges { node { id "
    "requester { specialties { code } } informationRequests { question } fhir } } } }"
)

# The places below the parties, joined only when asked for.
PLACES = (
    "query($first: Int!) { referralQueue(first: $first) { edges { node { id "
    "requester { facility { province { name } } } targetFacility { province { name } } "
    "case { specialty { code } } } } } }"
)


def case_gid(case) -> str:
    return gid("Case", case.public_id)


def test_a_queued_referral_is_claimed_answered_and_closed(graphql, requester, consultant, case):
    graphql.login(requester)
    result = data_of(
        graphql(
            REQUEST,
            {
                "input": case_gid(case),
                "facility": gid("Facility", consultant.facility_id),
                "urgency": "URGENT",
                "question": "Xin hội chẩn về chỉ định chụp mạch vành.",
            },
        )
    )["requestReferral"]
    assert result["errors"] == []
    referral = result["referral"]
    assert referral["status"] == "REQUESTED" and referral["targetDoctor"] is None
    assert referral["targetFacility"]["name"] == consultant.facility.name

    graphql.login(consultant)
    queue = data_of(graphql(QUEUE, {"first": 10}))["referralQueue"]
    assert [edge["node"]["id"] for edge in queue["edges"]] == [referral["id"]]
    assert queue["edges"][0]["node"]["case"]["title"] == case.title
    claimed = data_of(graphql(STEP.format(name="acceptReferral"), {"id": referral["id"]}))["acceptReferral"]
    assert claimed["errors"] == [] and claimed["referral"]["status"] == "ACCEPTED"
    again = data_of(graphql(STEP.format(name="acceptReferral"), {"id": referral["id"]}))["acceptReferral"]
    assert again["referral"] is None and again["errors"] == [{"code": "ALREADY_CLAIMED", "field": "id"}]
    data_of(graphql(STEP.format(name="startReferral"), {"id": referral["id"]}))
    completed = data_of(graphql(COMPLETE, {"id": referral["id"]}))["completeReferral"]
    assert completed["errors"] == [] and completed["referral"]["status"] == "COMPLETED"
    assert len(completed["referral"]["record"]["sha256"]) == 64
    assert json.loads(completed["referral"]["fhir"])["resourceType"] == "Bundle"

    graphql.login(requester)
    closed = data_of(
        graphql(
            "mutation($id: ID!) { closeReferral(id: $id, transferAvoided: true, planChanged: true, usefulness: 5)"
            " { referral { status } errors { code } } }",
            {"id": referral["id"]},
        )
    )["closeReferral"]
    assert closed == {"referral": {"status": "COMPLETED"}, "errors": []}


def test_refusals_are_data_with_codes_and_spans(graphql, requester, consultant, case):
    graphql.login(requester)
    emergency = data_of(graphql(REQUEST, {"input": case_gid(case), "urgency": "EMERGENCY", "question": "?"}))[
        "requestReferral"
    ]
    assert emergency["referral"] is None
    assert [(e["code"], e["field"]) for e in emergency["errors"]] == [("EMERGENCY_NOT_REFERRAL", "urgency")]
    identified = data_of(
        graphql(
            REQUEST,
            {
                "input": case_gid(case),
                "facility": gid("Facility", consultant.facility_id),
                "urgency": "ROUTINE",
                "question": "Gọi con bệnh nhân số 0912345678.",
            },
        )
    )["requestReferral"]
    assert identified["errors"][0]["code"] == "PATIENT_IDENTIFIER"
    assert identified["errors"][0]["spans"][0]["text"] == "0912345678"
    graphql.login(consultant)
    referral = refer(requester, case, consultant)
    invalid = data_of(graphql(STEP.format(name="startReferral"), {"id": gid("Referral", referral.public_id)}))
    assert invalid["startReferral"]["errors"] == [{"code": "INVALID_TRANSITION", "field": "id"}]


def test_strangers_do_not_see_referrals(graphql, requester, consultant, case):
    referral = refer(requester, case, consultant)
    graphql.login(doctor_with_specialty(Tier.CENTRAL))
    found = data_of(
        graphql("query($id: ID!) { node(id: $id) { id } }", {"id": gid("Referral", referral.public_id)})
    )
    assert found["node"] is None
    graphql.login(consultant)
    found = data_of(
        graphql("query($id: ID!) { node(id: $id) { id } }", {"id": gid("Referral", referral.public_id)})
    )
    assert found["node"] is not None


@pytest.mark.parametrize(
    "query,field,viewer,queries",
    [
        (QUEUE, "referralQueue", "consultant", 4),
        (MINE, "myReferrals", "requester", 4),
        (RICH, "referralQueue", "consultant", 6),
        (PLACES, "referralQueue", "consultant", 4),
    ],
)
def test_query_counts_do_not_grow_with_the_page(
    graphql, django_assert_max_num_queries, requester, consultant, case, query, field, viewer, queries
):
    for _ in range(12):
        refer(requester, case, facility_id=consultant.facility_id)
    graphql.login(consultant if viewer == "consultant" else requester)
    for size in (2, 12):
        with django_assert_max_num_queries(queries):
            page = data_of(graphql(query, {"first": size}))[field]
        assert len(page["edges"]) == size


def test_targets_are_listed(graphql, requester):
    graphql.login(requester)
    targets = data_of(graphql("{ referralTargets { urgency firstResponseHours completionHours } }"))[
        "referralTargets"
    ]
    assert {(t["urgency"], t["firstResponseHours"]) for t in targets} == {("URGENT", 4), ("ROUTINE", 48)}


def test_the_queue_joins_only_what_the_page_shows(graphql, requester, consultant, case):
    """Facilities' provinces and the case's specialty are joined when the query selects them,
    not otherwise: fewer joins, a statement cheaper to plan and run."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    refer(requester, case, facility_id=consultant.facility_id)
    graphql.login(consultant)
    with CaptureQueriesContext(connection) as plain:
        data_of(graphql(QUEUE, {"first": 5}))
    [page] = [
        q["sql"] for q in plain.captured_queries if q["sql"].startswith('SELECT "referrals_referral"."id"')
    ]
    assert "facilities_province" not in page
    with CaptureQueriesContext(connection) as placed:
        nodes = data_of(graphql(PLACES, {"first": 5}))["referralQueue"]["edges"]
    [page] = [
        q["sql"] for q in placed.captured_queries if q["sql"].startswith('SELECT "referrals_referral"."id"')
    ]
    assert page.count('"facilities_province"') >= 2
    assert nodes[0]["node"]["targetFacility"]["province"]["name"] == consultant.facility.province.name


DETAILED_REQUEST = """
mutation($case: ID!, $doctor: ID, $hours: Int, $codes: [String!]) {
  requestReferral(caseId: $case, doctorId: $doctor, urgency: ROUTINE, question: "Xin ý kiến điều trị.",
                  preferredResponseHours: $hours, icd10Codes: $codes) {
    referral { id preferredResponseHours icd10Codes }
    errors { field code message }
  }
}"""


def detailed_request(graphql, case, consultant, **variables):
    return data_of(
        graphql(
            DETAILED_REQUEST,
            {"case": case_gid(case), "doctor": gid("Doctor", consultant.public_id), **variables},
        )
    )["requestReferral"]


def test_the_preferred_response_time_and_codes_are_stored_and_returned(graphql, requester, consultant, case):
    graphql.login(requester)
    made = detailed_request(graphql, case, consultant, hours=24, codes=["i21.4", "E11"])
    assert made["errors"] == []
    assert made["referral"]["preferredResponseHours"] == 24
    assert made["referral"]["icd10Codes"] == ["I21.4", "E11"]

    graphql.login(consultant)
    shown = data_of(
        graphql(
            "query($id: ID!) { node(id: $id) { ... on Referral { preferredResponseHours icd10Codes } } }",
            {"id": made["referral"]["id"]},
        )
    )["node"]
    assert shown == {"preferredResponseHours": 24, "icd10Codes": ["I21.4", "E11"]}


def test_an_out_of_range_response_time_and_a_malformed_code_are_refused(graphql, requester, consultant, case):
    graphql.login(requester)
    refused = detailed_request(graphql, case, consultant, hours=0, codes=["I21.4", "đau ngực"])
    assert refused["referral"] is None
    assert {(e["field"], e["code"]) for e in refused["errors"]} == {
        ("preferredResponseHours", "INVALID"),
        ("icd10Codes", "INVALID"),
    }


ATTACHMENTS = """
query($id: ID!) {
  node(id: $id) { ... on Referral { case { title attachments { caption contentType url } } } }
}"""


def test_the_consultant_sees_the_cases_attachments_through_the_referral(
    graphql, client, requester, consultant, case
):
    add_attachment(requester, case.pk, factories.pdf_file("dien-tim.pdf"), caption="Điện tim lúc vào viện")
    referral = refer(requester, case, consultant)

    graphql.login(consultant)
    shown = data_of(graphql(ATTACHMENTS, {"id": gid("Referral", referral.public_id)}))["node"]["case"]
    [attachment] = shown["attachments"]
    assert (attachment["caption"], attachment["contentType"]) == ("Điện tim lúc vào viện", "application/pdf")
    downloaded = client.get(attachment["url"])
    assert downloaded.status_code == 200
    assert b"".join(downloaded.streaming_content).startswith(b"%PDF-")


def test_a_case_the_consultant_may_no_longer_open_hides_its_attachments(
    graphql, client, requester, consultant, case
):
    attachment = add_attachment(requester, case.pk, factories.pdf_file("dien-tim.pdf"), caption="Điện tim")
    referral = refer(requester, case, consultant)
    hide_case(moderator(), case.pk, "Có tên bệnh nhân trong ảnh")

    graphql.login(consultant)
    shown = data_of(graphql(ATTACHMENTS, {"id": gid("Referral", referral.public_id)}))["node"]
    assert shown == {"case": None}  # the referral still shows, its case and attachments do not
    assert client.get(f"/network/attachments/{attachment.pk}/").status_code == 404


def test_an_overdue_answer_is_flagged(graphql, requester, consultant, case):
    referral = advance(refer(requester, case, consultant), Referral.Status.IN_PROGRESS, requester, consultant)
    query = "query($id: ID!) { node(id: $id) { ... on Referral { responseOverdue completionOverdue } } }"
    node = gid("Referral", referral.public_id)
    graphql.login(requester)
    assert data_of(graphql(query, {"id": node}))["node"] == {
        "responseOverdue": False,
        "completionOverdue": False,
    }
    Referral.objects.filter(pk=referral.pk).update(completion_due_at=timezone.now() - timedelta(minutes=1))
    assert data_of(graphql(query, {"id": node}))["node"] == {
        "responseOverdue": False,
        "completionOverdue": True,
    }
