"""The product as a mobile developer meets it: Daphne serving the real ASGI application,
driven by scripts/headless_me.py over HTTP (allauth headless login, GraphQL `me`, logout)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from allauth.account.models import EmailAddress

from tests import factories

ROOT = Path(__file__).resolve().parent.parent


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
