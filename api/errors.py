"""How errors reach GraphQL clients.

Two kinds, never mixed:

* Errors as data: a mutation refused by a rule returns ``errors: [XError!]!`` built from the
  :class:`~common.errors.ServiceError` the service raised (see ``api.mutations``). Each app has
  its own ``<App>Error`` type whose ``code`` enum is the app's codes plus the common ones.
* Top-level ``errors``: validation failures, bad requests, and query resolvers that refuse
  (a ``ServiceError`` raised there keeps its stable code). Any other exception is a bug: it is
  logged with its traceback and shown only as "Internal error" with code INTERNAL_ERROR.
"""

from __future__ import annotations

import logging
from enum import StrEnum
from typing import Any

import graphene
from django.utils.translation import gettext as _
from graphene_django.views import HttpError
from graphql import GraphQLError

from common.errors import CommonErrorCode, FieldError, ServiceError

logger = logging.getLogger("api.errors")


def error_code_enum(name: str, app_codes: type[StrEnum], description: str) -> type[graphene.Enum]:
    """A GraphQL enum of the app's codes and every common code (NOT_AUTHENTICATED, ...).

    Common codes come first; a code defined by both keeps one member (same name and value).
    """
    members: dict[str, str] = {}
    for codes in (CommonErrorCode, app_codes):
        for code in codes:
            members.setdefault(code.name, code.value)
    return graphene.Enum(name, list(members.items()), description=description)


class TextSpan(graphene.ObjectType):
    """A stretch of submitted text an error points at (e.g. a patient identifier to remove)."""

    start = graphene.Int(required=True, description="Offset of the first character (Unicode code points).")
    end = graphene.Int(required=True, description="Offset just after the last character.")
    kind = graphene.String(required=True, description="What was found there, e.g. PHONE_NUMBER.")
    text = graphene.String(required=True)


class BaseError(graphene.ObjectType):
    """Shared fields of every ``<App>Error``; each app adds ``code`` with its own enum."""

    class Meta:
        abstract = True

    field = graphene.String(
        description="The input field (camelCase) the error is about; null when it is about the whole request."
    )
    message = graphene.String(required=True, description="A translated message to show to the user.")
    spans = graphene.List(
        graphene.NonNull(TextSpan),
        required=True,
        description="Where in the field's text the problem is; empty when it is not about a stretch of text.",
    )


def errors_as_data(error: ServiceError, error_type: type[BaseError]) -> list[BaseError]:
    """The ``<App>Error`` objects for a refused mutation."""
    code_enum = error_type._meta.fields["code"].type.of_type._meta.enum
    return [_error_object(item, error_type, code_enum) for item in error.errors]


def _error_object(item: FieldError, error_type: type[BaseError], code_enum: Any) -> BaseError:
    # An unknown code is a programming error (a service raised another app's code): fail loudly.
    code = code_enum(str(item.code))
    spans = [TextSpan(start=s.start, end=s.end, kind=s.kind, text=s.text) for s in item.spans]
    return error_type(field=item.field, code=code, message=item.message, spans=spans)


def format_error(error: Exception) -> dict[str, Any]:
    """The JSON of one top-level error, for the HTTP view and the WebSocket consumer alike."""
    if isinstance(error, HttpError):
        return {"message": error.message, "extensions": {"code": "BAD_REQUEST"}}
    if not isinstance(error, GraphQLError):
        return _internal_error(error, None)
    original = error.original_error
    if original is None or isinstance(original, GraphQLError):
        return dict(error.formatted)
    if isinstance(original, ServiceError):
        formatted: dict[str, Any] = dict(error.formatted)
        extensions: dict[str, Any] = {"code": str(original.code)}
        if original.errors[0].field:
            extensions["field"] = original.errors[0].field
        formatted["message"] = original.errors[0].message
        formatted["extensions"] = extensions
        return formatted
    return _internal_error(original, error)


def _internal_error(exception: BaseException, located: GraphQLError | None) -> dict[str, Any]:
    logger.error(
        "Unexpected error in GraphQL %s",
        ".".join(str(key) for key in located.path) if located and located.path else "request",
        exc_info=(type(exception), exception, exception.__traceback__),
    )
    formatted: dict[str, Any] = {
        "message": _("Internal error"),
        "extensions": {"code": str(CommonErrorCode.INTERNAL_ERROR)},
    }
    if located is not None:
        if located.locations:
            formatted["locations"] = [location.formatted for location in located.locations]
        if located.path is not None:
            formatted["path"] = located.path
    return formatted
