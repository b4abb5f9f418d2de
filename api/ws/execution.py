"""Subscriptions whose results are executed in worker threads.

graphql-core's ``subscribe`` executes each event's payload on the event loop, where Django's
ORM refuses to run; our payload resolvers read the database like any other resolver. So the
source stream is created on the loop (the subscribe resolver joins its groups there, before
the subscription is confirmed), and each event is executed with ``execute_sync`` in a thread,
as queries over the socket are.
"""

from __future__ import annotations

from collections.abc import AsyncIterable
from functools import partial
from typing import Any

from channels.db import database_sync_to_async
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
        return await database_sync_to_async(self._run)(root_value=event)

    async def aclose(self) -> None:
        close = getattr(self._events, "aclose", None)  # an EventStream or an async generator
        if close is not None:
            await close()


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
