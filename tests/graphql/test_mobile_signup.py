"""A new doctor joins from the mobile app using only the headless API: sign up, confirm the
email with the key from the message, receive a session token, then use GraphQL with it."""

from __future__ import annotations

import re
from urllib.parse import unquote

import pytest
from django.core import mail
from django.test import Client

from accounts.models import User, VerificationStatus
from tests.graphql.conftest import data_of, post_graphql

pytestmark = pytest.mark.django_db

SIGNUP_URL = "/_allauth/app/v1/auth/signup"
VERIFY_URL = "/_allauth/app/v1/auth/email/verify"


def test_a_doctor_signs_up_confirms_the_email_and_calls_me_with_the_token():
    client = Client()
    response = client.post(
        SIGNUP_URL,
        {"email": "bs.le.thi.lan@example.vn", "password": "kh0ng-d0an-duoc-2026"},
        content_type="application/json",
    )
    # Email verification is mandatory: the account exists, but no session yet.
    assert response.status_code == 401, response.content
    flows = {flow["id"]: flow for flow in response.json()["data"]["flows"]}
    assert flows["verify_email"]["is_pending"] is True
    pending_token = response.json()["meta"]["session_token"]
    assert (
        User.objects.get(email="bs.le.thi.lan@example.vn").verification_status
        == VerificationStatus.UNVERIFIED
    )
    assert post_graphql(client, "{ me { id } }", **{"X-Session-Token": pending_token}, status=401)

    # The app receives the link (a deep link in production) and posts the key it carries.
    key = unquote(re.search(r"/accounts/confirm-email/([^/\s]+)/", mail.outbox[0].body).group(1))
    response = client.post(
        VERIFY_URL, {"key": key}, content_type="application/json", headers={"X-Session-Token": pending_token}
    )
    assert response.status_code == 200, response.content
    token = response.json()["meta"]["session_token"]

    me = data_of(post_graphql(Client(), "{ me { verificationStatus } }", **{"X-Session-Token": token}))["me"]
    assert me == {"verificationStatus": "UNVERIFIED"}
