"""The compliance audit's figures on hand-built data: required, filled, deficit, surplus,
in force, engaged and paper mentorships, as of past dates, across a policy change, with every
filter (``mentorship.selectors.compliance``; definitions in its docstring)."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from accounts.models import User, VerificationStatus
from common.errors import ServiceError
from facilities.models import Facility, Province, Tier
from mentorship.models import ActivityKind, Mentorship, MentorshipActivity, QuotaPolicy, QuotaRule
from mentorship.selectors import compliance
from mentorship.selectors.compliance import ComplianceBand, ComplianceFilters, MentorOrder
from mentorship.services.permissions import NATIONAL, Scope
from tests import factories

pytestmark = pytest.mark.django_db

JOINED = timezone.make_aware(datetime(2025, 1, 1, 9))


def at(year: int, month: int, day: int, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime(year, month, day, hour))


def mentor(facility: Facility | None = None, **extra: Any) -> User:
    """A central-tier doctor (who must mentor) who joined long ago."""
    extra.setdefault("date_joined", JOINED)
    if facility is None:
        return factories.doctor(tier=Tier.CENTRAL, **extra)
    return factories.doctor(facility=facility, **extra)


def pair(
    of: User,
    mentee_tier: str,
    *,
    started: datetime,
    ended: datetime | None = None,
    activity: tuple[datetime, ...] = (),
) -> Mentorship:
    """A mentorship row standing for history (the audit reads rows, not the services)."""
    mentee = factories.user()
    assert of.facility is not None
    mentorship = Mentorship.objects.create(
        mentor=of,
        mentee=mentee,
        mentor_tier=of.facility.tier,
        mentee_tier=mentee_tier,
        status=Mentorship.Status.ENDED if ended else Mentorship.Status.ACTIVE,
        proposed_by=of,
        proposed_as=Mentorship.Proposer.MENTOR,
        proposed_at=started,
        expires_at=started + timedelta(days=14),
        started_at=started,
        ended_at=ended,
    )
    for moment in activity:
        MentorshipActivity.objects.create(
            mentorship=mentorship, kind=ActivityKind.COMMENT, subject_id=str(uuid.uuid4()), occurred_at=moment
        )
    if activity:  # as services.activity keeps it: the latest activity
        Mentorship.objects.filter(pk=mentorship.pk).update(last_activity_at=max(activity))
    return mentorship


def second_province() -> Province:
    return factories.province(48, "Thành phố Đà Nẵng")


def figures_of(row: compliance.Figures) -> dict[str, Any]:
    return {
        "mentors": row.mentors,
        "required": row.required,
        "filled": row.filled,
        "deficit": row.deficit,
        "surplus": row.surplus,
        "in_force": row.in_force,
        "engaged": row.engaged,
        "paper": row.paper,
        "compliance": row.compliance,
    }


@pytest.fixture
def partial() -> User:
    """As of 2026-10-01 (policy v1: 4 provincial, 4 district, 2 commune): 3 provincial (one
    engaged), 4 district (paper: their activity of 1 September is over 30 days old), no commune:
    7 of 10, PARTIAL."""
    doctor = mentor(full_name="Trần Thị Một")
    pair(doctor, Tier.PROVINCIAL, started=at(2026, 9, 1), activity=(at(2026, 9, 25),))
    for _ in range(2):
        pair(doctor, Tier.PROVINCIAL, started=at(2026, 9, 1))
    for _ in range(4):
        pair(doctor, Tier.DISTRICT, started=at(2026, 9, 1), activity=(at(2026, 9, 1, 11),))
    return doctor


AUDIT_DAY = date(2026, 10, 1)


def test_a_mentors_figures_per_tier_and_in_total(partial):
    page = compliance.mentor_compliance(NATIONAL, AUDIT_DAY)

    assert page.total == 1
    (row,) = page.rows
    assert row.mentor.pk == partial.pk and row.tier == Tier.CENTRAL
    assert figures_of(row.figures) == {
        "mentors": 1,
        "required": 10,
        "filled": 7,
        "deficit": 3,
        "surplus": 0,
        "in_force": 7,
        "engaged": 1,
        "paper": 6,
        "compliance": 70.0,
    }
    assert row.figures.band == ComplianceBand.PARTIAL
    assert row.figures.engaged_compliance == 10.0
    by_tier = {
        t.mentee_tier: (t.required, t.maximum, t.in_force, t.engaged, t.paper, t.deficit) for t in row.tiers
    }
    assert by_tier == {
        Tier.PROVINCIAL: (4, 4, 3, 1, 2, 1),
        Tier.DISTRICT: (4, 4, 4, 0, 4, 0),
        Tier.COMMUNE: (2, 2, 0, 0, 0, 2),
    }
    assert [t.mentee_tier for t in row.tiers] == [Tier.PROVINCIAL, Tier.DISTRICT, Tier.COMMUNE]
    assert row.last_activity_at == at(2026, 9, 25)
    assert row.facility == partial.facility and row.province.code == 1


def test_engaged_means_activity_in_the_window_ending_on_the_audit_date(partial, settings):
    # The activity of 25 September counts for 30 days: up to 24 October inclusive.
    assert compliance.compliance_summary(NATIONAL, date(2026, 10, 24)).figures.engaged == 1
    assert compliance.compliance_summary(NATIONAL, date(2026, 10, 25)).figures.engaged == 0
    # Not before it happened: on 24 September only the district ones (1 September) are engaged.
    assert compliance.compliance_summary(NATIONAL, date(2026, 9, 24)).figures.engaged == 4
    settings.MENTORSHIP_ACTIVITY_DAYS = 90
    summary = compliance.compliance_summary(NATIONAL, date(2026, 10, 25))
    assert (summary.figures.engaged, summary.activity_days) == (5, 90)


def test_a_mentor_with_nothing_is_low_and_the_summary_adds_mentors_up(partial):
    mentor(full_name="Lê Văn Hai")

    summary = compliance.compliance_summary(NATIONAL, AUDIT_DAY)

    assert summary.policy_version == 1 and summary.as_of == AUDIT_DAY
    assert figures_of(summary.figures) == {
        "mentors": 2,
        "required": 20,
        "filled": 7,
        "deficit": 13,
        "surplus": 0,
        "in_force": 7,
        "engaged": 1,
        "paper": 6,
        "compliance": 35.0,
    }
    rows = compliance.mentor_compliance(NATIONAL, AUDIT_DAY).rows
    assert [row.mentor.full_name for row in rows] == ["Lê Văn Hai", "Trần Thị Một"]  # worst first
    assert rows[0].figures.band == ComplianceBand.LOW and rows[0].last_activity_at is None


def test_full_compliance_and_the_empty_scope():
    doctor = mentor()
    for tier, count in ((Tier.PROVINCIAL, 4), (Tier.DISTRICT, 4), (Tier.COMMUNE, 2)):
        for _ in range(count):
            pair(doctor, tier, started=at(2026, 9, 1))
    (row,) = compliance.mentor_compliance(NATIONAL, AUDIT_DAY).rows
    assert (row.figures.compliance, row.figures.band, row.figures.deficit) == (100.0, ComplianceBand.FULL, 0)

    empty = compliance.compliance_summary(Scope("facility", facility_id=-1), AUDIT_DAY)
    assert (empty.figures.mentors, empty.figures.required, empty.figures.compliance) == (0, 0, 100.0)
    assert compliance.mentor_compliance(Scope("facility", facility_id=-1), AUDIT_DAY).total == 0


def test_ended_mentorships_count_only_inside_their_interval():
    doctor = mentor()
    pair(doctor, Tier.COMMUNE, started=at(2026, 9, 1), ended=at(2026, 10, 15))

    def in_force(day: date) -> int:
        return compliance.compliance_summary(NATIONAL, day).figures.in_force

    assert in_force(date(2026, 8, 31)) == 0  # not started yet
    assert in_force(date(2026, 9, 1)) == 1  # started that day
    assert in_force(date(2026, 10, 14)) == 1
    assert in_force(date(2026, 10, 15)) == 0  # ended that day
    assert in_force(date(2026, 11, 1)) == 0


def test_mentors_who_joined_after_the_audit_date_and_unverified_doctors_are_not_counted(partial):
    mentor(date_joined=at(2026, 10, 2))
    mentor(status=VerificationStatus.REVOKED)
    mentor(is_active=False)
    factories.doctor(tier=Tier.PROVINCIAL, date_joined=JOINED)  # a tier that need not mentor

    assert compliance.compliance_summary(NATIONAL, AUDIT_DAY).figures.mentors == 1
    assert compliance.compliance_summary(NATIONAL, date(2026, 10, 2)).figures.mentors == 2


def reduced_policy() -> QuotaPolicy:
    """Version 2 from 1 November 2026 (standing for history): 2 provincial (up to 2), 4 district,
    no commune required."""
    policy = QuotaPolicy.objects.create(version=2, effective_from=date(2026, 11, 1), reason="Giảm chỉ tiêu")
    for mentee_tier, required, maximum in (
        (Tier.PROVINCIAL, 2, 2),
        (Tier.DISTRICT, 4, 4),
        (Tier.COMMUNE, 0, 2),
    ):
        QuotaRule.objects.create(
            policy=policy,
            mentor_tier=Tier.CENTRAL,
            mentee_tier=mentee_tier,
            required=required,
            maximum=maximum,
        )
    return policy


def test_an_audit_uses_the_policy_in_force_on_its_date_and_reports_surplus(partial):
    reduced_policy()

    before = compliance.mentor_compliance(NATIONAL, date(2026, 10, 31)).rows[0]
    after = compliance.mentor_compliance(NATIONAL, date(2026, 11, 1)).rows[0]

    assert (before.figures.required, before.figures.filled, before.figures.surplus) == (10, 7, 0)
    assert (after.figures.required, after.figures.filled, after.figures.surplus) == (6, 6, 1)
    assert after.figures.compliance == 100.0 and after.figures.band == ComplianceBand.FULL
    assert compliance.compliance_summary(NATIONAL, date(2026, 10, 31)).policy_version == 1
    assert compliance.compliance_summary(NATIONAL, date(2026, 11, 1)).policy_version == 2


def test_a_policy_that_stops_requiring_a_tier_to_mentor_drops_its_mentors(partial):
    policy = QuotaPolicy.objects.create(version=2, effective_from=date(2026, 11, 1), reason="Chỉ tự nguyện")
    QuotaRule.objects.create(
        policy=policy, mentor_tier=Tier.CENTRAL, mentee_tier=Tier.PROVINCIAL, required=0, maximum=4
    )
    assert compliance.compliance_summary(NATIONAL, date(2026, 10, 31)).figures.mentors == 1
    assert compliance.compliance_summary(NATIONAL, date(2026, 11, 1)).figures.mentors == 0


def test_mentorships_made_through_the_services_are_audited_today():
    doctor = mentor()
    factories.mentorship(doctor, factories.doctor(tier=Tier.COMMUNE))
    summary = compliance.compliance_summary(NATIONAL)
    assert (summary.as_of, summary.figures.in_force, summary.figures.engaged) == (timezone.localdate(), 1, 0)


def test_a_future_audit_date_is_refused():
    with pytest.raises(ServiceError) as refused:
        compliance.audit_date(timezone.localdate() + timedelta(days=1))
    assert refused.value.errors[0].field == "asOf"
    assert compliance.audit_date(None) == timezone.localdate()


@pytest.fixture
def spread(partial) -> dict[str, Any]:
    """Mentors in two provinces, two facilities, two specialties and all three bands."""
    cardiology = factories.specialty()
    paediatrics = factories.specialty("paediatrics", "Nhi khoa", "Paediatrics")
    partial.specialties.add(cardiology)
    danang = factories.facility(Tier.CENTRAL, province=second_province(), name="Bệnh viện C Đà Nẵng")
    low = mentor(danang, full_name="Phạm Văn Ba")
    low.specialties.add(paediatrics)
    full = mentor(danang, full_name="Võ Thị Bốn")
    for tier, count in ((Tier.PROVINCIAL, 4), (Tier.DISTRICT, 4), (Tier.COMMUNE, 2)):
        for _ in range(count):
            pair(full, tier, started=at(2026, 9, 1))
    provincial_mentor_facility = factories.facility(Tier.PROVINCIAL)
    return {
        "partial": partial,
        "low": low,
        "full": full,
        "danang": danang,
        "cardiology": cardiology,
        "paediatrics": paediatrics,
        "other": provincial_mentor_facility,
    }


def names(filters: ComplianceFilters, order: MentorOrder = MentorOrder.WORST_FIRST) -> list[str]:
    return [
        row.mentor.full_name
        for row in compliance.mentor_compliance(NATIONAL, AUDIT_DAY, filters, order=order).rows
    ]


def test_every_filter(spread):
    assert names(ComplianceFilters()) == ["Phạm Văn Ba", "Trần Thị Một", "Võ Thị Bốn"]
    assert names(ComplianceFilters(province_id=48)) == ["Phạm Văn Ba", "Võ Thị Bốn"]
    assert names(ComplianceFilters(facility_id=spread["danang"].pk)) == ["Phạm Văn Ba", "Võ Thị Bốn"]
    assert names(ComplianceFilters(specialty_id=spread["cardiology"].pk)) == ["Trần Thị Một"]
    assert names(ComplianceFilters(tier=Tier.CENTRAL)) == ["Phạm Văn Ba", "Trần Thị Một", "Võ Thị Bốn"]
    assert names(ComplianceFilters(tier=Tier.PROVINCIAL)) == []
    assert names(ComplianceFilters(band=ComplianceBand.LOW)) == ["Phạm Văn Ba"]
    assert names(ComplianceFilters(band=ComplianceBand.PARTIAL)) == ["Trần Thị Một"]
    assert names(ComplianceFilters(band=ComplianceBand.FULL)) == ["Võ Thị Bốn"]
    assert names(ComplianceFilters(deficit_only=True)) == ["Phạm Văn Ba", "Trần Thị Một"]
    assert names(ComplianceFilters(province_id=48, band=ComplianceBand.FULL)) == ["Võ Thị Bốn"]
    # Roll-ups sum the mentors that pass the filters.
    low_only = compliance.compliance_summary(NATIONAL, AUDIT_DAY, ComplianceFilters(band=ComplianceBand.LOW))
    assert (low_only.figures.mentors, low_only.figures.required, low_only.figures.filled) == (1, 10, 0)


def test_sorting_and_pagination(spread):
    assert names(ComplianceFilters(), MentorOrder.BEST_FIRST) == ["Võ Thị Bốn", "Trần Thị Một", "Phạm Văn Ba"]
    assert names(ComplianceFilters(), MentorOrder.NAME) == ["Phạm Văn Ba", "Trần Thị Một", "Võ Thị Bốn"]
    assert names(ComplianceFilters(), MentorOrder.DEFICIT) == ["Phạm Văn Ba", "Trần Thị Một", "Võ Thị Bốn"]
    first = compliance.mentor_compliance(NATIONAL, AUDIT_DAY, limit=2)
    second = compliance.mentor_compliance(NATIONAL, AUDIT_DAY, offset=2, limit=2)
    beyond = compliance.mentor_compliance(NATIONAL, AUDIT_DAY, offset=5, limit=2)
    assert (first.total, first.has_next, len(first.rows)) == (3, True, 2)
    assert (second.total, second.has_next, [r.mentor.full_name for r in second.rows]) == (
        3,
        False,
        ["Võ Thị Bốn"],
    )
    assert (beyond.total, beyond.rows) == (3, [])


def test_roll_ups_by_province_facility_and_specialty(spread):
    provinces = compliance.compliance_by_province(NATIONAL, AUDIT_DAY)
    # Đà Nẵng: 10 of 20 (50 %) comes before Hà Nội: 7 of 10 (70 %).
    assert [
        (row.province.code, row.figures.mentors, row.figures.filled, row.figures.required)
        for row in provinces
    ] == [
        (48, 2, 10, 20),
        (1, 1, 7, 10),
    ]
    by_code = {row.province.code: row for row in provinces}
    assert (by_code[1].figures.compliance, by_code[48].figures.compliance) == (70.0, 50.0)
    assert [row.province.code for row in provinces] == [48, 1]

    facilities = compliance.compliance_by_facility(NATIONAL, AUDIT_DAY, limit=1)
    assert facilities.total == 2 and facilities.has_next
    (worst,) = facilities.rows
    assert worst.facility == spread["danang"] and worst.facility.province.code == 48
    assert worst.figures.mentors == 2

    specialties = compliance.compliance_by_specialty(NATIONAL, AUDIT_DAY)
    by_specialty = {(row.specialty.code if row.specialty else None): row.figures for row in specialties}
    assert set(by_specialty) == {"cardiology", "paediatrics", None}
    assert by_specialty["paediatrics"].compliance == 0.0
    assert by_specialty["cardiology"].compliance == 70.0
    assert by_specialty[None].mentors == 1
    assert specialties[0].specialty is not None and specialties[0].specialty.code == "paediatrics"


def test_the_monthly_trend_audits_each_month_under_its_policy(spread):
    points = compliance.compliance_trend(NATIONAL, 3, until=date(2026, 10, 10))

    assert [(p.month, p.as_of) for p in points] == [
        (date(2026, 8, 1), date(2026, 8, 31)),
        (date(2026, 9, 1), date(2026, 9, 30)),
        (date(2026, 10, 1), date(2026, 10, 10)),
    ]
    august, september, october = points
    assert (august.figures.mentors, august.figures.filled, august.figures.compliance) == (3, 0, 0.0)
    assert (september.figures.filled, september.figures.required) == (17, 30)
    assert [row.province.code for row in october.provinces] == [48, 1]
    assert all(point.policy_version == 1 for point in points)
    with pytest.raises(ServiceError):
        compliance.compliance_trend(NATIONAL, 0)


def test_the_trend_follows_a_policy_change_month_by_month(partial):
    reduced_policy()

    october, november = compliance.compliance_trend(NATIONAL, 2, until=date(2026, 11, 10))

    assert (october.as_of, october.policy_version) == (date(2026, 10, 31), 1)
    assert (october.figures.required, october.figures.filled, october.figures.surplus) == (10, 7, 0)
    assert (november.as_of, november.policy_version) == (date(2026, 11, 10), 2)
    assert (november.figures.required, november.figures.filled, november.figures.surplus) == (6, 6, 1)
    assert [(row.figures.required, row.figures.filled) for row in november.provinces] == [(6, 6)]


def test_streaming_iterates_every_mentor_in_chunks(spread):
    rows = list(compliance.iter_mentor_compliance(NATIONAL, AUDIT_DAY, chunk_size=1))
    assert [row.mentor.full_name for row in rows] == ["Phạm Văn Ba", "Trần Thị Một", "Võ Thị Bốn"]
    assert all(row.mentor.facility is not None for row in rows)
    facilities = list(compliance.iter_compliance_by_facility(NATIONAL, AUDIT_DAY, chunk_size=1))
    assert facilities[0].facility.pk == spread["danang"].pk
