"""Fixtures of the feed's tests: a verified doctor and a connection of theirs."""

from __future__ import annotations

import pytest

from accounts.models import User
from tests import factories
from tests.network.test_cases_builders import connect


@pytest.fixture
def viewer() -> User:
    return factories.doctor()


@pytest.fixture
def peer(viewer: User) -> User:
    doctor = factories.doctor()
    connect(viewer, doctor)
    return doctor
