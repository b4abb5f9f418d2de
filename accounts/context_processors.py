from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from accounts import selectors


def roles(request: HttpRequest) -> dict[str, Any]:
    """``is_verifier`` for every template (the site menu), by the verifier rule, evaluated
    only when a template asks."""
    return {"is_verifier": SimpleLazyObject(lambda: selectors.is_verifier(getattr(request, "user", None)))}
