"""Referral metrics: figures computed by one SQL statement checked against referrals with known
timings; scoped to the auditor; refused to everyone else (GraphQL and CSV)."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from facilities.models import Tier
from mentorship.services.permissions import NATIONAL, Scope
from referrals.models import Referral
from referrals.selectors.metrics import Grouping, referral_metrics
from referrals.services import referrals as services
from tests import factories
from tests.graphql import conftest as graphql_conftest
from tests.graphql.conftest import data_of, error_codes
from tests.referrals.conftest import complete, doctor_with_specialty, refer

pytestmark = pytest.mark.django_db
graphql = graphql_conftest.graphql


@pytest.fixture
def history(requester, consultant, case):
    """Four routine referrals 10 days ago: answered in 1 h, 10 h and 60 h (late), one never;
    the first two completed in 20 h and 100 h; one escalated; one closed with a transfer avoided."""
    start = timezone.now() - timedelta(days=10)
    made = [refer(requester, case, consultant, now=start) for _ in range(4)]
    for referral, hours in zip(made, (1, 10, 60), strict=False):
        services.accept_referral(consultant, referral.public_id, now=start + timedelta(hours=hours))
        services.start_referral(consultant, referral.public_id, now=start + timedelta(hours=hours))
    for referral, hours in zip(made, (20, 100), strict=False):
        complete(consultant, referral)
        Referral.objects.filter(pk=referral.pk).update(completed_at=start + timedelta(hours=hours))
    Referral.objects.filter(pk=made[3].pk).update(escalation_level=1)
    services.close_referral(
        requester, made[0].public_id, transfer_avoided=True, plan_changed=True, usefulness=5
    )
    return made


def test_the_national_figures(history):
    [row] = referral_metrics(NATIONAL, Grouping.NATIONAL)
    assert (row.referrals, row.responded) == (4, 3)
    assert row.median_response_hours == pytest.approx(10)
    assert row.p90_response_hours == pytest.approx(50)  # 10 + 0.8 * (60 - 10)
    assert row.median_completion_hours == pytest.approx(60)
    assert row.response_within_target == pytest.approx(50)  # 1 h and 10 h of 4 due (48 h)
    # Accepted: 3; completed within 168 h: 2; the third is past its completion due time.
    assert row.completion_within_target == pytest.approx(100 * 2 / 3)
    assert row.escalation_rate == pytest.approx(25)
    assert (row.outcomes, row.transfers_avoided) == (1, 1)


def test_each_group_has_its_own_percentiles(history, requester, case):
    """Per province, the durations are those of that province only; a province whose
    referrals were never answered has no percentiles (not zeros, not the others')."""
    elsewhere = factories.facility(Tier.PROVINCIAL, province=factories.province(2, "Tỉnh Lào Cai"))
    silent = doctor_with_specialty(Tier.PROVINCIAL, facility=elsewhere)
    refer(requester, case, silent, now=timezone.now() - timedelta(days=3))
    rows = {row.key: row for row in referral_metrics(NATIONAL, Grouping.PROVINCE)}
    answered, unanswered = rows[str(history[0].target_facility.province_id)], rows["2"]
    assert (answered.median_response_hours, answered.p90_response_hours) == (
        pytest.approx(10),
        pytest.approx(50),
    )
    assert answered.median_completion_hours == pytest.approx(60)
    assert (unanswered.referrals, unanswered.responded) == (1, 0)
    assert unanswered.median_response_hours is None and unanswered.p90_completion_hours is None


def test_groupings_and_scope(history, consultant):
    by_province = referral_metrics(NATIONAL, Grouping.PROVINCE)
    assert [(row.key, row.referrals) for row in by_province] == [(str(consultant.facility.province_id), 4)]
    assert referral_metrics(NATIONAL, Grouping.MONTH)[0].referrals == 4
    assert referral_metrics(NATIONAL, Grouping.SPECIALTY)[0].label == "Tim mạch"
    other = Scope("facility", facility_id=factories.facility(Tier.CENTRAL).pk)
    assert referral_metrics(other, Grouping.NATIONAL) == []


METRICS = "query { referralMetrics(groupBy: FACILITY) { key label referrals medianResponseHours responseWithinTarget } }"


def test_metrics_need_the_audit_permission(graphql, history, consultant):
    graphql.login(consultant)
    refused = graphql(METRICS)
    assert error_codes(refused) == ["PERMISSION_DENIED"] and refused["data"] is None
    graphql.login(factories.auditor())
    [row] = data_of(graphql(METRICS))["referralMetrics"]
    assert (row["label"], row["referrals"]) == (consultant.facility.name, 4)


def test_the_csv_export_is_audited_and_refused_to_others(client, history, consultant):
    client.force_login(consultant)
    assert client.get("/referrals/metrics/province.csv").status_code == 403
    auditor = factories.auditor()
    factories.activate_totp(auditor)  # staff need a second factor for any page
    client.force_login(auditor)
    response = client.get("/referrals/metrics/province.csv")
    assert response.status_code == 200
    lines = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
    assert lines[0].startswith("key,label,referrals,responded,median_response_hours")
    assert lines[1].split(",")[2] == "4"
    assert AuditEvent.objects.filter(action="referral.metrics_exported", actor=auditor).exists()


def test_the_audit_dashboard_has_a_referral_section(client, history):
    auditor = factories.auditor()
    factories.activate_totp(auditor)
    client.force_login(auditor)
    page = client.get("/audit/", headers={"accept-language": "en"}).content.decode()
    assert 'id="referral-metrics"' in page
    assert '<dd data-figure="referrals">4</dd>' in page
    assert "/referrals/metrics/province.csv" in page


def test_a_province_auditor_and_the_period_filters(graphql, history, consultant):
    inside = Scope("province", province_id=consultant.facility.province_id)
    assert referral_metrics(inside, Grouping.NATIONAL)[0].referrals == 4
    elsewhere = Scope("province", province_id=consultant.facility.province_id + 1)
    assert referral_metrics(elsewhere, Grouping.NATIONAL) == []
    graphql.login(factories.auditor())
    today = timezone.localdate()
    empty = data_of(
        graphql(
            "query($from: Date, $to: Date) { referralMetrics(groupBy: NATIONAL, dateFrom: $from, dateTo: $to) { referrals } }",
            {"from": str(today - timedelta(days=3)), "to": str(today)},
        )
    )["referralMetrics"]
    assert empty == []


@pytest.mark.parametrize("start", ["=", "+", "-", "@"])
def test_the_csv_export_neutralises_formulas(client, history, consultant, start):
    """A facility named like a formula is exported as text, not run by the spreadsheet."""
    name = f'{start}HYPERLINK("http://evil.example","x")'
    type(consultant.facility).objects.filter(pk=consultant.facility_id).update(name=name)
    auditor = factories.auditor()
    factories.activate_totp(auditor)
    client.force_login(auditor)
    response = client.get("/referrals/metrics/facility.csv")
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    [row] = list(csv.reader(io.StringIO(body)))[1:]
    assert row[1] == "'" + name
    assert row[2] == "4"  # numbers stay numbers
