"""Staff accounts must use multi-factor authentication before they reach the admin."""

from __future__ import annotations

from collections.abc import Callable

from allauth.mfa.models import Authenticator
from allauth.mfa.utils import is_mfa_enabled
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _


class StaffMFARequiredMiddleware:
    """Sends a staff member without an authenticator app (TOTP) to allauth's TOTP set-up page
    when they open the admin.

    Must come after AuthenticationMiddleware and MessageMiddleware. The path is checked first
    so that other requests do not load the user for nothing. With TOTP active, allauth asks
    for a code at every sign-in, and the admin's own login form is routed to allauth's
    (``accounts/admin.py``), so an admin session has passed the second factor.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(reverse("admin:index")):
            user = getattr(request, "user", None)
            if (
                user is not None
                and user.is_authenticated
                and user.is_staff
                and not is_mfa_enabled(user, [Authenticator.Type.TOTP])
            ):
                messages.warning(request, _("Set up an authenticator app before using the administration."))
                return redirect("mfa_activate_totp")
        return self.get_response(request)
