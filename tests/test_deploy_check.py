"""The production profile passes Django's deployment checks and refuses to start without a
secret key. Each check runs ``manage.py`` in a fresh process with only the production
environment, as a server would."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys

from django.conf import settings

PRODUCTION_ENV = {
    "DJANGO_ENV": "production",
    "ALLOWED_HOSTS": "tuyen.example.vn",
    "DATABASE_URL": os.environ.get("DATABASE_URL", "postgresql://tuyen@db.example.vn/tuyen"),
}


def manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    # Only what a server has: no DJANGO_DEBUG or other overrides leaking from the test run.
    base = {name: value for name, value in os.environ.items() if name in {"PATH", "HOME", "LANG", "LC_ALL"}}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env={**base, **PRODUCTION_ENV, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_production_profile_passes_the_deployment_checks():
    result = manage(
        "check", "--deploy", "--fail-level", "WARNING", DJANGO_SECRET_KEY=secrets.token_urlsafe(50)
    )

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_the_deployment_checks_do_catch_a_weak_secret_key():
    result = manage("check", "--deploy", "--fail-level", "WARNING", DJANGO_SECRET_KEY="too-short")

    assert result.returncode != 0
    assert "security.W009" in result.stderr


def test_production_refuses_to_start_without_a_secret_key():
    result = manage("check")

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set in production." in result.stderr


def test_production_hashes_passwords_with_argon2():
    # The test profile swaps in a fast hasher; production must not.
    result = manage(
        "shell",
        "-c",
        "from django.contrib.auth.hashers import get_hasher; print(get_hasher().algorithm)",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "argon2"


def test_production_refuses_schema_introspection_but_keeps_typename():
    script = (
        "import json; from graphql import parse, validate; from config.schema import schema;"
        "from api.validation import validation_rules;"
        "check = lambda q: [e.message for e in validate(schema.graphql_schema, parse(q), validation_rules())];"
        "print(json.dumps([check('{ __schema { types { name } } }'), check('{ __typename }')]))"
    )
    result = manage("shell", "-c", script, DJANGO_SECRET_KEY=secrets.token_urlsafe(50))

    assert result.returncode == 0, result.stderr
    introspection, typename = json.loads(result.stdout.strip().splitlines()[-1])
    assert "introspection" in introspection[0].lower()
    assert typename == []
