"""Mobile apps authenticate with allauth headless session tokens (``X-Session-Token``).

``api.auth.user_for_session_token`` wraps an allauth internal; these tests pin what it returns
so an allauth upgrade that changes it fails here, and follow a token through its whole life:
login through the real headless endpoint, GraphQL with the token, logout, refusal.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from api.auth import user_for_session_token
from tests import factories
from tests.graphql.conftest import app_login, app_logout, data_of, error_codes, post_graphql


@pytest.fixture
def doctor_with_email(db):
    doctor = factories.doctor(full_name="Lê Minh Tuấn")
    EmailAddress.objects.create(user=doctor, email=doctor.email, verified=True, primary=True)
    return doctor


def test_a_valid_token_resolves_to_its_user(doctor_with_email, django_assert_num_queries):
    token = app_login(Client(), doctor_with_email)
    with django_assert_num_queries(2):  # the session, then its user: no existence check first
        assert user_for_session_token(token) == doctor_with_email


def test_a_logged_out_token_resolves_to_nobody(doctor_with_email):
    client = Client()
    token = app_login(client, doctor_with_email)
    app_logout(client, token)
    assert user_for_session_token(token) is None


def test_an_expired_token_resolves_to_nobody_and_is_refused_by_graphql(doctor_with_email):
    client = Client()
    token = app_login(client, doctor_with_email)
    Session.objects.filter(session_key=token).update(expire_date=timezone.now() - timedelta(seconds=1))
    assert user_for_session_token(token) is None
    result = post_graphql(client, "{ me { fullName } }", status=401, **{"X-Session-Token": token})
    assert error_codes(result) == ["INVALID_SESSION_TOKEN"]


@pytest.mark.parametrize("token", [None, "", "garbage", "x" * 500, "../../etc/passwd"])
def test_missing_or_garbage_tokens_resolve_to_nobody(db, token):
    assert user_for_session_token(token) is None


def test_the_token_of_a_deactivated_user_resolves_to_nobody(doctor_with_email):
    token = app_login(Client(), doctor_with_email)
    doctor_with_email.is_active = False
    doctor_with_email.save(update_fields=["is_active"])
    assert user_for_session_token(token) is None


def test_a_token_from_the_headless_login_works_for_graphql_until_logout(doctor_with_email):
    client = Client(enforce_csrf_checks=True)
    token = app_login(client, doctor_with_email)

    result = post_graphql(client, "{ me { fullName email } }", **{"X-Session-Token": token})
    assert data_of(result)["me"] == {"fullName": "Lê Minh Tuấn", "email": doctor_with_email.email}

    app_logout(client, token)
    result = post_graphql(client, "{ me { fullName } }", status=401, **{"X-Session-Token": token})
    assert error_codes(result) == ["INVALID_SESSION_TOKEN"]
    assert "data" not in result


def test_a_mutation_with_a_token_needs_no_csrf_token(doctor_with_email):
    client = Client(enforce_csrf_checks=True)
    token = app_login(client, doctor_with_email)
    result = post_graphql(
        client,
        'mutation { updateProfile(input: {position: "Trưởng khoa"}) { doctor { position } errors { code } } }',
        **{"X-Session-Token": token},
    )
    assert data_of(result)["updateProfile"] == {"doctor": {"position": "Trưởng khoa"}, "errors": []}


def test_an_invalid_token_is_refused_even_with_a_valid_session_cookie(doctor_with_email):
    client = Client()
    client.force_login(doctor_with_email)
    assert data_of(post_graphql(client, "{ me { fullName } }"))["me"] == {"fullName": "Lê Minh Tuấn"}

    result = post_graphql(client, "{ me { fullName } }", status=401, **{"X-Session-Token": "not-a-token"})
    assert error_codes(result) == ["INVALID_SESSION_TOKEN"]


def test_an_empty_token_header_is_refused_not_ignored(doctor_with_email):
    client = Client()
    client.force_login(doctor_with_email)
    result = post_graphql(client, "{ me { fullName } }", status=401, **{"X-Session-Token": ""})
    assert error_codes(result) == ["INVALID_SESSION_TOKEN"]


def test_the_token_decides_the_user_not_the_cookie(doctor_with_email):
    other = factories.doctor(full_name="Phạm Thu Hà")
    client = Client()
    client.force_login(other)
    token = app_login(Client(), doctor_with_email)
    result = post_graphql(client, "{ me { fullName } }", **{"X-Session-Token": token})
    assert data_of(result)["me"] == {"fullName": "Lê Minh Tuấn"}
