"""``/graphql/``: the GraphQL-over-HTTP endpoint for the web client and the mobile apps.

Two ways to authenticate, never mixed:

* ``X-Session-Token`` (allauth headless "app" client): the token alone decides who the user
  is; an invalid, expired or logged-out token is a 401, never a fall-back to cookies. A header
  cannot be set by a cross-site form, so these requests are not CSRF-checked.
* The session cookie (web client, or anonymous): Django's CSRF check applies as to any view.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from graphene_django.views import GraphQLView

from api.auth import SESSION_TOKEN_HEADER, user_for_session_token
from api.errors import format_error
from api.multipart import operations_with_files
from api.validation import validation_rules


class TuyenGraphQLView(GraphQLView):
    batch = False

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # Read per request, so settings overrides (tests) apply.
        self.graphiql = settings.DEBUG
        return super().dispatch(request, *args, **kwargs)

    def parse_body(self, request: HttpRequest) -> Any:
        if self.get_content_type(request) == "multipart/form-data" and "operations" in request.POST:
            return operations_with_files(request.POST["operations"], request.POST.get("map"), request.FILES)
        return super().parse_body(request)

    def execute_graphql_request(
        self,
        request: HttpRequest,
        data: Any,
        query: str | None,
        variables: Any,
        operation_name: str | None,
        show_graphiql: bool = False,
    ) -> Any:
        # Standard rules plus ours, with this request's variables so page sizes given as
        # variables are refused before any resolver runs.
        self.validation_rules = validation_rules(variables or {})
        return super().execute_graphql_request(request, data, query, variables, operation_name, show_graphiql)

    @staticmethod
    def format_error(error: Exception) -> dict[str, Any]:
        return format_error(error)


_graphql = TuyenGraphQLView.as_view()
_graphql_csrf_protected = csrf_protect(_graphql)


def error_response(message: str, code: str, status: int) -> HttpResponse:
    body = {"errors": [{"message": message, "extensions": {"code": code}}]}
    return HttpResponse(json.dumps(body), status=status, content_type="application/json")


def invalid_session_token_response() -> HttpResponse:
    return error_response(
        _("Your session has ended or the token is invalid; sign in again."), "INVALID_SESSION_TOKEN", 401
    )


def upload_too_large(request: HttpRequest) -> bool:
    """Whether a multipart request is over the upload cap, or hides its length (checked before
    Django spools any file to disk)."""
    if not (request.content_type or "").startswith("multipart/"):
        return False
    try:
        length = int(request.META.get("CONTENT_LENGTH") or -1)
    except ValueError:
        return True
    return not 0 <= length <= settings.GRAPHQL_MAX_UPLOAD_BYTES


@csrf_exempt  # only for the middleware: CSRF is checked below unless a valid token authenticates
def graphql_view(request: HttpRequest) -> HttpResponse:
    if upload_too_large(request):
        limit_mb = settings.GRAPHQL_MAX_UPLOAD_BYTES // (1024 * 1024)
        return error_response(
            _("Uploads are limited to %(limit)d MB per request.") % {"limit": limit_mb},
            "REQUEST_TOO_LARGE",
            413,
        )
    if SESSION_TOKEN_HEADER in request.headers:
        user = user_for_session_token(request.headers[SESSION_TOKEN_HEADER])
        if user is None:
            return invalid_session_token_response()
        request.user = user
        return _graphql(request)
    return _graphql_csrf_protected(request)
