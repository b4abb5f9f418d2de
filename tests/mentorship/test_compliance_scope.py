"""Scoped auditors see only their scope: a province auditor and a facility auditor never get a
mentor, facility, province or figure from outside it, in any query, roll-up, trend, export or
the dashboard. The data: two provinces; Hà Nội with two facilities, Đà Nẵng with one."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

import pytest

from accounts.models import User
from facilities.models import Facility, Tier
from mentorship.selectors import compliance
from mentorship.selectors.compliance import ComplianceFilters
from mentorship.services.permissions import require_auditor
from tests import factories
from tests.graphql.conftest import data_of, post_graphql
from tests.mentorship.test_compliance import AUDIT_DAY, at, mentor, pair
from tests.mentorship.test_compliance_graphql import (
    FACILITIES,
    MENTORS,
    PROVINCES,
    SPECIALTIES,
    SUMMARY,
    TREND,
)

pytestmark = pytest.mark.django_db

DANANG = 48


@dataclass
class World:
    hanoi_a: Facility
    hanoi_b: Facility
    danang: Facility
    a: User
    b: User
    d: User


@pytest.fixture
def world() -> World:
    hanoi_a = factories.facility(Tier.CENTRAL, name="Bệnh viện Bạch Mai")
    hanoi_b = factories.facility(Tier.CENTRAL, name="Bệnh viện Việt Đức")
    danang = factories.facility(
        Tier.CENTRAL, province=factories.province(DANANG, "Thành phố Đà Nẵng"), name="Bệnh viện Đà Nẵng"
    )
    cardiology = factories.specialty()
    a = mentor(hanoi_a, full_name="Mentor Hanoi A")
    b = mentor(hanoi_b, full_name="Mentor Hanoi B")
    d = mentor(danang, full_name="Mentor Danang")
    for doctor in (a, b, d):
        doctor.specialties.add(cardiology)
    for _ in range(4):
        pair(a, Tier.PROVINCIAL, started=at(2026, 9, 1))
    for _ in range(2):
        pair(b, Tier.COMMUNE, started=at(2026, 9, 1), activity=(at(2026, 9, 28),))
    for _ in range(4):
        pair(d, Tier.DISTRICT, started=at(2026, 9, 1))
    pair(d, Tier.PROVINCIAL, started=at(2026, 9, 1))
    return World(hanoi_a, hanoi_b, danang, a, b, d)


def province_auditor() -> User:
    return factories.auditor("province", province=factories.province(DANANG, "Thành phố Đà Nẵng"))


def test_a_province_auditor_sees_only_their_province_in_every_selector(world):
    scope = require_auditor(province_auditor())
    assert compliance.compliance_summary(scope, AUDIT_DAY).figures.mentors == 1
    assert compliance.compliance_summary(scope, AUDIT_DAY).figures.filled == 5
    assert [r.province.code for r in compliance.compliance_by_province(scope, AUDIT_DAY)] == [DANANG]
    assert [r.facility.pk for r in compliance.compliance_by_facility(scope, AUDIT_DAY).rows] == [
        world.danang.pk
    ]
    assert [r.figures.mentors for r in compliance.compliance_by_specialty(scope, AUDIT_DAY)] == [1]
    assert [r.mentor.pk for r in compliance.mentor_compliance(scope, AUDIT_DAY).rows] == [world.d.pk]
    assert [r.mentor.pk for r in compliance.iter_mentor_compliance(scope, AUDIT_DAY)] == [world.d.pk]
    for point in compliance.compliance_trend(scope, 3, until=AUDIT_DAY):
        assert point.figures.mentors == 1 and {r.province.code for r in point.provinces} == {DANANG}
    # Filtering on another province gives nothing rather than widening the scope.
    assert (
        compliance.compliance_summary(scope, AUDIT_DAY, ComplianceFilters(province_id=1)).figures.mentors == 0
    )
    assert (
        compliance.mentor_compliance(scope, AUDIT_DAY, ComplianceFilters(facility_id=world.hanoi_a.pk)).total
        == 0
    )


def test_a_facility_auditor_sees_only_their_facility_in_every_selector(world):
    scope = require_auditor(factories.auditor("facility", facility=world.hanoi_a))
    summary = compliance.compliance_summary(scope, AUDIT_DAY).figures
    assert (summary.mentors, summary.filled, summary.required) == (1, 4, 10)
    (province,) = compliance.compliance_by_province(scope, AUDIT_DAY)
    assert province.province.code == 1 and province.figures.mentors == 1  # not Hà Nội's 2 mentors
    assert [r.facility.pk for r in compliance.compliance_by_facility(scope, AUDIT_DAY).rows] == [
        world.hanoi_a.pk
    ]
    assert [r.mentor.pk for r in compliance.mentor_compliance(scope, AUDIT_DAY).rows] == [world.a.pk]
    assert [r.figures.mentors for r in compliance.compliance_by_specialty(scope, AUDIT_DAY)] == [1]
    for point in compliance.compliance_trend(scope, 2, until=AUDIT_DAY):
        assert point.figures.mentors == 1
        assert [(r.province.code, r.figures.mentors) for r in point.provinces] == [(1, 1)]


OUTSIDE_PROVINCE = ("Mentor Hanoi", "Bạch Mai", "Việt Đức", "Hà Nội")


def assert_nothing_from_hanoi(text: str) -> None:
    for word in OUTSIDE_PROVINCE:
        assert word not in text, word


SCOPED_QUERIES = (
    (SUMMARY, {"asOf": "2026-10-01"}),
    (PROVINCES, {"asOf": "2026-10-01"}),
    (FACILITIES, {"asOf": "2026-10-01", "first": 50}),
    (SPECIALTIES, {"asOf": "2026-10-01"}),
    (MENTORS, {"asOf": "2026-10-01", "first": 50}),
    (MENTORS, {"asOf": "2026-10-01", "first": 50, "filters": {"provinceCode": 1}}),
    (TREND, {"months": 3}),
)


def test_a_province_auditor_gets_nothing_from_another_province_over_graphql(client, world):
    client.force_login(province_auditor())
    for query, variables in SCOPED_QUERIES:
        assert_nothing_from_hanoi(str(data_of(post_graphql(client, query, variables))))
    summary = data_of(post_graphql(client, SUMMARY, {"asOf": "2026-10-01"}))["complianceSummary"]
    assert (summary["mentors"], summary["required"], summary["filled"]) == (1, 10, 5)
    trend = data_of(post_graphql(client, TREND, {"months": 3}))["complianceTrend"]
    assert all(point["total"]["mentors"] == 1 for point in trend)


def test_a_facility_auditor_gets_nothing_from_another_facility_over_graphql(client, world):
    """Same province, other facility: Hà Nội's roll-up holds only Bạch Mai's mentor."""
    client.force_login(factories.auditor("facility", facility=world.hanoi_a))
    for query, variables in SCOPED_QUERIES:
        text = str(data_of(post_graphql(client, query, variables)))
        for word in ("Mentor Hanoi B", "Việt Đức", "Mentor Danang", "Đà Nẵng"):
            assert word not in text, word
    summary = data_of(post_graphql(client, SUMMARY, {"asOf": "2026-10-01"}))["complianceSummary"]
    assert (summary["mentors"], summary["required"], summary["filled"]) == (1, 10, 4)
    (province,) = data_of(post_graphql(client, PROVINCES, {"asOf": "2026-10-01"}))["complianceByProvince"]
    assert province["mentors"] == 1


def test_scoped_exports_and_dashboards_leak_nothing(client, world):
    client.force_login(with_totp(province_auditor()))
    for view in ("mentors", "summary", "provinces", "facilities", "specialties", "trend"):
        response = client.get(f"/audit/export/{view}.csv", {"as_of": "2026-10-01"})
        body = b"".join(response.streaming_content).decode()
        assert_nothing_from_hanoi(body)
        rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
        assert len(rows) >= 2, view
    mentors = b"".join(client.get("/audit/export/mentors.csv", {"as_of": "2026-10-01"}).streaming_content)
    assert "Mentor Danang" in mentors.decode()
    page = client.get("/audit/", {"as_of": "2026-10-01"}).content.decode()
    assert "Mentor Danang" in page and "Bệnh viện Đà Nẵng" in page
    assert_nothing_from_hanoi(page)

    client.force_login(with_totp(factories.auditor("facility", facility=world.hanoi_a)))
    page = client.get("/audit/", {"as_of": "2026-10-01"}).content.decode()
    assert "Mentor Hanoi A" in page
    for word in ("Mentor Hanoi B", "Việt Đức", "Mentor Danang", "Đà Nẵng"):
        assert word not in page
    body = b"".join(
        client.get("/audit/export/mentors.csv", {"as_of": "2026-10-01"}).streaming_content
    ).decode()
    assert "Mentor Hanoi A" in body and "Mentor Hanoi B" not in body and "Mentor Danang" not in body


def with_totp(user: User) -> User:
    factories.activate_totp(user)
    return user
