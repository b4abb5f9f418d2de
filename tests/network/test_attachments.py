"""Case attachments: images stored re-encoded with no metadata, PDFs as sent, limits, consent,
and the download view that serves them only to those who may see the case."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from allauth.account.models import EmailAddress
from django.test import Client
from PIL import Image

from audit.models import AuditEvent
from network.models import Case, CaseAttachment
from network.services import cases as services
from tests import factories
from tests.graphql.conftest import app_login
from tests.network.test_cases_builders import (
    CAMERA_OWNER,
    PDF,
    XMP_MARKER,
    case_fields,
    codes,
    jpeg_with_metadata,
    png_bytes,
    published_case,
    upload,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def author(db):
    return factories.doctor()


@pytest.fixture
def author_client(author):
    client = Client()
    client.force_login(author)
    return client


@pytest.fixture
def draft(author):
    return services.create_case(author, **case_fields())


def stored_files(settings) -> list[Path]:
    """Case attachment files in private storage."""
    root = Path(settings.PRIVATE_MEDIA_ROOT) / "cases"
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


# --- Images lose every piece of metadata --------------------------------------------------------


def test_a_photo_is_stored_without_exif_gps_xmp_or_comment(author_client, draft, settings):
    original = jpeg_with_metadata()
    with Image.open(io.BytesIO(original)) as sent:  # the upload really carries them
        assert sent.getexif().get_ifd(0x8825)
        assert CAMERA_OWNER.encode() in original and XMP_MARKER in original

    payload = upload(
        author_client, draft, "BN-Nguyen-Van-An.jpg", original, "image/jpeg", caption="X-quang ngực"
    )
    assert payload["errors"] == []
    assert payload["attachment"]["contentType"] == "image/jpeg"
    assert payload["attachment"]["isImage"] is True
    assert (payload["attachment"]["width"], payload["attachment"]["height"]) == (64, 48)

    attachment = CaseAttachment.objects.get()
    with attachment.file.open("rb") as stored_file:
        stored = stored_file.read()
    assert attachment.size == len(stored)
    for secret in (CAMERA_OWNER.encode(), XMP_MARKER, b"ward 5 bed 12", b"Exif", b"http://ns.adobe.com/xap"):
        assert secret not in stored
    with Image.open(io.BytesIO(stored)) as image:
        assert image.format == "JPEG"
        assert len(image.getexif()) == 0
        assert not image.getexif().get_ifd(0x8825)
        assert not {"exif", "xmp", "comment", "icc_profile"} & set(image.info)
    # The original file name (it can carry the patient's) is not kept anywhere.
    assert "Nguyen" not in attachment.file.name
    assert attachment.file.name.startswith("cases/")


def test_a_large_image_is_shrunk_to_2048_pixels(author_client, draft):
    payload = upload(author_client, draft, "scan.png", png_bytes((3000, 1500)), "image/png")
    assert payload["errors"] == []
    assert (payload["attachment"]["width"], payload["attachment"]["height"]) == (2048, 1024)


def test_a_pdf_is_stored_as_sent(author_client, draft):
    payload = upload(author_client, draft, "ket-qua.pdf", PDF, "application/pdf")
    assert payload["errors"] == []
    assert payload["attachment"]["contentType"] == "application/pdf"
    attachment = CaseAttachment.objects.get()
    with attachment.file.open("rb") as stored:
        assert stored.read() == PDF
    assert attachment.file.name.endswith(".pdf")


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("virus.jpg", b"MZ\x90\x00\x03" + b"\x00" * 200, "image/jpeg"),
        ("fake.pdf", b"<html><script>alert(1)</script></html>", "application/pdf"),
        ("anim.gif", b"GIF89a" + b"\x00" * 50, "image/gif"),
    ],
)
def test_other_files_are_refused_and_nothing_is_stored(
    author_client, draft, settings, name, content, content_type
):
    payload = upload(author_client, draft, name, content, content_type)
    assert codes(payload) == [("file", "FILE_TYPE_NOT_ALLOWED")]
    assert not CaseAttachment.objects.exists()
    assert stored_files(settings) == []


def test_a_file_over_the_size_limit_is_refused(author_client, draft, settings):
    settings.CASE_ATTACHMENT_MAX_BYTES = 1024
    payload = upload(author_client, draft, "big.pdf", PDF + b"0" * 1024, "application/pdf")
    assert codes(payload) == [("file", "FILE_TOO_LARGE")]
    assert not CaseAttachment.objects.exists()


def test_at_most_ten_attachments(author_client, draft):
    for n in range(10):
        assert upload(author_client, draft, f"{n}.pdf", PDF, "application/pdf")["errors"] == []
    payload = upload(author_client, draft, "11.pdf", PDF, "application/pdf")
    assert codes(payload) == [("file", "TOO_MANY_ATTACHMENTS")]
    assert CaseAttachment.objects.count() == 10
    assert list(CaseAttachment.objects.values_list("position", flat=True)) == list(range(10))


def test_a_caption_is_guarded(author_client, draft, settings):
    payload = upload(author_client, draft, "a.pdf", PDF, "application/pdf", caption="Phim của BN Trần Thị B")
    assert codes(payload) == [("caption", "PATIENT_IDENTIFIER")]
    assert payload["errors"][0]["spans"][0]["text"] == "Trần Thị B"
    assert not CaseAttachment.objects.exists()
    assert stored_files(settings) == []


def test_an_image_on_a_published_case_needs_consent(author, author_client):
    case = published_case(author)
    assert codes(upload(author_client, case, "a.jpg", jpeg_with_metadata(), "image/jpeg")) == [
        ("consentBy", "CONSENT_REQUIRED")
    ]
    assert upload(author_client, case, "a.pdf", PDF, "application/pdf")["errors"] == []
    Case.objects.filter(pk=case.pk).update(consent_by="guardian", consent_method="written")
    assert upload(author_client, case, "a.jpg", jpeg_with_metadata(), "image/jpeg")["errors"] == []


def test_only_the_author_attaches_files(db):
    case = published_case(factories.doctor())
    client = Client()
    client.force_login(factories.doctor())
    assert codes(upload(client, case, "a.pdf", PDF, "application/pdf")) == [(None, "NOT_AUTHOR")]
    assert not CaseAttachment.objects.exists()


def test_removing_an_attachment_deletes_its_file_after_commit(
    author_client, draft, settings, django_capture_on_commit_callbacks
):
    payload = upload(author_client, draft, "a.pdf", PDF, "application/pdf")
    assert len(stored_files(settings)) == 1
    mutation = """mutation ($id: ID!) { removeCaseAttachment(attachmentId: $id) {
        case { attachments { id } } errors { code } } }"""
    with django_capture_on_commit_callbacks(execute=True):
        response = author_client.post(
            "/graphql/",
            {"query": mutation, "variables": {"id": payload["attachment"]["id"]}},
            content_type="application/json",
        )
    assert response.json()["data"]["removeCaseAttachment"] == {"case": {"attachments": []}, "errors": []}
    assert not CaseAttachment.objects.exists()
    assert stored_files(settings) == []
    assert AuditEvent.objects.filter(action="case.attachment_removed").exists()


# --- Downloading -------------------------------------------------------------------------------


def test_the_author_and_readers_download_it_as_an_attachment_and_each_viewing_is_audited(
    author, author_client
):
    case = published_case(author)
    payload = upload(author_client, case, "a.pdf", PDF, "application/pdf")
    url = payload["attachment"]["url"]
    attachment = CaseAttachment.objects.get()
    assert url == f"http://testserver/network/attachments/{attachment.pk}/"

    reader = factories.doctor()
    client = Client()
    client.force_login(reader)
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]
    event = AuditEvent.objects.get(action="case.attachment_viewed")
    assert (event.actor_id, event.target_id) == (reader.pk, str(attachment.pk))
    assert event.details == {"case_id": case.pk, "as_moderator": False}


def test_an_app_downloads_with_its_session_token(author, author_client):
    case = published_case(author)
    url = upload(author_client, case, "a.pdf", PDF, "application/pdf")["attachment"]["url"]
    reader = factories.doctor()
    EmailAddress.objects.create(user=reader, email=reader.email, verified=True, primary=True)
    app = Client()
    token = app_login(app, reader)
    app.logout()  # only the header authenticates
    assert app.get(url, headers={"X-Session-Token": token}).status_code == 200
    assert app.get(url, headers={"X-Session-Token": "not-a-token"}).status_code == 404


def test_nobody_else_can_download_it(author, author_client):
    case = published_case(author, visibility=Case.Visibility.CONNECTIONS)
    url = upload(author_client, case, "a.pdf", PDF, "application/pdf")["attachment"]["url"]
    stranger = Client()
    stranger.force_login(factories.doctor())
    assert stranger.get(url).status_code == 404
    assert Client().get(url).status_code == 404  # anonymous
    assert not AuditEvent.objects.filter(action="case.attachment_viewed").exists()
