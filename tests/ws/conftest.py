"""Sockets against the real ASGI application (config.asgi): real middleware, real consumer.

Every test gets a fresh in-memory channel layer unless it asks for Redis (``redis_layer``);
every socket a test opens is disconnected at teardown.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from accounts.services import VERIFICATION_STATUS_EVENT
from api.ws.protocol import SUBPROTOCOL
from common.realtime import event_message, user_group
from config.asgi import application
from config.channel_layers import in_memory_channel_layer, redis_channel_layer

OUR_ORIGIN = b"http://testserver"
VERIFICATION_STATUS = "subscription { myVerificationStatus { status changedAt } }"

OpenSocket = Callable[..., Awaitable[WebsocketCommunicator]]


@pytest.fixture(autouse=True)
def _fresh_channel_layer(settings):
    settings.CHANNEL_LAYERS = {"default": in_memory_channel_layer()}


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    # allauth counts logins per IP in the cache; tests must not share that budget.
    cache.clear()


@pytest.fixture
async def redis_layer(settings, redis_url) -> AsyncIterator[None]:
    """The production channel layer, on keys no other test run uses."""
    settings.CHANNEL_LAYERS = {"default": redis_channel_layer(redis_url, f"test-ws-{uuid.uuid4().hex[:12]}")}
    yield
    layer = get_channel_layer()
    await layer.flush()
    await layer.close_pools()


@pytest.fixture
async def open_socket() -> AsyncIterator[OpenSocket]:
    """Open /graphql/ as a client would; every socket is disconnected after the test."""
    opened: list[WebsocketCommunicator] = []

    async def open_(
        headers: list[tuple[bytes, bytes]] | None = None,
        subprotocols: list[str] | None = None,
        client: tuple[str, int] | None = None,
    ) -> WebsocketCommunicator:
        communicator = WebsocketCommunicator(
            application,
            "/graphql/",
            headers=[(b"host", b"testserver"), *(headers or [])],
            subprotocols=[SUBPROTOCOL] if subprotocols is None else subprotocols,
        )
        if client is not None:
            communicator.scope["client"] = list(client)  # Daphne sets it; the scope is read on connect
        opened.append(communicator)
        connected, _ = await communicator.connect()
        assert connected
        return communicator

    yield open_
    for communicator in opened:
        await communicator.disconnect()


def with_email(user):
    """allauth signs in only users with a verified address (ACCOUNT_EMAIL_VERIFICATION)."""
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def session_cookie(user) -> tuple[bytes, bytes]:
    """The Cookie header of a browser signed in as ``user`` (sync: wrap it in async code)."""
    client = Client()
    client.force_login(user)
    return (b"cookie", f"{settings.SESSION_COOKIE_NAME}={client.session.session_key}".encode())


async def publish_to_user(user, event: dict[str, Any]) -> None:
    """Send ``event`` to the user's group now, as common.realtime does after a commit."""
    group = user_group(user.pk)
    await get_channel_layer().group_send(group, event_message(group, event))


async def announce_status(user, status: str) -> None:
    """The event accounts.services publishes when the user's verification status changes."""
    await publish_to_user(
        user,
        {
            "kind": VERIFICATION_STATUS_EVENT,
            "user_id": user.pk,
            "status": status,
            "changed_at": timezone.now().isoformat(),
        },
    )


async def receive_close(communicator: WebsocketCommunicator, timeout: float = 1) -> tuple[int, str]:
    message = await communicator.receive_output(timeout)
    assert message["type"] == "websocket.close", message
    return message.get("code", 1000), message.get("reason", "")


async def send(communicator: WebsocketCommunicator, message: dict[str, Any]) -> None:
    await communicator.send_to(text_data=json.dumps(message))


async def initialise(communicator: WebsocketCommunicator, payload: dict[str, Any] | None = None) -> None:
    await send(communicator, {"type": "connection_init", **({"payload": payload} if payload else {})})
    assert await communicator.receive_json_from() == {"type": "connection_ack"}


async def send_subscribe(
    communicator: WebsocketCommunicator,
    operation_id: str,
    query: str,
    variables: dict[str, Any] | None = None,
) -> None:
    payload: dict[str, Any] = {"query": query}
    if variables is not None:
        payload["variables"] = variables
    await send(communicator, {"id": operation_id, "type": "subscribe", "payload": payload})


async def settled(communicator: WebsocketCommunicator) -> None:
    """Wait until the server has handled everything sent so far: it answers messages in order,
    so its pong to this ping comes after it has registered any earlier subscription."""
    await send(communicator, {"type": "ping", "payload": {"barrier": True}})
    assert await communicator.receive_json_from() == {"type": "pong", "payload": {"barrier": True}}
