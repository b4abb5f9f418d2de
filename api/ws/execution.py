"""Subscriptions whose results are executed on the event loop, or in a thread when they read
the database.

The source stream is created on the loop (the subscribe resolver joins its groups there, before
the subscription is confirmed). Each event's payload is executed with ``execute_sync`` on the
loop first: events carry what their subscribers are shown (``chat.events``), so most payloads
read nothing, and one event fans out to many subscribers without a thread hop each. A payload
that does read the database meets Django's guard (``SynchronousOnlyOperation``: the ORM refuses
to run on the loop, before any query) and is executed again in a thread, as queries over the
socket are. Payload resolvers only read, so running one again is harmless.
"""

from __future__ import annotations

from collections.abc import AsyncIterable
from functools import partial
from typing import Any

from channels.db import database_sync_to_async
from django.core.exceptions import SynchronousOnlyOperation
from graphql import DocumentNode, ExecutionResult, GraphQLSchema, create_source_event_stream, execute_sync


class SubscriptionResults:
    """One ExecutionResult per source event; closing it closes the source."""

    def __init__(self, events: AsyncIterable[Any], run: partial[ExecutionResult]) -> None:
        self._events = aiter(events)
        self._run = run

    def __aiter__(self) -> SubscriptionResults:
        return self

    async def __anext__(self) -> ExecutionResult:
        event = await self._events.__anext__()
        result = self._run(root_value=event)
        if needs_database(result):
            result = await database_sync_to_async(self._run)(root_value=event)
        return result

    async def aclose(self) -> None:
        close = getattr(self._events, "aclose", None)  # an EventStream or an async generator
        if close is not None:
            await close()


def needs_database(result: ExecutionResult) -> bool:
    """Whether a payload executed on the event loop stopped at Django's guard against the ORM."""
    return any(isinstance(error.original_error, SynchronousOnlyOperation) for error in result.errors or ())


async def subscribe(
    schema: GraphQLSchema,
    document: DocumentNode,
    *,
    context_value: Any,
    variable_values: dict[str, Any] | None = None,
    operation_name: str | None = None,
) -> SubscriptionResults | ExecutionResult:
    """Like ``graphql.subscribe``: an ExecutionResult with errors, or the stream of results."""
    events = await create_source_event_stream(
        schema,
        document,
        context_value=context_value,
        variable_values=variable_values,
        operation_name=operation_name,
    )
    if isinstance(events, ExecutionResult):
        return events
    run = partial(
        execute_sync,
        schema,
        document,
        context_value=context_value,
        variable_values=variable_values,
        operation_name=operation_name,
    )
    return SubscriptionResults(events, run)
