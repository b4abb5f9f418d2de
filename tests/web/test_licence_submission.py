"""A doctor submits their practice licence through the web form, which calls the same service
as GraphQL; the service's field errors land on the form's fields."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from accounts.models import LicenceKind, LicenceSubmission, VerificationStatus
from audit.models import AuditEvent
from tests import factories
from tests.web.conftest import CLIENT_IP

pytestmark = pytest.mark.django_db

URL = "/doctors/licence/"


def png_file() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(buffer, "PNG")
    return SimpleUploadedFile("scan.png", buffer.getvalue(), "image/png")


def form_data(**overrides):
    today = timezone.localdate()
    data = {
        "kind": LicenceKind.PRACTICE_LICENCE,
        "licence_number": "001234/HNO-GPHN",
        "issuing_authority": "Sở Y tế Hà Nội",
        "issued_on": (today - timedelta(days=100)).isoformat(),
        "expires_on": (today + timedelta(days=1500)).isoformat(),
        "scan": png_file(),
    }
    data.update(overrides)
    return data


def test_signing_in_is_required(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/doctors/licence/")


def test_a_doctor_submits_their_licence_and_waits_for_review(signed_in):
    doctor = factories.doctor(status=VerificationStatus.UNVERIFIED)
    client = signed_in(doctor)
    assert client.get(URL).status_code == 200

    response = client.post(URL, form_data())

    assert response.status_code == 302
    assert response["Location"] == "/"
    doctor.refresh_from_db()
    assert doctor.verification_status == VerificationStatus.PENDING
    submission = LicenceSubmission.objects.get(doctor=doctor)
    assert (submission.licence_number, submission.scan_content_type) == ("001234/HNO-GPHN", "image/png")
    event = AuditEvent.objects.get(action="licence.submitted")
    assert (event.actor_id, event.target_id, event.ip_address) == (doctor.pk, str(submission.pk), CLIENT_IP)


def test_service_errors_are_shown_on_their_fields_and_nothing_is_saved(signed_in):
    doctor = factories.doctor(status=VerificationStatus.UNVERIFIED)
    tomorrow = timezone.localdate() + timedelta(days=1)
    fake_scan = SimpleUploadedFile("scan.png", b"not an image at all", "image/png")

    response = signed_in(doctor).post(
        URL,
        form_data(licence_number="??", issued_on=tomorrow.isoformat(), expires_on="", scan=fake_scan),
    )

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["licence_number"] == ["Enter the licence number as printed."]
    assert errors["issued_on"] == ["The issue date is in the future."]
    assert errors["scan"] == ["The scan must be a JPEG, PNG or PDF file."]
    assert not LicenceSubmission.objects.exists()
    doctor.refresh_from_db()
    assert doctor.verification_status == VerificationStatus.UNVERIFIED


def test_an_oversized_scan_is_refused_on_the_scan_field(signed_in, settings):
    settings.LICENCE_SCAN_MAX_BYTES = 10
    doctor = factories.doctor(status=VerificationStatus.UNVERIFIED)

    response = signed_in(doctor).post(URL, form_data())

    assert response.context["form"].errors["scan"] == ["The scan must be at most 0 MB."]
    assert not LicenceSubmission.objects.exists()


def test_a_second_submission_while_one_is_pending_is_refused_above_the_form(signed_in):
    doctor = factories.doctor(status=VerificationStatus.PENDING)

    response = signed_in(doctor).post(URL, form_data())

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == ["A licence is already waiting for review."]
    assert LicenceSubmission.objects.filter(doctor=doctor).count() == 1


def test_the_form_is_shown_in_vietnamese_by_default(signed_in):
    doctor = factories.doctor(status=VerificationStatus.UNVERIFIED)

    html = signed_in(doctor, language="vi").get(URL).content.decode()

    assert "Gửi giấy phép hành nghề" in html
