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
from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseNotAllowed
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from graphene_django import settings as graphene_django_settings
from graphene_django.constants import MUTATION_ERRORS_FLAG
from graphene_django.views import GraphQLView, HttpError
from graphql import (
    DocumentNode,
    ExecutionResult,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    execute,
    get_operation_ast,
    validate_schema,
)

from api.auth import SESSION_TOKEN_HEADER, user_for_session_token
from api.documents import document_errors, parse_document
from api.errors import format_error
from api.multipart import operations_with_files


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
        """graphene-django's flow (3.2: parse, refuse non-queries over GET, validate, execute),
        with validated documents taken from ``api.documents``.

        Validation is graphql-core's standard rules plus ours (``api.validation``), with this
        request's variables so page sizes given as variables are refused before any resolver
        runs; for a cached document only the checks that read variables run again.
        """
        if not query:
            if show_graphiql:
                return None
            raise HttpError(HttpResponseBadRequest("Must provide query string."))

        schema = self.schema.graphql_schema
        schema_validation_errors = validate_schema(schema)
        if schema_validation_errors:
            return ExecutionResult(data=None, errors=schema_validation_errors)

        try:
            document, cached = parse_document(schema, query)
        except Exception as error:
            # As graphene-django does: format_error tells GraphQL errors from bugs.
            return ExecutionResult(errors=[error])  # type: ignore[list-item]

        operation_ast = get_operation_ast(document, operation_name)
        if (
            request.method is not None
            and request.method.lower() == "get"
            and operation_ast is not None
            and operation_ast.operation != OperationType.QUERY
        ):
            if show_graphiql:
                return None
            raise HttpError(
                HttpResponseNotAllowed(
                    ["POST"],
                    f"Can only perform a {operation_ast.operation.value} operation from a POST request.",
                )
            )

        validation_errors = document_errors(schema, query, document, cached, variables)
        if validation_errors:
            return ExecutionResult(data=None, errors=validation_errors)
        return self._execute(request, schema, document, operation_ast, variables, operation_name)

    def _execute(
        self,
        request: HttpRequest,
        schema: GraphQLSchema,
        document: DocumentNode,
        operation_ast: OperationDefinitionNode | None,
        variables: Any,
        operation_name: str | None,
    ) -> Any:
        """Execute a validated document as graphene-django does (atomic mutations if asked)."""
        try:
            execute_options: dict[str, Any] = {
                "root_value": self.get_root_value(request),
                "context_value": self.get_context(request),
                "variable_values": variables,
                "operation_name": operation_name,
                "middleware": self.get_middleware(request),
            }
            if self.execution_context_class:
                execute_options["execution_context_class"] = self.execution_context_class
            if (
                operation_ast is not None
                and operation_ast.operation == OperationType.MUTATION
                and (
                    graphene_django_settings.graphene_settings.ATOMIC_MUTATIONS is True
                    or connection.settings_dict.get("ATOMIC_MUTATIONS", False) is True
                )
            ):
                with transaction.atomic():
                    result = execute(schema, document, **execute_options)
                    if getattr(request, MUTATION_ERRORS_FLAG, False) is True:
                        transaction.set_rollback(True)
                return result
            return execute(schema, document, **execute_options)
        except Exception as error:
            return ExecutionResult(errors=[error])  # type: ignore[list-item]

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
