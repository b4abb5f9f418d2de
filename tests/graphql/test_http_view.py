"""/graphql/ over HTTP: CSRF for cookie sessions, GraphiQL only in DEBUG, no batching, and
errors that never leak internals."""

from __future__ import annotations

import json
import logging

import pytest
from django.test import Client
from django.utils import translation

from facilities import selectors as facility_selectors
from tests import factories
from tests.graphql.conftest import GRAPHQL_URL, data_of, error_codes, post_graphql

UPDATE_POSITION = 'mutation { updateProfile(input: {position: "Phó khoa"}) { errors { code } } }'


def csrf_token(client: Client) -> str:
    """The CSRF cookie the endpoint hands out (the web client reads it the same way)."""
    response = client.get(GRAPHQL_URL, {"query": "{ __typename }"})
    assert response.status_code == 200
    return response.cookies["csrftoken"].value


def test_a_cookie_session_mutation_without_a_csrf_token_is_forbidden(verified_doctor):
    client = Client(enforce_csrf_checks=True)
    client.force_login(verified_doctor)
    response = client.post(GRAPHQL_URL, {"query": UPDATE_POSITION}, content_type="application/json")
    assert response.status_code == 403
    verified_doctor.refresh_from_db()
    assert verified_doctor.position == ""


def test_a_cookie_session_mutation_with_the_csrf_token_goes_through(verified_doctor):
    client = Client(enforce_csrf_checks=True)
    client.force_login(verified_doctor)
    token = csrf_token(client)
    result = post_graphql(client, UPDATE_POSITION, **{"X-CSRFToken": token})
    assert data_of(result)["updateProfile"] == {"errors": []}
    verified_doctor.refresh_from_db()
    assert verified_doctor.position == "Phó khoa"


def test_an_anonymous_post_is_csrf_checked_too(db):
    client = Client(enforce_csrf_checks=True)
    response = client.post(GRAPHQL_URL, {"query": "{ provinces { code } }"}, content_type="application/json")
    assert response.status_code == 403


def test_graphiql_is_served_only_in_debug(db, settings):
    client = Client()
    settings.DEBUG = False
    response = client.get(GRAPHQL_URL, headers={"Accept": "text/html"})
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"

    settings.DEBUG = True
    response = client.get(GRAPHQL_URL, headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert b"graphiql" in response.content.lower()


def test_batched_requests_are_refused(db):
    client = Client()
    response = client.post(
        GRAPHQL_URL, json.dumps([{"query": "{ provinces { code } }"}] * 2), content_type="application/json"
    )
    assert response.status_code == 400
    assert error_codes(response.json()) == ["BAD_REQUEST"]


def test_a_mutation_over_get_is_refused(verified_doctor):
    client = Client()
    client.force_login(verified_doctor)
    response = client.get(GRAPHQL_URL, {"query": UPDATE_POSITION})
    assert response.status_code == 405
    verified_doctor.refresh_from_db()
    assert verified_doctor.position == ""


def test_a_body_that_is_not_json_is_a_bad_request(db):
    response = Client().post(GRAPHQL_URL, "{not json", content_type="application/json")
    assert response.status_code == 400
    assert error_codes(response.json()) == ["BAD_REQUEST"]


def test_an_unexpected_exception_is_logged_but_shown_only_as_internal_error(db, graphql, monkeypatch, caplog):
    def broken_selector(**_filters):
        raise RuntimeError("password=hunter2 at db.internal:5432")

    monkeypatch.setattr(facility_selectors, "search_facilities", broken_selector)
    with caplog.at_level(logging.ERROR, logger="api.errors"):
        result = graphql("{ facilities(first: 5) { totalCount } specialties { code } }")

    assert result["data"] == {"facilities": None, "specialties": []}
    [error] = result["errors"]
    assert error["extensions"] == {"code": "INTERNAL_ERROR"}
    with translation.override("vi"):
        assert error["message"] == translation.gettext("Internal error")
    assert error["path"] == ["facilities"]
    assert "hunter2" not in json.dumps(result)
    assert "RuntimeError" not in json.dumps(result)
    assert "hunter2" in caplog.text  # the operators still get the traceback


def test_a_refusal_in_a_query_keeps_its_stable_code(db, graphql):
    graphql.login(factories.doctor())
    result = graphql("{ pendingLicenceSubmissions(first: 5) { totalCount } }")
    assert error_codes(result) == ["PERMISSION_DENIED"]
    assert result["data"] == {"pendingLicenceSubmissions": None}


@pytest.mark.parametrize("global_id", ["%%%", "bm90LWEtZ2xvYmFsLWlk"])
def test_a_malformed_node_id_is_a_client_error_not_an_internal_one(db, graphql, global_id):
    result = graphql("query ($id: ID!) { node(id: $id) { id } }", {"id": global_id})
    assert error_codes(result) == ["INVALID"]
