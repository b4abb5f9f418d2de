"""Staff accounts must use multi-factor authentication before they open any page."""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.services import has_totp

# Mounted in config/urls.py. allauth's account and MFA pages are where the app is set up (and
# where one signs out); the API endpoints are not pages, and their services apply their own
# rules (verifiers need TOTP there too).
OPEN_PREFIXES = ("/accounts/", "/_allauth/", "/graphql/", "/i18n/")


class StaffMFARequiredMiddleware:
    """Sends a staff member without an authenticator app (TOTP) to allauth's TOTP set-up page,
    whatever page they open, except the few they need to set it up or leave.

    Must come after AuthenticationMiddleware and MessageMiddleware. The path is checked first,
    then the user's staff flag, so only staff requests cost the TOTP lookup (cached on the
    user for the request, and reused by the verifier rule). With TOTP active, allauth asks for
    a code at every sign-in, and the admin's own login form is routed to allauth's
    (``accounts/admin.py``), so a staff session has passed the second factor.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    @cached_property
    def open_prefixes(self) -> tuple[str, ...]:
        files = tuple(
            path for path in (urlsplit(settings.STATIC_URL).path, urlsplit(settings.MEDIA_URL).path) if path
        )
        return (*OPEN_PREFIXES, *files)

    @cached_property
    def open_paths(self) -> frozenset[str]:
        return frozenset({reverse("admin:logout")})

    def is_open(self, path: str) -> bool:
        return path in self.open_paths or path.startswith(self.open_prefixes)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not self.is_open(request.path):
            user = getattr(request, "user", None)
            if isinstance(user, User) and user.is_staff and not has_totp(user):
                messages.warning(
                    request, _("Staff accounts must use an authenticator app: set one up to continue.")
                )
                return redirect("mfa_activate_totp")
        return self.get_response(request)
