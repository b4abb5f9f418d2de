"""The admin is reached only through allauth's sign-in (rate limits, email verification, MFA)
and only by staff with an authenticator app."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from accounts.models import User
from tests import factories
from tests.factories import activate_totp, totp_code
from tests.web.conftest import with_verified_email

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
TOTP_ACTIVATION = "/accounts/2fa/totp/activate/"


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()  # allauth counts attempts in the cache
    yield
    cache.clear()


def staff(**extra) -> User:
    return with_verified_email(factories.user(is_staff=True, is_superuser=True, **extra))


def test_the_admin_login_page_sends_visitors_to_allauth(client):
    response = client.get("/admin/login/?next=/admin/")

    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next=%2Fadmin%2F"


def test_the_admin_login_form_does_not_sign_anyone_in(client):
    admin_user = staff()

    response = client.post("/admin/login/", {"username": admin_user.email, "password": factories.PASSWORD})

    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)
    assert "_auth_user_id" not in client.session


def test_admin_sign_in_is_rate_limited_by_allauth(client):
    admin_user = staff()
    for _ in range(5):
        failed = client.post(
            f"{LOGIN}?next=/admin/", {"login": admin_user.email, "password": "wrong password"}
        )
        assert failed.status_code == 200

    blocked = client.post(
        f"{LOGIN}?next=/admin/",
        {"login": admin_user.email, "password": factories.PASSWORD},
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert blocked.context["form"].non_field_errors() == ["Too many failed login attempts. Try again later."]
    assert "_auth_user_id" not in client.session


def test_staff_sign_in_asks_for_the_second_factor_before_the_admin(client):
    admin_user = staff()
    secret = activate_totp(admin_user)

    first = client.post(f"{LOGIN}?next=/admin/", {"login": admin_user.email, "password": factories.PASSWORD})

    assert first.status_code == 302
    assert first["Location"] == "/accounts/2fa/authenticate/"
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/")["Location"].startswith("/admin/login/")

    second = client.post("/accounts/2fa/authenticate/", {"code": totp_code(secret)})

    assert second.status_code == 302
    assert second["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_staff_without_an_authenticator_app_are_sent_to_set_one_up(client):
    client.force_login(staff())

    for path in ("/admin/", "/admin/accounts/user/", "/admin/login/"):
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"] == TOTP_ACTIVATION


def test_staff_with_an_authenticator_app_get_through(client):
    admin_user = staff()
    activate_totp(admin_user)
    client.force_login(admin_user)

    assert client.get("/admin/").status_code == 200


def test_signed_in_non_staff_are_refused_by_the_admin(client, verified_doctor):
    client.force_login(verified_doctor)

    response = client.get("/admin/", follow=True)

    assert response.status_code == 403
