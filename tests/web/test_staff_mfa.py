"""Staff must use an authenticator app (TOTP): without one, every page sends them to set it up,
except the pages they need to set it up or to leave, and the API endpoints, whose services apply
their own rules."""

from __future__ import annotations

import json

import pytest
from django.contrib.messages import get_messages
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory
from django.utils.functional import SimpleLazyObject

from accounts import services
from accounts.middleware import StaffMFARequiredMiddleware
from accounts.models import User
from tests import factories
from tests.factories import activate_totp
from tests.web.conftest import with_verified_email

pytestmark = pytest.mark.django_db

TOTP_ACTIVATION = "/accounts/2fa/totp/activate/"
MESSAGE = "Staff accounts must use an authenticator app: set one up to continue."


def staff(**extra) -> User:
    return with_verified_email(factories.user(is_staff=True, **extra))


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/doctors/profile/",
        "/doctors/licence/",
        "/doctors/review/",
        "/doctors/licence/1/scan/",
        "/nowhere/",
    ],
)
def test_staff_without_an_authenticator_app_are_sent_to_set_one_up_from_any_page(signed_in, path):
    response = signed_in(staff()).get(path)

    assert response.status_code == 302
    assert response["Location"] == TOTP_ACTIVATION
    assert [str(message) for message in get_messages(response.wsgi_request)] == [MESSAGE]


def test_a_staff_verifier_without_an_authenticator_app_is_sent_to_set_one_up(signed_in):
    response = signed_in(factories.verifier(totp=False)).post("/doctors/review/1/decision/")

    assert response.status_code == 302
    assert response["Location"] == TOTP_ACTIVATION


def test_the_set_up_pages_stay_open_without_a_loop(signed_in):
    client = signed_in(staff())

    # allauth asks for the password again first (not for the app): no redirect loop.
    activation = client.get(TOTP_ACTIVATION)
    assert activation["Location"] == "/accounts/reauthenticate/?next=%2Faccounts%2F2fa%2Ftotp%2Factivate%2F"
    assert client.get(activation["Location"]).status_code == 200
    assert client.get("/accounts/2fa/").status_code == 200
    assert client.get("/accounts/email/").status_code == 200


def test_staff_without_an_authenticator_app_can_sign_out_and_switch_language(signed_in):
    client = signed_in(staff())

    language = client.post("/i18n/setlang/", {"language": "vi", "next": "/accounts/2fa/"})
    assert (language.status_code, language["Location"]) == (302, "/accounts/2fa/")

    assert client.get("/accounts/logout/").status_code == 200
    signed_out = client.post("/accounts/logout/")
    assert signed_out.status_code == 302
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("path", ["/static/css/tuyen.css", "/media/avatars/someone.jpg"])
def test_static_and_media_files_are_not_redirected(signed_in, path):
    response = signed_in(staff()).get(path)

    assert response.get("Location") != TOTP_ACTIVATION


def test_the_api_endpoints_are_not_redirected_and_keep_their_own_rules(signed_in):
    client = signed_in(factories.verifier(totp=False))

    config = client.get("/_allauth/browser/v1/config")
    assert config.status_code == 200

    result = client.post(
        "/graphql/",
        json.dumps({"query": "{ pendingLicenceSubmissions(first: 1) { totalCount } }"}),
        content_type="application/json",
    )
    assert result.status_code == 200
    assert [error["extensions"]["code"] for error in result.json()["errors"]] == ["MFA_REQUIRED"]


def test_staff_with_an_authenticator_app_open_every_page(signed_in):
    person = staff()
    activate_totp(person)
    client = signed_in(person)

    assert client.get("/").status_code == 200
    assert client.get("/doctors/profile/").status_code == 200


def test_visitors_and_doctors_are_not_asked_for_an_authenticator_app(client, signed_in, verified_doctor):
    assert client.get("/").status_code == 200

    doctor_client = signed_in(verified_doctor)

    assert doctor_client.get("/").status_code == 200
    assert doctor_client.get("/doctors/profile/").status_code == 200


# The check itself, on bare requests: what it costs.


def passed_through(request) -> HttpResponse:
    return HttpResponse("the page")


middleware = StaffMFARequiredMiddleware(passed_through)


def request_as(path: str, user) -> HttpRequest:
    request = RequestFactory().get(path)
    request.user = user
    return request


@pytest.mark.parametrize(
    "path",
    ["/accounts/login/", "/_allauth/app/v1/auth/session", "/graphql/", "/i18n/setlang/", "/static/x.css"],
)
def test_open_paths_do_not_even_load_the_user(path):
    def must_not_load() -> User:
        raise AssertionError(f"{path} loaded the user")

    response = middleware(request_as(path, SimpleLazyObject(must_not_load)))

    assert response.content == b"the page"


def test_other_users_cost_no_query(django_assert_num_queries, verified_doctor):
    with django_assert_num_queries(0):
        response = middleware(request_as("/doctors/profile/", verified_doctor))

    assert response.content == b"the page"


def test_staff_cost_one_query_that_the_verifier_rule_then_reuses(django_assert_num_queries, verifier):
    assert verifier.has_perm(services.VERIFY_PERMISSION)  # permissions are cached separately

    with django_assert_num_queries(1):
        response = middleware(request_as("/doctors/review/", verifier))
        services.require_verifier(verifier)  # what the page does next: no second lookup

    assert response.content == b"the page"
