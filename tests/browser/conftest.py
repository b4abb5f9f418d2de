"""Browser tests: Debian's Chromium (``/usr/bin/chromium``, no browser download) driven by
Playwright for Python against a live Daphne serving the real ASGI application on the test
database. Outside CI a missing Chromium skips these tests with the reason; under CI=true it
fails them (``tests.conftest.require_service``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from allauth.account.models import EmailAddress
from django.db import connections

from accounts.models import User
from tests import factories
from tests.conftest import require_service

ROOT = Path(__file__).resolve().parent.parent.parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# A common phone screen (CSS pixels): every page must work at this width.
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def _live_server_environment(monkeypatch) -> None:
    """What the Daphne subprocess inherits, beyond the test database:

    * WhiteNoise serves STATIC_ROOT; the pages need only this repository's own ``static/``,
      which is laid out as collectstatic would, so it is served as is (no collectstatic run);
    * no REDIS_URL: the in-memory channel layer carries notifications from the view that
      commits them to the sockets of the same Daphne process, and no other test run sharing
      a Redis server can see them (or send its own to our user ids)."""
    monkeypatch.setenv("STATIC_ROOT", str(ROOT / "static"))
    monkeypatch.delenv("REDIS_URL", raising=False)


@pytest.fixture
def live_server_url(_live_server_environment, daphne_url) -> str:
    return daphne_url


@pytest.fixture
def browser(live_server_url, monkeypatch) -> Iterator[object]:
    """A headless Chromium from Debian's package, started after the live server.

    Playwright's sync API keeps its event loop running on this thread, where Django then
    refuses ORM calls as if they came from async code. The test's own ORM calls (setting up
    doctors, checking what was stored) are plain synchronous calls on this thread, so the
    check is lifted here, for this process only: Daphne, started before, runs with it."""
    if not CHROMIUM.exists():
        require_service("Chromium", f"{CHROMIUM} is missing (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield chromium
        finally:
            # While that loop runs, Django keeps this thread's connections apart from the usual
            # ones: close them now, or the test database cannot be dropped at the end.
            connections.close_all()
            chromium.close()


@pytest.fixture
def web_doctor(transactional_db) -> Callable[..., User]:
    """``web_doctor(**profile)``: a verified doctor who can sign in through the login page
    (allauth requires a verified e-mail address)."""

    def make(**profile: object) -> User:
        doctor = factories.doctor(**profile)
        EmailAddress.objects.create(user=doctor, email=doctor.email, verified=True, primary=True)
        return doctor

    return make
