"""The audit dashboard (/audit/): sign-in and the audit permission required; national figures,
provinces as a sorted bar chart, worst facilities, mentors in deficit with links, filters, the
audit date and CSV links; Vietnamese and English."""

from __future__ import annotations

import pytest

from facilities.models import Tier
from tests import factories
from tests.mentorship.test_compliance import at, mentor, pair

pytestmark = pytest.mark.django_db


def sign_in(client, user, language: str = "en"):
    client.force_login(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = language
    return client


@pytest.fixture
def auditor():
    person = factories.auditor()
    factories.activate_totp(person)
    return person


@pytest.fixture
def data():
    danang = factories.facility(
        Tier.CENTRAL, province=factories.province(48, "Thành phố Đà Nẵng"), name="Bệnh viện Đà Nẵng"
    )
    low = mentor(danang, full_name="Phạm Văn Ba")
    partial = mentor(full_name="Trần Thị Một")
    for _ in range(4):
        pair(partial, Tier.PROVINCIAL, started=at(2026, 9, 1))
    for _ in range(4):
        pair(partial, Tier.DISTRICT, started=at(2026, 9, 1))
    return {"low": low, "partial": partial}


def test_the_dashboard_needs_sign_in_and_the_audit_permission(client, data):
    response = client.get("/audit/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert sign_in(client, factories.doctor()).get("/audit/").status_code == 403
    assert sign_in(client, factories.mentorship_admin()).get("/audit/").status_code == 403


def test_staff_auditors_without_an_authenticator_app_are_sent_to_set_one_up(client, data):
    response = sign_in(client, factories.auditor()).get("/audit/")
    assert response.status_code == 302 and response["Location"] == "/accounts/2fa/totp/activate/"


def test_the_dashboard_in_english(client, auditor, data):
    page = sign_in(client, auditor).get("/audit/", {"as_of": "2026-10-01"}).content.decode()

    assert "Mentoring compliance audit" in page and "Scope: the whole country" in page
    assert 'data-figure="compliance">40.0%' in page  # 8 of 20
    assert 'data-figure="mentors">2<' in page
    # Provinces as bars, worst first: Đà Nẵng (0 %) before Hà Nội (80 %).
    assert page.index('data-province="48"') < page.index('data-province="1"')
    assert 'style="width: 80%"' in page
    # Worst facilities: Bệnh viện Đà Nẵng (0 %, deficit 10) before the mentor's in Hà Nội (80 %).
    facilities = page[page.index('id="facilities"') :]
    danang, hanoi = data["low"].facility, data["partial"].facility
    assert facilities.index(f'data-facility="{danang.pk}"') < facilities.index(f'data-facility="{hanoi.pk}"')
    danang_row = facilities[facilities.index(f'data-facility="{danang.pk}"') :].split("</tr>")[0]
    assert "Thành phố Đà Nẵng" in danang_row and '"num">10<' in danang_row and "0.0%" in danang_row
    # Mentors in deficit, linked to their profiles, worst first.
    assert page.index("Phạm Văn Ba") < page.index("Trần Thị Một")
    assert f'href="/network/doctors/{data["low"].public_id}/"' in page
    assert "Provincial: 4/4" in page
    assert "/audit/export/mentors.csv?as_of=2026-10-01" in page
    assert 'href="/audit/"' in page  # the menu link for auditors


def test_the_dashboard_in_vietnamese(client, auditor, data):
    page = sign_in(client, auditor, "vi").get("/audit/", {"as_of": "2026-10-01"}).content.decode()
    assert '<html lang="vi">' in page
    assert "Đăng xuất" in page  # the site's translated menu around the audit
    assert "Phạm Văn Ba" in page


def test_filters_narrow_every_panel(client, auditor, data):
    client = sign_in(client, auditor)
    page = client.get("/audit/", {"as_of": "2026-10-01", "province": "1"}).content.decode()
    assert "Trần Thị Một" in page and "Phạm Văn Ba" not in page and 'data-province="48"' not in page
    page = client.get("/audit/", {"as_of": "2026-10-01", "band": "LOW"}).content.decode()
    assert "Phạm Văn Ba" in page and "Trần Thị Một" not in page
    page = client.get("/audit/", {"as_of": "2026-10-01", "tier": "provincial"}).content.decode()
    assert "No mentor in this view has a deficit." in page
    # The date: before either mentor joined the audit there is nobody.
    page = client.get("/audit/", {"as_of": "2024-12-31"}).content.decode()
    assert 'data-figure="mentors">0<' in page


def test_a_future_date_is_refused_on_the_form(client, auditor, data):
    page = sign_in(client, auditor).get("/audit/", {"as_of": "2999-01-01"})
    assert page.status_code == 200
    assert "The audit date cannot be in the future." in page.content.decode()


def test_the_dashboard_costs_the_same_for_1_and_many_mentors(
    client, auditor, data, django_assert_max_num_queries
):
    client = sign_in(client, auditor)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        client.get("/audit/")
    facility = factories.facility(Tier.CENTRAL)
    for n in range(30):
        mentor(facility, full_name=f"Bác sĩ {n:02d}")
    with django_assert_max_num_queries(len(small)):
        page = client.get("/audit/").content.decode()
    assert "Bác sĩ 29" in page
