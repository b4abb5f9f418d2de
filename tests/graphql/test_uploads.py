"""submitVerification with the licence scan sent as a GraphQL multipart request
(https://github.com/jaydenseric/graphql-multipart-request-spec), end to end."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from PIL import Image

from accounts.models import LicenceSubmission, VerificationStatus
from tests import factories
from tests.graphql.conftest import GRAPHQL_URL, app_login, error_codes

SUBMIT = """mutation ($input: SubmitVerificationInput!) { submitVerification(input: $input) {
    submission { id kind licenceNumber status scanContentType }
    doctor { verificationStatus }
    errors { field code message }
} }"""

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def licence_input(**overrides) -> dict:
    today = timezone.localdate()
    return {
        "kind": "PRACTICE_LICENCE",
        "licenceNumber": "001234/HNO-GPHN",
        "issuingAuthority": "Sở Y tế Hà Nội",
        "issuedOn": (today - timedelta(days=365)).isoformat(),
        "expiresOn": (today + timedelta(days=365 * 4)).isoformat(),
        "scan": None,
        **overrides,
    }


def multipart(client: Client, scan: SimpleUploadedFile, *, status: int = 200, **headers) -> dict:
    operations = {"query": SUBMIT, "variables": {"input": licence_input()}}
    response = client.post(
        GRAPHQL_URL,
        {"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.input.scan"]}), "0": scan},
        headers=headers,
    )
    assert response.status_code == status, response.content
    return response.json() if status == 200 else {}


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def applicant(db):
    return factories.doctor(status=VerificationStatus.UNVERIFIED)


@pytest.fixture
def client_of(applicant):
    client = Client()
    client.force_login(applicant)
    return client


def test_a_pdf_scan_is_accepted_and_the_doctor_awaits_review(applicant, client_of):
    result = multipart(client_of, SimpleUploadedFile("giay-phep.pdf", PDF, "application/pdf"))
    payload = result["data"]["submitVerification"]
    assert payload["errors"] == []
    assert payload["doctor"] == {"verificationStatus": "PENDING"}
    assert payload["submission"]["kind"] == "PRACTICE_LICENCE"
    assert payload["submission"]["status"] == "PENDING"
    assert payload["submission"]["scanContentType"] == "application/pdf"

    submission = LicenceSubmission.objects.get(doctor=applicant)
    assert submission.licence_number == "001234/HNO-GPHN"
    with submission.scan.open("rb") as stored:
        assert stored.read() == PDF


def test_a_png_scan_is_accepted(client_of):
    payload = multipart(client_of, SimpleUploadedFile("scan.png", png(), "image/png"))["data"][
        "submitVerification"
    ]
    assert payload["errors"] == []
    assert payload["submission"]["scanContentType"] == "image/png"


def test_an_executable_renamed_pdf_is_refused(applicant, client_of):
    fake = SimpleUploadedFile(
        "giay-phep.pdf", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200, "application/pdf"
    )
    payload = multipart(client_of, fake)["data"]["submitVerification"]
    assert payload["submission"] is None
    assert [(error["field"], error["code"]) for error in payload["errors"]] == [
        ("scan", "FILE_TYPE_NOT_ALLOWED")
    ]
    assert not LicenceSubmission.objects.filter(doctor=applicant).exists()
    applicant.refresh_from_db()
    assert applicant.verification_status == VerificationStatus.UNVERIFIED


def test_an_app_uploads_with_its_session_token_and_no_csrf_token(applicant):
    EmailAddress.objects.create(user=applicant, email=applicant.email, verified=True, primary=True)
    client = Client(enforce_csrf_checks=True)
    token = app_login(client, applicant)
    payload = multipart(
        client, SimpleUploadedFile("a.pdf", PDF, "application/pdf"), **{"X-Session-Token": token}
    )
    assert payload["data"]["submitVerification"]["errors"] == []
    assert LicenceSubmission.objects.filter(doctor=applicant, status=VerificationStatus.PENDING).exists()


def test_a_scan_over_the_size_limit_is_refused(applicant, client_of, settings):
    settings.LICENCE_SCAN_MAX_BYTES = 1024 * 1024
    big = SimpleUploadedFile("giay-phep.pdf", PDF + b"0" * (1024 * 1024), "application/pdf")
    payload = multipart(client_of, big)["data"]["submitVerification"]
    assert [(error["field"], error["code"]) for error in payload["errors"]] == [("scan", "FILE_TOO_LARGE")]
    assert not LicenceSubmission.objects.filter(doctor=applicant).exists()


def test_a_second_submission_while_one_is_pending_is_refused(client_of):
    multipart(client_of, SimpleUploadedFile("a.pdf", PDF, "application/pdf"))
    payload = multipart(client_of, SimpleUploadedFile("b.pdf", PDF, "application/pdf"))["data"][
        "submitVerification"
    ]
    assert [error["code"] for error in payload["errors"]] == ["ALREADY_PENDING"]


def test_anonymous_visitors_cannot_submit(db):
    payload = multipart(Client(), SimpleUploadedFile("a.pdf", PDF, "application/pdf"))["data"][
        "submitVerification"
    ]
    assert [error["code"] for error in payload["errors"]] == ["NOT_AUTHENTICATED"]


def test_a_cookie_session_upload_without_the_csrf_token_is_forbidden(applicant):
    # A cross-site form can post multipart/form-data: exactly what CSRF protection is for.
    client = Client(enforce_csrf_checks=True)
    client.force_login(applicant)
    multipart(client, SimpleUploadedFile("a.pdf", PDF, "application/pdf"), status=403)
    assert not LicenceSubmission.objects.filter(doctor=applicant).exists()


def test_the_scan_cannot_be_sent_inline_as_json(client_of):
    response = client_of.post(
        GRAPHQL_URL,
        json.dumps({"query": SUBMIT, "variables": {"input": licence_input(scan="JVBERi0xLjQK")}}),
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "multipart" in response.json()["errors"][0]["message"]


@pytest.mark.parametrize(
    ("file_map", "problem"),
    [
        ({"0": ["variables.input.scan"], "1": ["variables.input.scan"]}, "lacks"),
        ({"0": ["query"]}, "inside variables"),
        ({"0": ["variables.input.nothing.here"]}, "does not exist"),
        ({"0": ["variables.input.kind"]}, "must hold null"),
        ({"0": "variables.input.scan"}, "list of paths"),
    ],
)
def test_a_malformed_map_is_a_bad_request(client_of, file_map, problem):
    operations = {"query": SUBMIT, "variables": {"input": licence_input()}}
    response = client_of.post(
        GRAPHQL_URL,
        {
            "operations": json.dumps(operations),
            "map": json.dumps(file_map),
            "0": SimpleUploadedFile("a.pdf", PDF, "application/pdf"),
        },
    )
    assert response.status_code == 400
    body = response.json()
    assert error_codes(body) == ["BAD_REQUEST"]
    assert problem in body["errors"][0]["message"]


def test_operations_must_be_one_json_object(client_of):
    response = client_of.post(GRAPHQL_URL, {"operations": "[1, 2]", "map": "{}"})
    assert response.status_code == 400
    response = client_of.post(GRAPHQL_URL, {"operations": "{nope", "map": "{}"})
    assert response.status_code == 400
