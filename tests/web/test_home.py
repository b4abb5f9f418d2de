"""The home page says what Tuyến is, in Vietnamese by default, and where a signed-in doctor
stands; developer links appear only with DEBUG."""

from __future__ import annotations

import pytest

from accounts.models import VerificationStatus
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
