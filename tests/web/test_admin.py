"""What administrators can and cannot do in the admin."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from accounts import selectors
from accounts.models import LicenceSubmission, User, VerificationStatus
from audit import services as audit
from audit.models import AuditEvent
from facilities.models import Commune
from tests import factories
from tests.web.conftest import with_verified_email

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def event(verified_doctor):
    return audit.record(
        "licence.submitted", actor=verified_doctor, target=verified_doctor, ip_address="198.51.100.1"
    )


def test_audit_events_are_listed_and_filtered_by_action(admin_client, event, verifier):
    audit.record("licence.scan_viewed", actor=verifier, target=verifier)

    response = admin_client.get("/admin/audit/auditevent/", {"action": "licence.submitted"})

    assert response.status_code == 200
    assert [row.pk for row in response.context["cl"].result_list] == [event.pk]


def test_audit_events_cannot_be_added_changed_or_deleted_even_by_a_superuser(admin_client, event):
    base = "/admin/audit/auditevent/"

    detail = admin_client.get(f"{base}{event.pk}/change/")
    assert detail.status_code == 200
    assert not detail.context["has_change_permission"]
    assert 'name="_save"' not in detail.content.decode()

    assert admin_client.get(f"{base}add/").status_code == 403
    assert admin_client.post(f"{base}{event.pk}/change/", {"action": "tampered"}).status_code == 403
    assert admin_client.post(f"{base}{event.pk}/delete/", {"post": "yes"}).status_code == 403
    bulk = admin_client.post(
        base, {"action": "delete_selected", "_selected_action": [event.pk], "post": "yes"}
    )
    assert bulk.status_code in (200, 302)
    event.refresh_from_db()
    assert event.action == "licence.submitted"
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_users_are_listed_by_name_email_facility_and_status(admin_client, verified_doctor):
    response = admin_client.get("/admin/accounts/user/", {"verification_status__exact": "verified"})

    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [verified_doctor]
    assert response.context["cl"].list_display[1:5] == [
        "full_name",
        "email",
        "facility",
        "verification_status",
    ]


def test_the_verification_status_cannot_be_edited_in_the_admin(admin_client):
    doctor = factories.doctor(status=VerificationStatus.UNVERIFIED)
    url = f"/admin/accounts/user/{doctor.pk}/change/"
    form = admin_client.get(url).context["adminform"].form
    assert "verification_status" not in form.fields

    response = admin_client.post(
        url,
        {
            "email": doctor.email,
            "full_name": "Nguyễn Văn Đức",
            "verification_status": VerificationStatus.VERIFIED,
            "is_active": "on",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "08:00:00",
        },
    )

    assert response.status_code == 302
    doctor.refresh_from_db()
    assert doctor.full_name == "Nguyễn Văn Đức"
    assert doctor.verification_status == VerificationStatus.UNVERIFIED


def test_an_administrator_adds_a_user_by_email(admin_client):
    response = admin_client.post(
        "/admin/accounts/user/add/",
        {
            "email": "BS.Tran@Example.VN",
            "full_name": "Trần Văn Bình",
            "usable_password": "true",
            "password1": "a-long-enough-passphrase",
            "password2": "a-long-enough-passphrase",
        },
    )

    assert response.status_code == 302
    user = User.objects.get(email="bs.tran@example.vn")
    assert user.check_password("a-long-enough-passphrase")
    assert user.verification_status == VerificationStatus.UNVERIFIED


def test_licence_submissions_are_read_only_and_link_to_the_private_scan(admin_client):
    submission = factories.doctor(status=VerificationStatus.PENDING).licence_submissions.get()
    base = "/admin/accounts/licencesubmission/"

    detail = admin_client.get(f"{base}{submission.pk}/change/")

    assert detail.status_code == 200
    assert f"/doctors/licence/{submission.pk}/scan/" in detail.content.decode()
    assert admin_client.get(f"{base}add/").status_code == 403
    assert admin_client.post(f"{base}{submission.pk}/delete/", {"post": "yes"}).status_code == 403


def test_the_approve_action_calls_the_verification_service(admin_client, superuser):
    pending = factories.doctor(status=VerificationStatus.PENDING).licence_submissions.get()
    verified = factories.doctor().licence_submissions.get()

    response = admin_client.post(
        "/admin/accounts/licencesubmission/",
        {"action": "approve", "_selected_action": [pending.pk, verified.pk]},
        follow=True,
    )

    pending.refresh_from_db()
    assert pending.status == VerificationStatus.VERIFIED
    assert pending.reviewed_by == superuser
    assert AuditEvent.objects.filter(action="licence.verified", target_id=str(pending.pk)).count() == 1
    messages = [str(message) for message in response.context["messages"]]
    assert "1 licence approved." in messages
    assert any(message.startswith(f"#{verified.pk}: Only a pending submission") for message in messages)


def action_names(response) -> list[str]:
    form = response.context["action_form"]  # None when no action is allowed
    return [] if form is None else [name for name, _label in form.fields["action"].choices]


def test_the_approve_action_is_offered_by_the_verifier_rule(admin_client, monkeypatch):
    asked = []
    is_verifier = selectors.is_verifier

    def recording(user):
        asked.append(user.pk)
        return is_verifier(user)

    monkeypatch.setattr(selectors, "is_verifier", recording)
    url = "/admin/accounts/licencesubmission/"
    factories.doctor(status=VerificationStatus.PENDING)

    assert "approve" in action_names(admin_client.get(url))
    assert asked

    # Staff who may read submissions but not verify doctors are not offered the action.
    reader = with_verified_email(factories.user(is_staff=True))
    reader.user_permissions.add(Permission.objects.get(codename="view_licencesubmission"))
    factories.activate_totp(reader)
    reader_client = Client()
    reader_client.force_login(reader)
    listing = reader_client.get(url)
    assert listing.status_code == 200
    assert "approve" not in action_names(listing)


def test_provinces_and_communes_are_read_only_and_communes_searchable(admin_client):
    province = factories.province()
    commune = Commune.objects.create(
        code=4, province=province, name="Phường Ba Đình", codename="phuong_ba_dinh", division_type="phường"
    )

    assert admin_client.get("/admin/facilities/province/add/").status_code == 403
    assert admin_client.get("/admin/facilities/commune/add/").status_code == 403
    found = admin_client.get("/admin/facilities/commune/", {"q": "Ba Đình"})
    assert list(found.context["cl"].result_list) == [commune]
    assert (
        admin_client.post(f"/admin/facilities/commune/{commune.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )


def test_facilities_and_specialties_are_managed_in_the_admin(admin_client):
    assert admin_client.get("/admin/facilities/facility/add/").status_code == 200
    assert admin_client.get("/admin/facilities/specialty/add/").status_code == 200
    factories.facility(name="Trạm Y tế xã Tả Van")
    assert admin_client.get("/admin/facilities/facility/", {"q": "Tả Van"}).context["cl"].result_count == 1


def test_licence_submission_rows_do_not_query_per_row(admin_client, django_assert_max_num_queries):
    for _ in range(3):
        factories.doctor(status=VerificationStatus.PENDING)
    with django_assert_max_num_queries(12) as few:
        admin_client.get("/admin/accounts/licencesubmission/")
    for _ in range(17):
        factories.doctor(status=VerificationStatus.PENDING)
    with django_assert_max_num_queries(len(few.captured_queries)):
        admin_client.get("/admin/accounts/licencesubmission/")
    assert LicenceSubmission.objects.count() == 20
