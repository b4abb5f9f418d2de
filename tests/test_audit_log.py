"""The audit log is append-only at every level, and each verification transition writes exactly
one row saying who did what to which submission, from which address."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.contrib.admin.sites import site as admin_site
from django.db import DatabaseError, connection, transaction
from django.test import RequestFactory
from django.utils import timezone
from PIL import Image

from accounts import services
from accounts.models import LicenceKind, LicenceSubmission, User, VerificationStatus
from audit import services as audit
from audit.models import AuditEvent, AuditLogImmutableError
from tests import factories

pytestmark = pytest.mark.django_db

CLIENT_IP = "203.0.113.9"


@pytest.fixture
def event(verified_doctor) -> AuditEvent:
    return audit.record("licence.submitted", actor=verified_doctor, target=verified_doctor)


# --- Immutability -----------------------------------------------------------------------------


def test_an_event_cannot_be_saved_again(event):
    event.action = "tampered"
    with pytest.raises(AuditLogImmutableError):
        event.save()


def test_an_event_cannot_be_deleted(event):
    with pytest.raises(AuditLogImmutableError):
        event.delete()


def test_querysets_cannot_update_or_delete_events(event):
    with pytest.raises(AuditLogImmutableError):
        AuditEvent.objects.filter(pk=event.pk).update(action="tampered")
    with pytest.raises(AuditLogImmutableError):
        AuditEvent.objects.filter(pk=event.pk).delete()


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_auditevent SET action = 'tampered' WHERE id = %s",
        "DELETE FROM audit_auditevent WHERE id = %s",
    ],
)
def test_the_database_refuses_raw_updates_and_deletes(event, sql):
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, [event.pk])
    event.refresh_from_db()
    assert event.action == "licence.submitted"


def test_the_admin_offers_no_add_change_or_delete_even_to_superusers(event):
    request = RequestFactory().get("/admin/audit/auditevent/")
    request.user = User.objects.create_superuser("root@example.vn", factories.PASSWORD)
    model_admin = admin_site._registry[AuditEvent]

    assert model_admin.has_view_permission(request, event)
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, event)
    assert not model_admin.has_delete_permission(request, event)


# --- One row per transition -------------------------------------------------------------------


def only_event(action: str) -> AuditEvent:
    events = list(AuditEvent.objects.filter(action__startswith="licence."))
    assert [event.action for event in events] == [action]
    return events[0]


def png_scan():
    from django.core.files.uploadedfile import SimpleUploadedFile

    buffer = io.BytesIO()
    Image.new("RGB", (4, 4)).save(buffer, "PNG")
    return SimpleUploadedFile("scan.png", buffer.getvalue(), "image/png")


@pytest.fixture
def web(client):
    def as_user(user: User):
        client.force_login(user)
        client.defaults["REMOTE_ADDR"] = CLIENT_IP
        return client

    return as_user


def test_submitting_writes_one_event_with_the_doctor_and_address(web):
    doctor = factories.doctor(status=VerificationStatus.UNVERIFIED)
    today = timezone.localdate()

    web(doctor).post(
        "/doctors/licence/",
        {
            "kind": LicenceKind.PRACTICE_LICENCE,
            "licence_number": "004321/HCM-GPHN",
            "issuing_authority": "Sở Y tế Thành phố Hồ Chí Minh",
            "issued_on": (today - timedelta(days=10)).isoformat(),
            "scan": png_scan(),
        },
    )

    event = only_event("licence.submitted")
    submission = LicenceSubmission.objects.get(doctor=doctor)
    assert (event.actor_id, event.target_type, event.target_id, event.ip_address) == (
        doctor.pk,
        "accounts.licencesubmission",
        str(submission.pk),
        CLIENT_IP,
    )
    assert event.details["to"] == VerificationStatus.PENDING


@pytest.mark.parametrize(
    ("decision", "action"), [("approve", "licence.verified"), ("reject", "licence.rejected")]
)
def test_a_review_writes_one_event_with_the_verifier_and_address(web, verifier, decision, action):
    submission = factories.doctor(status=VerificationStatus.PENDING).licence_submissions.get()

    web(verifier).post(f"/doctors/review/{submission.pk}/decision/", {"decision": decision, "reason": "Mờ"})

    event = only_event(action)
    assert (event.actor_id, event.target_id, event.ip_address) == (verifier.pk, str(submission.pk), CLIENT_IP)
    assert event.details["from"] == VerificationStatus.PENDING


def test_revoking_writes_one_event_with_the_verifier_and_address(web, verifier, verified_doctor):
    submission = verified_doctor.licence_submissions.get()

    web(verifier).post(f"/doctors/review/verified/{verified_doctor.pk}/revoke/", {"reason": "Đình chỉ"})

    event = only_event("licence.revoked")
    assert (event.actor_id, event.target_id, event.ip_address) == (verifier.pk, str(submission.pk), CLIENT_IP)
    assert event.details["reason"] == "Đình chỉ"


def test_expiry_writes_one_event_without_actor_or_address(verified_doctor):
    submission = verified_doctor.licence_submissions.get()
    LicenceSubmission.objects.filter(pk=submission.pk).update(
        expires_on=timezone.localdate() - timedelta(days=1)
    )

    assert services.expire_lapsed_licences() == 1

    event = only_event("licence.expired")
    assert (event.actor_id, event.target_id, event.ip_address) == (None, str(submission.pk), None)


def test_behind_a_trusted_proxy_the_client_address_is_recorded(web, verifier, settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    submission = factories.doctor(status=VerificationStatus.PENDING).licence_submissions.get()

    web(verifier).post(
        f"/doctors/review/{submission.pk}/decision/",
        {"decision": "approve"},
        HTTP_X_FORWARDED_FOR="192.0.2.44",
    )

    assert only_event("licence.verified").ip_address == "192.0.2.44"


def test_without_a_trusted_proxy_a_forwarded_address_is_ignored(web, verifier):
    submission = factories.doctor(status=VerificationStatus.PENDING).licence_submissions.get()

    web(verifier).post(
        f"/doctors/review/{submission.pk}/decision/",
        {"decision": "approve"},
        HTTP_X_FORWARDED_FOR="192.0.2.44",
    )

    assert only_event("licence.verified").ip_address == CLIENT_IP
