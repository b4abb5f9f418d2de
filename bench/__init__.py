"""Benchmarks: ``python -m bench`` (or ``make bench``) runs every ``bench/bench_*.py``.

Each module exposes ``run(ctx: BenchContext) -> list[Result]``. A benchmark measures what it
is about *and* a floor (the least work that could give the same answer, e.g. the same rows by
raw SQL) in the same run, interleaved, and is judged on the ratio as well as on absolute time,
so a noisy shared machine does not decide the verdict. Timing assertions live here, never in
the test suite. Results go to one table on stdout and to ``bench/results/latest.json``.
"""
