"""The product as a mobile developer meets it: Daphne serving the real ASGI application,
driven by scripts/headless_me.py over HTTP (allauth headless login, GraphQL `me`, logout)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from allauth.account.models import EmailAddress
from django.db import connection

from tests import factories

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def daphne_url(transactional_db) -> Iterator[str]:
    """A Daphne process on a free port, using the test database."""
    settings_dict = connection.settings_dict
    host = settings_dict["HOST"] or ""
    url = f"postgresql://{settings_dict['USER']}@{host.replace('/', '%2F')}:{settings_dict['PORT'] or 5432}/"
    port = free_port()
    env = {**os.environ, "DJANGO_ENV": "test", "DATABASE_URL": url + settings_dict["NAME"]}
    server = subprocess.Popen(
        [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
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
                    raise RuntimeError(server.stdout.read().decode()) from None
                time.sleep(0.2)
        else:
            raise RuntimeError("Daphne did not start within 30 s")
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_a_script_using_only_the_headless_api_gets_a_token_and_calls_me(daphne_url):
    doctor = factories.doctor(email="bs.tran.thi.hong@example.vn", full_name="Trần Thị Hồng")
    EmailAddress.objects.create(user=doctor, email=doctor.email, verified=True, primary=True)
    result = subprocess.run(
        [sys.executable, "scripts/headless_me.py", daphne_url, doctor.email, factories.PASSWORD],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert '"fullName": "Trần Thị Hồng"' in result.stdout
    assert '"verificationStatus": "VERIFIED"' in result.stdout
    assert "same token afterwards: HTTP 401" in result.stdout


def test_a_wrong_password_gets_no_token(daphne_url):
    doctor = factories.doctor()
    EmailAddress.objects.create(user=doctor, email=doctor.email, verified=True, primary=True)
    result = subprocess.run(
        [sys.executable, "scripts/headless_me.py", daphne_url, doctor.email, "wrong password"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "login failed (400)" in result.stderr
