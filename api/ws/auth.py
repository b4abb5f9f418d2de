"""Who a WebSocket belongs to.

Browsers send their cookies with every WebSocket handshake, whichever site opened the socket,
and there is no CSRF token on a socket: a page on another origin could act with the victim's
session (cross-site WebSocket hijacking). So the session cookie counts only when the Origin
header names one of our own sites; otherwise it is dropped before Channels reads it. Native
apps send no Origin: they present the allauth headless session token, which a foreign page
cannot read, in the ``X-Session-Token`` header or in the ``connection_init`` payload.

Precedence, first present wins, and a present but invalid credential is never skipped over:
token in ``connection_init`` > ``X-Session-Token`` header > session cookie (allowed origin only).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlparse

from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from channels.security.websocket import OriginValidator, WebsocketDenier
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http.request import split_domain_port, validate_host

from accounts.models import User
from api.auth import SESSION_TOKEN_HEADER, user_for_session_token
from api.ws.protocol import INIT_TOKEN_KEYS

Scope = dict[str, Any]
ASGIApp = Any

_TOKEN_HEADER = SESSION_TOKEN_HEADER.lower().encode("latin1")
# Where the middleware keeps the header token that authenticated the socket.
SCOPE_SESSION_TOKEN = "session_token"  # noqa: S105 (a key name)


def allowed_origin_patterns() -> list[str]:
    """Our sites, as Channels' ``AllowedHostsOriginValidator`` sees them, plus CSRF_TRUSTED_ORIGINS.

    A ``*`` host is left out: it must not open cookie-authenticated sockets to every site.
    """
    hosts = list(settings.ALLOWED_HOSTS)
    if settings.DEBUG and not hosts:
        hosts = ["localhost", "127.0.0.1", "[::1]"]
    # Django writes subdomain wildcards as https://*.example.com, Channels as https://.example.com.
    trusted = [origin.replace("://*.", "://.") for origin in settings.CSRF_TRUSTED_ORIGINS]
    return [pattern for pattern in (*hosts, *trusted) if pattern != "*"]


def origin_allowed(origin: str | None) -> bool:
    """Whether a handshake's Origin header names one of our sites (a missing one never does)."""
    if not origin:
        return False
    try:
        parsed = urlparse(origin)
        return bool(OriginValidator(None, allowed_origin_patterns()).validate_origin(parsed))
    except ValueError:  # a malformed port or host
        return False


def host_allowed(scope: Scope) -> bool:
    """The handshake's Host names one of our sites, as Django requires of HTTP requests."""
    hosts = _header_values(scope, b"host")
    if len(hosts) != 1:
        return False
    domain, _port = split_domain_port(hosts[0])
    allowed = list(settings.ALLOWED_HOSTS)
    if settings.DEBUG and not allowed:
        allowed = [".localhost", "127.0.0.1", "[::1]"]
    return bool(domain) and validate_host(domain, allowed)


def _header_values(scope: Scope, name: bytes) -> list[str]:
    return [value.decode("latin1") for key, value in scope.get("headers", []) if key == name]


async def user_for_token(token: str | None) -> User | None:
    """``api.auth.user_for_session_token`` from async code."""
    return await database_sync_to_async(user_for_session_token)(token)


def init_payload_token(payload: Mapping[str, Any]) -> str | None:
    """The session token a ``connection_init`` payload carries, "" for an unusable value,
    None when it carries none."""
    for key in INIT_TOKEN_KEYS:
        if key in payload:
            value = payload[key]
            return value if isinstance(value, str) else ""
    return None


async def connection_user(scope: Scope, init_payload: Mapping[str, Any]) -> tuple[User, str] | None:
    """The user a ``connection_init`` authenticates and the key of the session that does, or
    None: the socket must then be refused."""
    token = init_payload_token(init_payload)
    if token is not None:
        user = await user_for_token(token)
        return (user, token) if user is not None else None
    user = scope.get("user")
    if not (isinstance(user, User) and user.is_authenticated and user.is_active):
        return None
    session_key = scope.get(SCOPE_SESSION_TOKEN) or getattr(scope.get("session"), "session_key", None)
    return (user, session_key) if session_key else None


class WebSocketAuthMiddleware:
    """Sets ``scope["user"]`` from the ``X-Session-Token`` header or, for an allowed Origin,
    the session cookie (through Channels' cookie, session and auth middleware)."""

    def __init__(self, inner: ASGIApp) -> None:
        self.inner = AuthMiddlewareStack(inner)

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> Any:
        if scope["type"] != "websocket":
            raise ValueError("WebSocketAuthMiddleware serves WebSocket connections only.")
        if not host_allowed(scope):
            return await WebsocketDenier()(scope, receive, send)
        scope = dict(scope)
        origins = _header_values(scope, b"origin")
        if not (len(origins) == 1 and origin_allowed(origins[0])):
            scope["headers"] = [(key, value) for key, value in scope.get("headers", []) if key != b"cookie"]
        tokens = _header_values(scope, _TOKEN_HEADER)
        if tokens:
            # Channels' AuthMiddleware keeps a user already in the scope: the cookie is not consulted.
            user = await user_for_token(tokens[0]) if len(tokens) == 1 else None
            scope["user"] = user or AnonymousUser()
            scope[SCOPE_SESSION_TOKEN] = tokens[0] if user else None
        return await self.inner(scope, receive, send)
