"""Fixtures shared by the whole suite.

Services needed by a test are real: PostgreSQL always (pytest-django), Redis through the
``redis_url`` fixture. Outside CI a missing Redis skips those tests with the reason; under
CI=true it fails them.
"""

from __future__ import annotations

import importlib
import os
import socket
import subprocess
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.utils import translation

from config.launch import daphne_command

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def require_service(name: str, reason: str) -> None:
    if IN_CI:
        pytest.fail(f"{name} is required under CI=true: {reason}")
    pytest.skip(f"{name} unavailable: {reason}")


@pytest.fixture(autouse=True)
def _data_migration_rows(request: pytest.FixtureRequest, _django_db_marker: None) -> None:
    """Rows data migrations load (the default quota policy, the default referral response
    targets), present in every test's database: pytest-django empties the database after each
    transactional test, migrations' rows too."""
    uses_database = "_django_db_helper" in request.fixturenames or request.node.get_closest_marker(
        "django_db"
    )
    if not uses_database:
        return
    request.getfixturevalue("_django_db_helper")
    from django.apps import apps

    importlib.import_module("mentorship.migrations.0002_default_quota_policy").load_default_policy(apps, None)
    importlib.import_module("referrals.migrations.0002_default_response_targets").load_default_targets(
        apps, None
    )


@pytest.fixture(autouse=True)
def _default_language() -> None:
    """Every test starts in the site's default language: a request through the test client
    leaves the language it negotiated active in this thread."""
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path: Path) -> Iterator[None]:
    """Uploaded files go to a per-test folder, never to var/."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    yield


@pytest.fixture
def redis_url() -> str:
    url = os.environ.get("REDIS_URL", "")
    if not url:
        require_service("Redis", "REDIS_URL is not set")
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        require_service("Redis", f"cannot reach {url}: {error}")
    return url


@pytest.fixture
def verified_doctor(db):
    from tests import factories

    return factories.doctor()


@pytest.fixture
def verifier(db):
    from tests import factories

    return factories.verifier()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def database_url(settings_dict: Mapping[str, Any]) -> str:
    """A DATABASE_URL naming the database Django is connected to (the test database), for the
    server processes a test starts."""
    host = settings_dict["HOST"] or ""
    return (
        f"postgresql://{settings_dict['USER']}@{host.replace('/', '%2F')}:"
        f"{settings_dict['PORT'] or 5432}/{settings_dict['NAME']}"
    )


@pytest.fixture
def daphne_url(transactional_db, tmp_path: Path) -> Iterator[str]:
    """A Daphne process on a free port, using the test database; its output goes to a file
    (a pipe nobody reads would block it once full)."""
    port = free_port()
    env = {**os.environ, "DJANGO_ENV": "test", "DATABASE_URL": database_url(connection.settings_dict)}
    log_path = tmp_path / "daphne.log"
    log = log_path.open("wb")
    server = subprocess.Popen(
        daphne_command("127.0.0.1", port),
        cwd=Path(__file__).resolve().parent.parent,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if server.poll() is not None:
                    raise RuntimeError(log_path.read_text(errors="replace")) from None
                time.sleep(0.2)
        else:
            raise RuntimeError("Daphne did not start within 30 s")
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()


@pytest.fixture
def validations(monkeypatch):
    """Counts full validations of GraphQL documents (each parses a fresh one; ``api.documents``
    caches the valid ones for both transports)."""
    from api import documents

    calls: list[str] = []
    real = documents.validate_document

    def spy(schema, document, variables, max_errors=None):
        calls.append(document.loc.source.body)
        return real(schema, document, variables, max_errors)

    monkeypatch.setattr(documents, "validate_document", spy)
    return calls
