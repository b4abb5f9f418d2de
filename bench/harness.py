"""The benchmark harness: discovery, interleaved timing, statistics, the table and the JSON."""

from __future__ import annotations

import argparse
import importlib
import json
import math
import os
import pkgutil
import platform
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

BENCH_DIR = Path(__file__).resolve().parent
RESULTS_FILE = BENCH_DIR / "results" / "latest.json"
DEFAULT_DATABASE = "tuyen_bench"


# --- Statistics ----------------------------------------------------------------------------------


def percentile(samples: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100), interpolating linearly between the closest ranks."""
    if not samples:
        raise ValueError("No samples.")
    if not 0 <= q <= 100:
        raise ValueError("q must be between 0 and 100.")
    ordered = sorted(samples)
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def measure_interleaved(
    subject: Callable[[], object],
    floor: Callable[[], object],
    *,
    rounds: int,
    warmup: int = 3,
    clock: Callable[[], float] = time.perf_counter,
) -> tuple[list[float], list[float]]:
    """Time ``subject`` and ``floor`` alternately, ``rounds`` times each; return both sample lists
    (seconds). The order flips every round (A B, B A, A B...) so neither always runs second, and
    a burst of load on a shared machine hits both rather than one."""
    for _ in range(warmup):
        subject()
        floor()
    subject_samples: list[float] = []
    floor_samples: list[float] = []
    for index in range(rounds):
        pairs = [(subject, subject_samples), (floor, floor_samples)]
        for function, samples in pairs if index % 2 == 0 else reversed(pairs):
            started = clock()
            function()
            samples.append(clock() - started)
    return subject_samples, floor_samples


@dataclass
class Result:
    """One benchmark's samples against its floor's, and the targets it is judged by.

    ``max_ratio`` bounds measured p50 / floor p50; ``max_p95_ms`` bounds the measured p95.
    A result passes when every target it sets holds.
    """

    name: str
    samples: list[float]
    floor_samples: list[float]
    max_ratio: float | None = None
    max_p95_ms: float | None = None
    notes: str = ""

    @property
    def p50_ms(self) -> float:
        return percentile(self.samples, 50) * 1000

    @property
    def p95_ms(self) -> float:
        return percentile(self.samples, 95) * 1000

    @property
    def floor_p50_ms(self) -> float:
        return percentile(self.floor_samples, 50) * 1000

    @property
    def floor_p95_ms(self) -> float:
        return percentile(self.floor_samples, 95) * 1000

    @property
    def ratio(self) -> float:
        return self.p50_ms / self.floor_p50_ms if self.floor_p50_ms else math.inf

    @property
    def target(self) -> str:
        parts = []
        if self.max_ratio is not None:
            parts.append(f"ratio<={self.max_ratio:g}")
        if self.max_p95_ms is not None:
            parts.append(f"p95<={self.max_p95_ms:g}ms")
        return ", ".join(parts) or "-"

    @property
    def passed(self) -> bool:
        return (self.max_ratio is None or self.ratio <= self.max_ratio) and (
            self.max_p95_ms is None or self.p95_ms <= self.max_p95_ms
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "p50_ms": self.p50_ms,
            "p95_ms": self.p95_ms,
            "floor_p50_ms": self.floor_p50_ms,
            "floor_p95_ms": self.floor_p95_ms,
            "ratio": self.ratio,
            "target": {"max_ratio": self.max_ratio, "max_p95_ms": self.max_p95_ms},
            "passed": self.passed,
            "rounds": len(self.samples),
            "notes": self.notes,
            "samples_ms": [sample * 1000 for sample in self.samples],
            "floor_samples_ms": [sample * 1000 for sample in self.floor_samples],
        }


# --- Output --------------------------------------------------------------------------------------

COLUMNS = ("benchmark", "p50 ms", "p95 ms", "floor p50", "floor p95", "ratio", "target", "result")


def render_table(results: Sequence[Result]) -> str:
    rows = [
        (
            result.name,
            f"{result.p50_ms:.2f}",
            f"{result.p95_ms:.2f}",
            f"{result.floor_p50_ms:.2f}",
            f"{result.floor_p95_ms:.2f}",
            f"{result.ratio:.1f}x",
            result.target,
            "pass" if result.passed else "FAIL",
        )
        for result in results
    ]
    widths = [max(len(row[i]) for row in [COLUMNS, *rows]) for i in range(len(COLUMNS))]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            cell.ljust(width) if i in (0, 6) else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    rule = "  ".join("-" * width for width in widths)
    return "\n".join([line(COLUMNS), rule, *(line(row) for row in rows)])


def write_json(results: Sequence[Result], parameters: dict[str, Any], path: Path = RESULTS_FILE) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
        },
        "parameters": parameters,
        "results": [result.as_json() for result in results],
    }
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


# --- Discovery and context -----------------------------------------------------------------------


def discover(names: Sequence[str] = ()) -> list[str]:
    """Module names of the benchmarks (``bench.bench_*``), sorted; only ``names`` if given."""
    found = sorted(
        f"bench.{module.name}"
        for module in pkgutil.iter_modules([str(BENCH_DIR)])
        if module.name.startswith("bench_")
    )
    if names:
        wanted = {name if name.startswith("bench.") else f"bench.{name}" for name in names}
        unknown = wanted - set(found)
        if unknown:
            raise SystemExit(f"Unknown benchmark(s): {', '.join(sorted(unknown))}. Known: {', '.join(found)}")
        found = [name for name in found if name in wanted]
    return found


@dataclass
class BenchContext:
    """What every benchmark gets: the run's parameters and a way to report progress."""

    doctors: int = 200_000
    rounds: int = 200
    warmup: int = 10
    seed: int = 1
    log: Callable[[str], None] = field(default=lambda message: print(message, flush=True))

    def ensure_country_data(self) -> None:
        """Seed the synthetic country (``seed_country``) unless it already has enough doctors."""
        from django.utils import timezone

        from accounts.management.seeding import country

        present = country.synthetic_users().filter(facility__isnull=False).count()
        if present >= self.doctors:
            self.log(f"Country data present: {present} synthetic doctors.")
            return
        self.log(f"Seeding {self.doctors} synthetic doctors (found {present}); this takes a while...")
        started = time.perf_counter()
        country.seed_country(
            country.CountryParameters(doctors=self.doctors, seed=self.seed, as_of=timezone.localdate()),
            reset=True,
            log=self.log,
        )
        self.log(f"Seeded in {time.perf_counter() - started:.0f} s.")


def bench_database_url(url: str, name: str) -> str:
    """``url`` pointing at database ``name`` on the same server (host, socket and user kept)."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


def ensure_database(url: str) -> None:
    """Create the database ``url`` names if the server does not have it yet."""
    import psycopg
    from psycopg import sql

    name = urlsplit(url).path.lstrip("/")
    with psycopg.connect(bench_database_url(url, "postgres"), autocommit=True) as connection:
        if connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def setup_django(database_url: str) -> None:
    """Point Django at the benchmark database, migrate it and load the reference data."""
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_ENV", "test")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    # WhiteNoise warns that collectstatic never ran; the benchmarks serve no static files.
    warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)
    import django

    django.setup()
    from django.core.management import call_command

    from facilities.services import load_reference_data

    call_command("migrate", verbosity=0, interactive=False)
    load_reference_data()


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("benchmarks", nargs="*", help="Only these (e.g. bench_foundation).")
    parser.add_argument("--doctors", type=int, default=200_000, help="Synthetic doctors (default 200000).")
    parser.add_argument("--rounds", type=int, default=200, help="Timed rounds per benchmark (default 200).")
    parser.add_argument("--warmup", type=int, default=10, help="Untimed rounds first (default 10).")
    parser.add_argument("--seed", type=int, default=1, help="seed_country's seed (default 1).")
    parser.add_argument(
        "--database",
        default=os.environ.get("BENCH_DATABASE", DEFAULT_DATABASE),
        help=f"Database on DATABASE_URL's server to use, created if missing (default {DEFAULT_DATABASE}).",
    )
    parser.add_argument("--output", type=Path, default=RESULTS_FILE, help="Where to write the JSON.")
    args = parser.parse_args(argv)
    if not os.environ.get("DATABASE_URL"):
        print(
            "DATABASE_URL is not set: run `make bench` or `python -m config.launch bench`.", file=sys.stderr
        )
        return 2

    modules = discover(args.benchmarks)
    database_url = bench_database_url(os.environ["DATABASE_URL"], args.database)
    ensure_database(database_url)
    setup_django(database_url)
    ctx = BenchContext(doctors=args.doctors, rounds=args.rounds, warmup=args.warmup, seed=args.seed)
    results: list[Result] = []
    for name in modules:
        ctx.log(f"Running {name}...")
        results.extend(importlib.import_module(name).run(ctx))
    print()
    print(render_table(results))
    parameters = {
        "database": args.database,
        "doctors": args.doctors,
        "rounds": args.rounds,
        "warmup": args.warmup,
        "seed": args.seed,
        "benchmarks": modules,
    }
    write_json(results, parameters, args.output)
    print(f"\nWrote {args.output}")
    return 0 if all(result.passed for result in results) else 1
