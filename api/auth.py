"""Resolving allauth headless session tokens (``X-Session-Token``) to users.

allauth offers no public API for this; its own DRF and Ninja integrations call
``allauth.headless.internal.sessionkit.authenticate_by_x_session_token``. We wrap that call
here, once, and ``tests/graphql/test_session_tokens.py`` pins its behaviour, so an allauth upgrade
that moves or changes it fails loudly instead of silently letting requests through.
"""

from __future__ import annotations

import hashlib
from typing import Any

from allauth.headless.internal import sessionkit
from allauth.headless.internal.sessionkit import authenticate_by_x_session_token
from allauth.headless.tokens.strategies.sessions import SessionTokenStrategy
from django.contrib.sessions.backends.base import SessionBase
from django.http import HttpRequest

from accounts.models import User
from common.realtime import publish_after_commit, user_group

SESSION_TOKEN_HEADER = "X-Session-Token"  # noqa: S105 (a header name, not a secret)


class OneQuerySessionTokenStrategy(SessionTokenStrategy):
    """allauth's session tokens (``HEADLESS_TOKEN_STRATEGY``), each looked up in one query:
    allauth's strategy asks whether the session exists, then loads it; every request of the
    mobile apps paid both. ``sessionkit.lookup_session`` (allauth's own) loads it once, and a
    missing, expired or malformed key still finds nothing."""

    def lookup_session(self, session_token: str) -> SessionBase | None:
        return sessionkit.lookup_session(session_token)


def user_for_session_token(token: str | None) -> User | None:
    """The active user the token belongs to, or None for a missing, expired or logged-out one."""
    if not token:
        return None
    result = authenticate_by_x_session_token(token)
    if result is None or result.user is None:
        return None
    user = result.user
    if not isinstance(user, User) or not user.is_active:
        return None
    return user


# Sent to the user's sockets when one of their sessions ends, so sockets opened with it close.
SESSION_ENDED_EVENT = "session.ended"


def session_fingerprint(session_key: str) -> str:
    """Names a session in realtime events without putting the bearer credential on the wire."""
    return hashlib.sha256(session_key.encode()).hexdigest()


def announce_session_end(sender: Any, request: HttpRequest | None, user: User | None, **kwargs: Any) -> None:
    """``user_logged_out`` receiver: logout revokes the session token at once, and the sockets
    authenticated by that session (token or cookie) are closed too."""
    session_key = request.session.session_key if request is not None else None
    if user is None or not session_key:
        return
    publish_after_commit(
        user_group(user.pk), {"kind": SESSION_ENDED_EVENT, "session": session_fingerprint(session_key)}
    )
