"""Getting back into an account: a password reset by email link (allauth's web pages), which
neither reveals whether an address has an account nor can be used to flood a mailbox; and
recovery codes for when the authenticator app is lost."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.core.cache import cache
from django.test import Client

from accounts.models import User
from tests import factories
from tests.factories import totp_code
from tests.web.conftest import with_verified_email

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
RESET = "/accounts/password/reset/"
RESET_DONE = "/accounts/password/reset/done/"
RESET_LINK = re.compile(r"https?://testserver(/accounts/password/reset/key/[^/\s]+/)")
NEW_PASSWORD = "a-brand-new-passphrase-2026"


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()  # allauth counts requests in the cache
    yield
    cache.clear()


@pytest.fixture
def doctor() -> User:
    return with_verified_email(factories.doctor())


def web_client() -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE="en")


def signs_in(email: str, password: str) -> bool:
    """Whether allauth's sign-in form accepts ``password`` (in a fresh browser)."""
    browser = web_client()
    response = browser.post(LOGIN, {"login": email, "password": password})
    return response.status_code == 302 and "_auth_user_id" in browser.session


def request_reset(browser: Client, email: str):
    return browser.post(RESET, {"email": email})


def reset_links() -> list[str]:
    return [path for message in mail.outbox for path in RESET_LINK.findall(str(message.body))]


def test_a_doctor_resets_a_forgotten_password_through_the_emailed_link(doctor):
    browser = web_client()

    response = request_reset(browser, doctor.email.upper())

    assert (response.status_code, response["Location"]) == (302, RESET_DONE)
    assert [message.to for message in mail.outbox] == [[doctor.email]]
    [link] = reset_links()

    # The key moves from the URL into the session, so it cannot leak through the Referer.
    opened = browser.get(link)
    assert opened.status_code == 302
    form_url = opened["Location"]
    assert form_url.endswith("-set-password/")
    assert browser.get(form_url).status_code == 200

    done = browser.post(form_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})

    assert (done.status_code, done["Location"]) == (302, "/accounts/password/reset/key/done/")
    assert signs_in(doctor.email, NEW_PASSWORD)
    assert not signs_in(doctor.email, factories.PASSWORD)


def test_a_reset_link_works_only_once(doctor):
    browser = web_client()
    request_reset(browser, doctor.email)
    [link] = reset_links()
    form_url = browser.get(link)["Location"]
    browser.post(form_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})

    again = web_client().get(link)

    assert again.status_code == 200
    assert again.context["token_fail"]


def test_an_unknown_address_gets_the_same_answer_and_no_reset_link(doctor):
    known = request_reset(web_client(), doctor.email)
    mail.outbox.clear()

    unknown = request_reset(web_client(), "nobody@example.vn")

    assert (unknown.status_code, unknown["Location"]) == (known.status_code, known["Location"])
    assert reset_links() == []
    # allauth may tell the address's owner that it has no account; nobody else hears anything.
    assert all(message.to == ["nobody@example.vn"] for message in mail.outbox)


@pytest.mark.parametrize("known", [True, False], ids=["known address", "unknown address"])
def test_reset_requests_for_one_address_are_rate_limited(doctor, known):
    email = doctor.email if known else "nobody@example.vn"
    # ACCOUNT_RATE_LIMITS["reset_password"]: 5 a minute for one address, from any machine.
    for attempt in range(5):
        browser = Client(REMOTE_ADDR=f"198.51.100.{attempt + 1}")
        assert request_reset(browser, email).status_code == 302

    sent = len(mail.outbox)
    blocked = request_reset(Client(REMOTE_ADDR="198.51.100.99"), email)

    assert blocked.status_code == 429
    assert len(mail.outbox) == sent
    assert request_reset(web_client(), "someone.else@example.vn").status_code == 302


def sign_in_with_password(browser: Client, user: User):
    return browser.post(LOGIN, {"login": user.email, "password": factories.PASSWORD})


def test_a_doctor_generates_recovery_codes_and_signs_in_with_one(doctor):
    browser = web_client()
    assert sign_in_with_password(browser, doctor)["Location"] == "/"

    # allauth asks for the password again before security settings change.
    asked = browser.get("/accounts/2fa/totp/activate/")
    assert asked["Location"].startswith("/accounts/reauthenticate/")
    reauthenticated = browser.post(asked["Location"], {"password": factories.PASSWORD})
    assert reauthenticated["Location"] == "/accounts/2fa/totp/activate/"

    # Activate the authenticator app with a code from it (allauth's page keeps the secret in
    # the session until then).
    activation = browser.get("/accounts/2fa/totp/activate/")
    secret = activation.context["form"].secret
    activated = browser.post("/accounts/2fa/totp/activate/", {"code": totp_code(secret)})
    assert activated.status_code == 302

    generated = browser.post("/accounts/2fa/recovery-codes/generate/")
    assert (generated.status_code, generated["Location"]) == (302, "/accounts/2fa/recovery-codes/")
    codes = browser.get("/accounts/2fa/recovery-codes/").context["unused_codes"]
    assert len(codes) == 10
    browser.post("/accounts/logout/")

    # Without the phone: the password, then a recovery code instead of the app's code.
    lost_phone = web_client()
    first = sign_in_with_password(lost_phone, doctor)
    assert first["Location"] == "/accounts/2fa/authenticate/"
    assert "_auth_user_id" not in lost_phone.session
    second = lost_phone.post("/accounts/2fa/authenticate/", {"code": codes[0]})

    assert (second.status_code, second["Location"]) == (302, "/")
    assert int(lost_phone.session["_auth_user_id"]) == doctor.pk

    # A recovery code is spent once used.
    replay = web_client()
    sign_in_with_password(replay, doctor)
    refused = replay.post("/accounts/2fa/authenticate/", {"code": codes[0]})
    assert refused.status_code == 200
    assert "_auth_user_id" not in replay.session
