"""The home page: what Tuyến is, and where a signed-in doctor stands."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts import selectors
from accounts.models import User
from accounts.services import may_submit_licence


def home(request: HttpRequest) -> HttpResponse:
    context: dict[str, object] = {"debug": settings.DEBUG}
    if isinstance(request.user, User):
        context["latest_submission"] = selectors.latest_licence_submission(request.user)
        context["may_submit"] = may_submit_licence(request.user)
        context["needs_authenticator"] = selectors.needs_authenticator_to_verify(request.user)
    if settings.DEBUG:
        # Developer documentation is read in the repository; list it, never serve it.
        context["developer_docs"] = sorted(
            path.relative_to(settings.BASE_DIR).as_posix()
            for path in (settings.BASE_DIR / "docs").glob("*.md")
        )
    return render(request, "home.html", context)
