"""The home page says what Tuyến is, in Vietnamese by default, and where a signed-in doctor
stands; developer links appear only with DEBUG."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from accounts import selectors
from accounts.models import User, VerificationStatus
from tests import factories

pytestmark = pytest.mark.django_db


def test_visitors_read_what_tuyen_is_in_vietnamese_with_sign_in_links(client):
    html = client.get("/").content.decode()

    assert '<html lang="vi">' in html
    assert "Mỗi bác sĩ tuyến trung ương hỗ trợ bốn nhân viên y tế tuyến tỉnh" in html
    for link in ('href="/accounts/login/"', 'href="/accounts/signup/"', 'href="/admin/"'):
        assert link in html


def test_the_language_switcher_turns_the_site_to_english(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302

    html = client.get("/").content.decode()

    assert '<html lang="en">' in html
    assert "Each central-level doctor supports four provincial, four district and two commune" in html


def test_an_unverified_doctor_sees_their_status_and_the_licence_link(signed_in):
    doctor = factories.doctor(status=VerificationStatus.UNVERIFIED)

    html = signed_in(doctor).get("/").content.decode()

    assert '<span class="badge unverified">Unverified</span>' in html
    assert 'href="/doctors/licence/"' in html


def test_a_rejected_doctor_sees_the_reason_and_may_submit_again(signed_in):
    doctor = factories.doctor(status=VerificationStatus.REJECTED)
    doctor.licence_submissions.update(decision_reason="Ảnh chụp bị mờ")

    html = signed_in(doctor).get("/").content.decode()

    assert "Ảnh chụp bị mờ" in html
    assert 'href="/doctors/licence/"' in html


def test_a_verified_doctor_is_not_offered_to_submit_again(signed_in, verified_doctor):
    html = signed_in(verified_doctor).get("/").content.decode()

    assert '<span class="badge verified">Verified</span>' in html
    assert 'href="/doctors/licence/"' not in html
    assert 'href="/doctors/review/"' not in html


def test_verifiers_find_their_pages(signed_in, verifier):
    html = signed_in(verifier).get("/").content.decode()

    for link in ("/doctors/review/", "/doctors/review/verified/", "/doctors/review/registry/"):
        assert f'href="{link}"' in html
    assert 'href="/accounts/2fa/totp/activate/"' not in html


def test_a_lapsed_licence_is_shown_as_expired_before_the_nightly_job_runs(signed_in, verified_doctor):
    yesterday = timezone.localdate() - timedelta(days=1)
    verified_doctor.licence_expires_on = yesterday
    verified_doctor.save(update_fields=["licence_expires_on"])

    html = signed_in(verified_doctor).get("/").content.decode()

    assert "verified until" not in html
    assert '<span class="badge expired">Expired</span>' in html
    assert "Your practice licence has expired." in html


def test_a_verified_doctor_reads_until_when(signed_in, verified_doctor):
    html = signed_in(verified_doctor).get("/").content.decode()

    until = verified_doctor.licence_expires_on.strftime("%m/%d/%Y")
    assert f"Your practice licence is verified until {until}." in html


def test_the_home_page_shows_the_latest_submission(signed_in):
    doctor = factories.doctor(status=VerificationStatus.REJECTED)
    older = doctor.licence_submissions.get()
    older.decision_reason = "Ảnh chụp bị mờ"
    older.save()
    newer = factories.licence_submission(
        doctor, status=VerificationStatus.REJECTED, decision_reason="Số giấy phép không khớp"
    )
    older.submitted_at = newer.submitted_at + timedelta(seconds=-1)
    older.save()

    html = signed_in(doctor).get("/").content.decode()

    assert selectors.latest_licence_submission(doctor) == newer
    assert "Số giấy phép không khớp" in html and "Ảnh chụp bị mờ" not in html
    assert f'href="/doctors/licence/{newer.pk}/scan/"' in html


def test_a_doctor_without_submissions_has_no_latest_one(db):
    assert selectors.latest_licence_submission(factories.doctor(status=VerificationStatus.UNVERIFIED)) is None


def test_a_verifier_without_an_authenticator_app_is_asked_to_set_one_up(signed_in):
    # Not staff: staff without the app never reach the home page (StaffMFARequiredMiddleware).
    person = factories.user()
    person.user_permissions.add(Permission.objects.get(codename="verify_doctor"))
    person = User.objects.get(pk=person.pk)

    html = signed_in(person).get("/").content.decode()

    assert 'href="/accounts/2fa/totp/activate/"' in html
    assert "Set up two-factor authentication (an authenticator app) before reviewing licences." in html
    for link in ("/doctors/review/verified/", "/doctors/review/registry/"):
        assert f'href="{link}"' not in html


def test_developer_links_only_with_debug(client, settings):
    settings.DEBUG = False
    html = client.get("/").content.decode()
    assert 'href="/graphql/"' not in html
    assert "docs/" not in html

    settings.DEBUG = True
    html = client.get("/").content.decode()
    assert 'href="/graphql/"' in html
    docs = sorted(path.name for path in (settings.BASE_DIR / "docs").glob("*.md"))
    for name in docs:
        assert f"<code>docs/{name}</code>" in html


def test_refusals_and_missing_pages_use_the_site_layout(signed_in, verified_doctor):
    client = signed_in(verified_doctor)

    forbidden = client.get("/doctors/review/")
    missing = client.get("/doctors/no-such-page/")

    assert forbidden.status_code == 403
    assert "Your account may not open this page." in forbidden.content.decode()
    assert missing.status_code == 404
    assert 'href="/static/css/tuyen.css"' in missing.content.decode()
