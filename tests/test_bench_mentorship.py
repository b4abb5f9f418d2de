"""The mentorship benchmark's own logic: its verdicts, how it reads both paths' answers, and
that its SQL floors compute the audit's figures (on a small seeded country, against the
selectors). No timing is asserted here: benchmarks judge time in `make bench`."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from accounts.management.seeding import country, mentorships, network
from bench import bench_mentorship as bench
from mentorship.selectors import compliance
from mentorship.services.permissions import NATIONAL

SAMPLES = {"samples": [0.010, 0.011, 0.012], "floor_samples": [0.009, 0.010, 0.011]}


@pytest.mark.parametrize(("queries", "passed"), [(2, True), (3, True), (4, False), (None, False)])
def test_an_audit_result_passes_only_within_its_query_budget(queries, passed):
    result = bench.AuditResult(name="audit", **SAMPLES, max_ratio=1.5, queries=queries, max_queries=3)

    assert result.passed is passed
    assert result.target == "ratio<=1.5, queries<=3"
    assert result.as_json()["queries"] == queries


def test_an_audit_result_still_needs_its_time_targets():
    slow = bench.AuditResult(name="audit", **SAMPLES, max_p95_ms=5, queries=1, max_queries=3)

    assert not slow.passed


@pytest.mark.parametrize(("filled", "max_flow", "passed"), [(10, 10, True), (9, 10, False)])
def test_a_planner_run_passes_only_when_every_fillable_slot_is_filled(filled, max_flow, passed):
    result = bench.PlannerBenchResult(
        name="planner",
        samples=[12.0],
        floor_samples=[3.0],
        max_p95_ms=60_000,
        filled=filled,
        max_flow=max_flow,
    )

    assert result.passed is passed
    assert result.target == "p95<=60000ms, filled=max flow"


def test_the_audit_day_ends_at_local_midnight_and_the_activity_window_precedes_it(settings):
    settings.MENTORSHIP_ACTIVITY_DAYS = 30

    parameters = bench.audit_parameters(date(2026, 3, 1))

    assert parameters["cutoff"] == timezone.make_aware(datetime(2026, 3, 2))
    assert parameters["since"] == parameters["cutoff"] - timedelta(days=30)
    assert parameters["limit"] == bench.PAGE


def test_both_paths_figures_read_alike_and_a_difference_fails_loudly():
    node = {"mentors": 3, "required": 30, "filled": 24, "deficit": 6, "surplus": 0, "inForce": 25}
    node |= {"engaged": 20, "paper": 5, "compliance": 80.0}
    row = (3, 30, 24, 6, 0, 25, 20, 5, 80.0)

    assert bench.figures_from_graphql(node) == bench.figures_from_sql(row)
    bench.same(bench.figures_from_graphql(node), bench.figures_from_sql(row), "the figures")
    with pytest.raises(RuntimeError, match="disagree on the figures"):
        bench.same(bench.figures_from_graphql(node), bench.figures_from_sql((3, 30, 25)), "the figures")


def test_a_mentor_page_is_read_with_decoded_ids_sorted_tiers_and_specialties():
    from graphql_relay import to_global_id

    payload = {
        "data": {
            "mentorCompliance": {
                "totalCount": 120,
                "edges": [
                    {
                        "node": {
                            "mentor": {
                                "id": to_global_id("Doctor", "6b1f0c8e-0000-4000-8000-000000000001"),
                                "specialties": [{"nameVi": "Nhi khoa"}, {"nameVi": "Nội khoa"}],
                            },
                            "required": 10, "filled": 6, "deficit": 4, "surplus": 0, "inForce": 6,
                            "engaged": 4, "paper": 2, "lastActivityAt": "2026-11-20T08:00:00+07:00",
                            "tiers": [
                                {"menteeTier": "PROVINCIAL", "required": 4, "maximum": 4, "inForce": 3, "engaged": 2},
                                {"menteeTier": "COMMUNE", "required": 2, "maximum": 2, "inForce": 1, "engaged": 1},
                            ],
                        }
                    }
                ],
            }
        }
    }  # fmt: skip

    total, (line,) = bench.mentor_lines(payload)

    assert total == 120
    assert line.public_id == "6b1f0c8e-0000-4000-8000-000000000001"
    assert line.figures == (10, 6, 4, 0, 6, 4, 2)
    assert line.tiers == (("commune", 2, 2, 1, 1), ("provincial", 4, 4, 3, 2))
    assert line.last_activity_at == timezone.make_aware(datetime(2026, 11, 20, 8))
    assert line.specialties == ("Nhi khoa", "Nội khoa")


def test_graphql_errors_are_never_timed():
    with pytest.raises(RuntimeError, match="GraphQL errors"):
        bench.summary_figures({"errors": [{"message": "You may not audit mentoring compliance."}]})


@pytest.mark.django_db
def test_the_sql_floors_compute_the_figures_the_selectors_do():
    foundation = [step for step in country.PIPELINE if type(step).__module__ != network.__name__]
    country.seed_country(
        country.CountryParameters(doctors=600, seed=3, as_of=timezone.localdate()),
        log=lambda _: None,
        pipeline=[*foundation, *mentorships.mentorship_steps()],
    )
    parameters = bench.audit_parameters(timezone.localdate())

    with connection.cursor() as cursor:
        cursor.execute(bench.SUMMARY_SQL, parameters)
        summary = bench.figures_from_sql(cursor.fetchone())
        cursor.execute(bench.PROVINCES_SQL, parameters)
        provinces = [(row[0], bench.figures_from_sql(row[2:])) for row in cursor.fetchall()]
        cursor.execute(bench.WORST_SQL, parameters)
        worst = [
            (str(row[1]), tuple(int(value) for value in row[8:15]), row[15]) for row in cursor.fetchall()
        ]

    figures = compliance.compliance_summary(NATIONAL).figures
    assert summary["mentors"] > 30 and summary["deficit"] > 0 and 0 < summary["engaged"] < summary["inForce"]
    assert summary == {key: getattr(figures, name) for key, name in FIGURE_NAMES.items()}
    assert provinces == [
        (row.province.code, {key: getattr(row.figures, name) for key, name in FIGURE_NAMES.items()})
        for row in compliance.compliance_by_province(NATIONAL)
    ]
    page = compliance.mentor_compliance(NATIONAL, limit=bench.PAGE)
    assert worst == [
        (
            str(row.mentor.public_id),
            tuple(getattr(row.figures, name) for name in list(FIGURE_NAMES.values())[1:]),
            row.last_activity_at,
        )
        for row in page.rows
    ]


FIGURE_NAMES = {
    "mentors": "mentors",
    "required": "required",
    "filled": "filled",
    "deficit": "deficit",
    "surplus": "surplus",
    "inForce": "in_force",
    "engaged": "engaged",
    "paper": "paper",
}
