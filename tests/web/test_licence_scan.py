"""Licence scans are private: streamed as attachments to verifiers and to the doctor they belong
to, each viewing written to the audit log, and never reachable by a public URL."""

from __future__ import annotations

import pytest

from accounts import services
from accounts.models import VerificationStatus
from audit.models import AuditEvent
from tests import factories
from tests.web.conftest import CLIENT_IP

pytestmark = pytest.mark.django_db


@pytest.fixture
def submission():
    return factories.doctor(status=VerificationStatus.PENDING).licence_submissions.get()


def scan_url(submission) -> str:
    return f"/doctors/licence/{submission.pk}/scan/"


def test_a_verifier_downloads_the_scan_and_the_viewing_is_audited(signed_in, verifier, submission):
    response = signed_in(verifier).get(scan_url(submission))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="licence-{submission.pk}.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]
    assert b"".join(response.streaming_content).startswith(b"%PDF-")
    event = AuditEvent.objects.get(action="licence.scan_viewed")
    assert (event.actor_id, event.target_id, event.ip_address) == (verifier.pk, str(submission.pk), CLIENT_IP)


def test_the_page_opens_the_scan_through_the_service_which_audits_once(
    signed_in, verifier, submission, monkeypatch
):
    opened = []
    open_licence_scan = services.open_licence_scan

    def recording(viewer, submission_id):
        opened.append((viewer.pk, submission_id))
        return open_licence_scan(viewer, submission_id)

    monkeypatch.setattr(services, "open_licence_scan", recording)

    assert signed_in(verifier).get(scan_url(submission)).status_code == 200
    assert opened == [(verifier.pk, submission.pk)]
    assert AuditEvent.objects.filter(action="licence.scan_viewed").count() == 1


def test_an_unknown_submission_is_not_found(signed_in, verifier, submission):
    assert signed_in(verifier).get(f"/doctors/licence/{submission.pk + 1000}/scan/").status_code == 404
    assert not AuditEvent.objects.filter(action="licence.scan_viewed").exists()


def test_the_doctor_downloads_their_own_scan(signed_in, submission):
    response = signed_in(submission.doctor).get(scan_url(submission))

    assert response.status_code == 200
    assert AuditEvent.objects.get(action="licence.scan_viewed").actor_id == submission.doctor_id


def test_other_doctors_get_a_not_found_and_nothing_is_logged(signed_in, verified_doctor, submission):
    assert signed_in(verified_doctor).get(scan_url(submission)).status_code == 404
    assert not AuditEvent.objects.filter(action="licence.scan_viewed").exists()


def test_visitors_are_sent_to_sign_in(client, submission):
    response = client.get(scan_url(submission))

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_a_scan_has_no_public_url(client, settings, submission):
    with pytest.raises(ValueError, match="no public URL"):
        _ = submission.scan.url
    assert (settings.PRIVATE_MEDIA_ROOT / submission.scan.name).is_file()
    assert client.get(f"/{settings.MEDIA_URL}{submission.scan.name}").status_code == 404
    assert client.get(f"/{settings.STATIC_URL}{submission.scan.name}").status_code == 404
