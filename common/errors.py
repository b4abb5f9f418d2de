"""Errors raised by services and shown to users with a stable code.

Services raise :class:`ServiceError`; adapters (GraphQL mutations, web views, WebSocket
consumers) turn it into their own error format without re-deciding anything. Codes are the
values of enums such as :class:`CommonErrorCode` and each app's own (``accounts.errors``); the
GraphQL layer exposes them as enums, so a code, once published, is never renamed.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class CommonErrorCode(StrEnum):
    INVALID = "INVALID"
    REQUIRED = "REQUIRED"
    NOT_FOUND = "NOT_FOUND"
    PERMISSION_DENIED = "PERMISSION_DENIED"
    NOT_AUTHENTICATED = "NOT_AUTHENTICATED"
    NOT_VERIFIED = "NOT_VERIFIED"
    ACCOUNT_INACTIVE = "ACCOUNT_INACTIVE"
    INTERNAL_ERROR = "INTERNAL_ERROR"


@dataclass(frozen=True)
class TextSpan:
    """A stretch of a text field the error is about, e.g. a patient identifier to remove.

    ``start`` and ``end`` index the submitted text as Python strings (code points)."""

    start: int
    end: int
    kind: str
    text: str


@dataclass(frozen=True)
class FieldError:
    code: StrEnum
    message: str
    field: str | None = None
    spans: tuple[TextSpan, ...] = ()


class ServiceError(Exception):
    """One or more problems with a request; nothing was changed."""

    def __init__(self, code: StrEnum, message: str, field: str | None = None) -> None:
        self.errors: list[FieldError] = [FieldError(code=code, message=str(message), field=field)]
        super().__init__(str(message))

    @classmethod
    def many(cls, errors: list[FieldError]) -> ServiceError:
        if not errors:
            raise ValueError("ServiceError.many needs at least one error.")
        error = cls(errors[0].code, errors[0].message, errors[0].field)
        error.errors = list(errors)
        return error

    @property
    def code(self) -> StrEnum:
        return self.errors[0].code


def input_name(name: str) -> str:
    """The client-facing (camelCase) name of a service keyword, for ``FieldError.field``:
    ``presenting_problem`` → ``presentingProblem``."""
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)
