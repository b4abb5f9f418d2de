"""The benchmark harness itself (statistics, interleaving, verdicts, table, JSON, discovery).

No timing is asserted here: benchmarks judge time in `make bench`, never in the test suite.
"""

from __future__ import annotations

import json
from itertools import count

import pytest

from bench import harness
from bench.harness import Result


def test_percentile_interpolates_between_closest_ranks():
    samples = [float(n) for n in range(1, 101)]  # 1..100, shuffled order must not matter
    samples.reverse()

    assert harness.percentile(samples, 50) == 50.5
    assert harness.percentile(samples, 95) == pytest.approx(95.05)
    assert harness.percentile(samples, 0) == 1.0
    assert harness.percentile(samples, 100) == 100.0
    assert harness.percentile([7.0], 95) == 7.0


@pytest.mark.parametrize(("samples", "q"), [([], 50), ([1.0], -1), ([1.0], 101)])
def test_percentile_refuses_what_has_no_answer(samples, q):
    with pytest.raises(ValueError):
        harness.percentile(samples, q)


def test_measurements_interleave_subject_and_floor_flipping_the_order_each_round():
    calls: list[str] = []
    ticks = count()

    subject_samples, floor_samples = harness.measure_interleaved(
        lambda: calls.append("A"),
        lambda: calls.append("B"),
        rounds=4,
        warmup=1,
        clock=lambda: float(next(ticks)),
    )

    assert calls == ["A", "B", "A", "B", "B", "A", "A", "B", "B", "A"]
    assert subject_samples == [1.0, 1.0, 1.0, 1.0]
    assert floor_samples == [1.0, 1.0, 1.0, 1.0]


def result(**overrides) -> Result:
    values = {
        "name": "screen",
        "samples": [0.010, 0.012, 0.011, 0.030],
        "floor_samples": [0.001, 0.001, 0.002, 0.001],
    }
    return Result(**{**values, **overrides})


def test_a_result_reports_milliseconds_and_the_ratio_of_medians():
    measured = result()

    assert measured.p50_ms == pytest.approx(11.5)
    assert measured.floor_p50_ms == pytest.approx(1.0)
    assert measured.ratio == pytest.approx(11.5)
    assert measured.p95_ms == pytest.approx(27.3)


@pytest.mark.parametrize(
    ("targets", "passed"),
    [
        ({}, True),
        ({"max_ratio": 12}, True),
        ({"max_ratio": 11}, False),
        ({"max_p95_ms": 30}, True),
        ({"max_p95_ms": 20}, False),
        ({"max_ratio": 12, "max_p95_ms": 20}, False),
    ],
)
def test_a_result_passes_only_when_every_target_it_sets_holds(targets, passed):
    assert result(**targets).passed is passed


def test_the_table_has_one_row_per_result_with_its_figures_and_verdict():
    table = harness.render_table(
        [result(name="fast screen", max_ratio=20), result(name="slow screen", max_p95_ms=5)]
    ).splitlines()

    assert [cell.strip() for cell in table[0].split("  ") if cell.strip()] == list(harness.COLUMNS)
    assert len(table) == 4
    assert table[2].startswith("fast screen") and "11.50" in table[2] and "11.5x" in table[2]
    assert table[2].endswith("pass") and "ratio<=20" in table[2]
    assert table[3].endswith("FAIL") and "p95<=5ms" in table[3]


def test_the_json_holds_parameters_machine_and_every_result(tmp_path):
    path = tmp_path / "results" / "latest.json"

    harness.write_json([result(max_ratio=20)], {"doctors": 200_000}, path)

    document = json.loads(path.read_text(encoding="utf-8"))
    assert document["parameters"] == {"doctors": 200_000}
    assert document["machine"]["cpus"] >= 1
    (entry,) = document["results"]
    assert entry["name"] == "screen"
    assert entry["passed"] is True
    assert entry["ratio"] == pytest.approx(11.5)
    assert entry["target"] == {"max_ratio": 20, "max_p95_ms": None}
    assert entry["samples_ms"] == pytest.approx([10, 12, 11, 30])
    assert entry["rounds"] == 4


def test_benchmarks_are_discovered_by_module_name():
    assert "bench.bench_foundation" in harness.discover()
    assert harness.discover(["bench_foundation"]) == ["bench.bench_foundation"]
    with pytest.raises(SystemExit, match="bench_nothing"):
        harness.discover(["bench_nothing"])


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "postgresql://postgres@127.0.0.1:5432/tuyen",
            "postgresql://postgres@127.0.0.1:5432/tuyen_bench",
        ),
        (
            "postgresql://postgres@%2Fwork%2Fvar%2Frun:5433/tuyen?sslmode=disable",
            "postgresql://postgres@%2Fwork%2Fvar%2Frun:5433/tuyen_bench?sslmode=disable",
        ),
    ],
)
def test_the_benchmark_database_is_a_sibling_on_the_same_server(url, expected):
    assert harness.bench_database_url(url, "tuyen_bench") == expected


def test_results_are_kept_out_of_git():
    gitignore = (harness.BENCH_DIR.parent / ".gitignore").read_text(encoding="utf-8").split()

    assert "bench/results/" in gitignore
    assert harness.RESULTS_FILE.parent.name == "results"
