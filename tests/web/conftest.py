"""Fixtures for the server-rendered pages: signed-in clients and staff with a TOTP authenticator."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress

from accounts.models import User
from tests import factories
from tests.factories import activate_totp

CLIENT_IP = "203.0.113.7"


def with_verified_email(user: User) -> User:
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


@pytest.fixture
def signed_in(client):
    """``signed_in(user)`` returns the test client signed in as ``user``, coming from CLIENT_IP.

    Pages are asked for in English so that tests read like the source strings; the Vietnamese
    default has tests of its own."""

    def sign_in(user: User, language: str = "en"):
        client.force_login(user)
        client.defaults["REMOTE_ADDR"] = CLIENT_IP
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = language
        return client

    return sign_in


@pytest.fixture
def superuser(db) -> User:
    admin = User.objects.create_superuser("admin@example.vn", factories.PASSWORD, full_name="Quản trị viên")
    activate_totp(admin)
    return with_verified_email(admin)
