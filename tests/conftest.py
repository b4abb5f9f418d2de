"""Fixtures shared by the whole suite.

Services needed by a test are real: PostgreSQL always (pytest-django), Redis through the
``redis_url`` fixture. Outside CI a missing Redis skips those tests with the reason; under
CI=true it fails them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def require_service(name: str, reason: str) -> None:
    if IN_CI:
        pytest.fail(f"{name} is required under CI=true: {reason}")
    pytest.skip(f"{name} unavailable: {reason}")


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
