"""Who a socket belongs to: a session cookie only from our own origin (no cross-site WebSocket
hijacking), a headless session token from anywhere (native apps send no Origin)."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from django.test import Client

from api.ws.auth import origin_allowed
from tests import factories
from tests.graphql.conftest import app_login, app_logout
from tests.ws.conftest import (
    OUR_ORIGIN,
    initialise,
    receive_close,
    send,
    send_subscribe,
    session_cookie,
    with_email,
)

pytestmark = pytest.mark.django_db(transaction=True)

ME = "{ me { fullName } }"


@pytest.fixture
def doctor():
    return with_email(factories.doctor(full_name="Phạm Thu Hà"))


@pytest.fixture
def doctor_cookie(doctor) -> tuple[bytes, bytes]:
    return session_cookie(doctor)


@pytest.fixture
def doctor_token(doctor) -> str:
    return app_login(Client(), doctor)


async def who_am_i(communicator) -> str | None:
    await send_subscribe(communicator, "me", ME)
    message = await communicator.receive_json_from()
    assert message["type"] == "next", message
    assert await communicator.receive_json_from() == {"id": "me", "type": "complete"}
    me = message["payload"]["data"]["me"]
    return me and me["fullName"]


async def test_a_socket_without_credentials_is_closed_with_4403_after_connection_init(open_socket):
    communicator = await open_socket(headers=[(b"origin", OUR_ORIGIN)])
    await send(communicator, {"type": "connection_init"})
    assert await receive_close(communicator) == (4403, "Forbidden")


async def test_the_session_cookie_authenticates_a_socket_from_our_origin(open_socket, doctor_cookie):
    communicator = await open_socket(headers=[(b"origin", OUR_ORIGIN), doctor_cookie])
    await initialise(communicator)
    assert await who_am_i(communicator) == "Phạm Thu Hà"


@pytest.mark.parametrize(
    "origin",
    [None, b"https://evil.example", b"http://testserver.evil.example", b"null"],
    ids=["missing", "foreign", "look-alike", "opaque"],
)
async def test_the_session_cookie_counts_for_nothing_without_our_origin(open_socket, doctor_cookie, origin):
    headers = [doctor_cookie]
    if origin is not None:
        headers.append((b"origin", origin))
    communicator = await open_socket(headers=headers)
    await send(communicator, {"type": "connection_init"})
    assert await receive_close(communicator) == (4403, "Forbidden")


async def test_a_session_token_header_authenticates_a_socket_without_origin(open_socket, doctor_token):
    communicator = await open_socket(headers=[(b"x-session-token", doctor_token.encode())])
    await initialise(communicator)
    assert await who_am_i(communicator) == "Phạm Thu Hà"


@pytest.mark.parametrize("key", ["sessionToken", "X-Session-Token", "token"])
async def test_a_session_token_in_connection_init_authenticates_a_socket(open_socket, doctor_token, key):
    communicator = await open_socket()
    await initialise(communicator, {key: doctor_token})
    assert await who_am_i(communicator) == "Phạm Thu Hà"


@pytest.mark.parametrize("where", ["header", "connection_init"])
async def test_a_logged_out_session_token_is_refused(open_socket, doctor_token, where):
    await database_sync_to_async(app_logout)(Client(), doctor_token)
    headers = [(b"x-session-token", doctor_token.encode())] if where == "header" else []
    communicator = await open_socket(headers=headers)
    payload = {"sessionToken": doctor_token} if where == "connection_init" else {}
    await send(communicator, {"type": "connection_init", "payload": payload})
    assert await receive_close(communicator) == (4403, "Forbidden")


async def test_a_bad_token_is_refused_even_beside_a_valid_cookie(open_socket, doctor_cookie):
    # A credential that is present decides: a bad token never falls back to the cookie.
    communicator = await open_socket(headers=[(b"origin", OUR_ORIGIN), doctor_cookie])
    await send(communicator, {"type": "connection_init", "payload": {"token": "not-a-session"}})
    assert await receive_close(communicator) == (4403, "Forbidden")

    communicator = await open_socket(
        headers=[(b"origin", OUR_ORIGIN), doctor_cookie, (b"x-session-token", b"nope")]
    )
    await send(communicator, {"type": "connection_init"})
    assert await receive_close(communicator) == (4403, "Forbidden")


async def test_a_deactivated_users_session_is_refused(open_socket, doctor, doctor_token):
    doctor.is_active = False
    await database_sync_to_async(doctor.save)(update_fields=["is_active"])
    communicator = await open_socket()
    await send(communicator, {"type": "connection_init", "payload": {"sessionToken": doctor_token}})
    assert await receive_close(communicator) == (4403, "Forbidden")


@pytest.mark.parametrize("offered", [[], ["graphql-ws"]], ids=["none", "legacy graphql-ws"])
async def test_only_the_graphql_transport_ws_subprotocol_is_spoken(open_socket, offered):
    communicator = await open_socket(subprotocols=offered)
    assert await receive_close(communicator) == (4406, "Subprotocol not acceptable")


def test_allowed_origins_follow_allowed_hosts_and_csrf_trusted_origins(settings):
    settings.ALLOWED_HOSTS = ["tuyen.vn", ".benhvien.vn"]
    settings.CSRF_TRUSTED_ORIGINS = ["https://*.tuyen-app.vn"]
    assert origin_allowed("https://tuyen.vn")
    assert origin_allowed("https://bachmai.benhvien.vn")
    assert origin_allowed("https://m.tuyen-app.vn")
    assert not origin_allowed("http://m.tuyen-app.vn")
    assert not origin_allowed("https://tuyen.vn.evil.example")
    assert not origin_allowed(None)


def test_a_wildcard_host_does_not_open_cookie_sockets_to_every_site(settings):
    settings.ALLOWED_HOSTS = ["*"]
    settings.CSRF_TRUSTED_ORIGINS = []
    assert not origin_allowed("https://evil.example")


async def test_logging_out_closes_the_sockets_opened_with_that_token(open_socket, doctor, doctor_token):
    other_token = await database_sync_to_async(app_login)(Client(), doctor)
    ended = await open_socket()
    await initialise(ended, {"sessionToken": doctor_token})
    kept = await open_socket(headers=[(b"x-session-token", other_token.encode())])
    await initialise(kept)

    await database_sync_to_async(app_logout)(Client(), doctor_token)

    assert await receive_close(ended) == (4403, "Session ended")
    assert await who_am_i(kept) == "Phạm Thu Hà"  # another session of the same doctor stays


async def test_logging_out_in_the_browser_closes_the_sockets_of_that_session(open_socket, doctor):
    browser = Client()
    await database_sync_to_async(browser.force_login)(doctor)
    cookie = (b"cookie", f"sessionid={browser.session.session_key}".encode())
    communicator = await open_socket(headers=[(b"origin", OUR_ORIGIN), cookie])
    await initialise(communicator)

    await database_sync_to_async(browser.post)("/accounts/logout/")

    assert await receive_close(communicator) == (4403, "Session ended")
