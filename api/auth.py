"""Resolving allauth headless session tokens (``X-Session-Token``) to users.

allauth offers no public API for this; its own DRF and Ninja integrations call
``allauth.headless.internal.sessionkit.authenticate_by_x_session_token``. We wrap that call
here, once, and ``tests/graphql/test_session_tokens.py`` pins its behaviour, so an allauth upgrade
that moves or changes it fails loudly instead of silently letting requests through.
"""

from __future__ import annotations

from allauth.headless.internal.sessionkit import authenticate_by_x_session_token

from accounts.models import User

SESSION_TOKEN_HEADER = "X-Session-Token"  # noqa: S105 (a header name, not a secret)


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
