from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from accounts import selectors, services
from network.services.moderation import is_moderator


def roles(request: HttpRequest) -> dict[str, Any]:
    """``is_verifier``, ``is_verified_doctor`` and ``is_moderator`` for every template (the site
    and network menus), by the rules themselves, evaluated only when a template asks."""
    user = getattr(request, "user", None)
    return {
        "is_verifier": SimpleLazyObject(lambda: selectors.is_verifier(user)),
        "is_verified_doctor": SimpleLazyObject(lambda: services.is_verified_doctor(user)),
        "is_moderator": SimpleLazyObject(lambda: is_moderator(user)),
    }
