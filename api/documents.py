"""Parsed and validated GraphQL documents, cached, for both transports (``api.views`` over HTTP,
``api.ws.consumer`` over WebSocket).

Validation is graphql-core's standard rules plus ours (``api.validation``), with the request's
variables so page sizes given as variables are refused before any resolver runs; for a cached
document only the checks that read variables run again.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from graphene_django import settings as graphene_django_settings
from graphql import DocumentNode, GraphQLError, GraphQLSchema, parse

from api.validation import VariableChecks, validate_document, validation_settings

# Apps send the same few dozen documents over and over: parsing and validating one costs more
# than resolving a small screen. A parsed document takes ~100 bytes per character of its text,
# so the cache is bounded in entries and in the length of a document kept (at most ~26 MB per
# process; the home screen's document is 400 characters).
DOCUMENT_CACHE_SIZE = 64
DOCUMENT_CACHE_MAX_LENGTH = 4 * 1024


@dataclass(frozen=True)
class ValidatedDocument:
    """A parsed document that passed every rule that does not read variables, and the checks
    that do (run again for each request's variables)."""

    document: DocumentNode
    variable_checks: VariableChecks


class DocumentCache:
    """Validated documents by (schema, document text, validation settings), least recently used
    out first.

    Safe to share between users and requests: whether a document is valid depends only on the
    key (``api.validation.validation_settings``); what depends on the request (its variables)
    is checked again every time, and results are never kept. Documents with errors are not
    kept, so their messages are always written in the request's language. Thread-safe: the
    ASGI server runs sync views in a thread pool, sockets validate on the event loop.
    """

    def __init__(self, size: int, max_length: int) -> None:
        self.size = size
        self.max_length = max_length
        self._entries: OrderedDict[tuple[Any, ...], ValidatedDocument] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, schema: GraphQLSchema, query: str) -> ValidatedDocument | None:
        key = self._key(schema, query)
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
            return entry

    def put(self, schema: GraphQLSchema, query: str, entry: ValidatedDocument) -> None:
        if len(query) > self.max_length:
            return
        key = self._key(schema, query)
        with self._lock:
            self._entries[key] = entry
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    @staticmethod
    def _key(schema: GraphQLSchema, query: str) -> tuple[Any, ...]:
        return (schema, query, validation_settings())

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


documents = DocumentCache(DOCUMENT_CACHE_SIZE, DOCUMENT_CACHE_MAX_LENGTH)


def parse_document(schema: GraphQLSchema, query: str) -> tuple[DocumentNode, ValidatedDocument | None]:
    """The document ``query`` parses to, and its cache entry if it was validated before (raises
    ``GraphQLError`` for a syntax error)."""
    cached = documents.get(schema, query)
    if cached is not None:
        return cached.document, cached
    return parse(query), None


def document_errors(
    schema: GraphQLSchema,
    query: str,
    document: DocumentNode,
    cached: ValidatedDocument | None,
    variables: Any,
) -> list[GraphQLError]:
    """The validation errors of ``document`` (from :func:`parse_document`) for a request's
    ``variables``; a document found valid is kept for the next request."""
    max_errors = graphene_django_settings.graphene_settings.MAX_VALIDATION_ERRORS
    if cached is not None:
        return cached.variable_checks.errors(variables or {}, max_errors)
    errors, variable_checks = validate_document(schema, document, variables or {}, max_errors)
    if not errors:
        documents.put(schema, query, ValidatedDocument(document, variable_checks))
    return errors
