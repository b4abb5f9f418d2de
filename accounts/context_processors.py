from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from accounts import selectors, services


def roles(request: HttpRequest) -> dict[str, Any]:
    """``is_verifier`` and ``is_verified_doctor`` for every template (the site menu), by the
    rules themselves, evaluated only when a template asks."""
    user = getattr(request, "user", None)
    return {
        "is_verifier": SimpleLazyObject(lambda: selectors.is_verifier(user)),
        "is_verified_doctor": SimpleLazyObject(lambda: services.is_verified_doctor(user)),
    }
