"""The Elasticsearch outbox: index updates written with the change, applied after commit.

``enqueue`` runs inside the transaction that changed a row (nothing is written when
Elasticsearch is not configured), so the update commits or rolls back with the change. After
commit the transaction's own entries are applied at once, best effort: a failure is logged,
never raised, and an outage leaves Elasticsearch alone for a while (``search.breaker``: no
save waits on a cluster known to be down). ``manage.py search_drain_outbox`` (cron) applies
whatever is left. Entries are claimed with ``SKIP LOCKED`` and deleted by id once applied, so a
change made while its row is being applied gets an entry of its own and is applied again.

Two appliers must never send one row's states out of order (the slower one, having read the
older state, would overwrite the newer in Elasticsearch): each row is applied under a
transaction-level advisory lock taken with *try*, and an entry whose row is being applied
elsewhere stays for the next drain (never waits). ``search_reindex`` holds its kind's lock
(:func:`paused`) while it fills a new index, so updates made meanwhile wait in the outbox and
reach the new index once the alias has moved.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, QuerySet

from search import backends, breaker
from search.backends.base import SearchBackend
from search.models import OutboxEntry

logger = logging.getLogger("search.outbox")


def enqueue(kind: str, ids: list[int]) -> None:
    """Ask for the Elasticsearch documents of ``ids`` to follow their rows, after commit."""
    if not settings.ELASTICSEARCH_URL or not ids:
        return
    entries = OutboxEntry.objects.bulk_create([OutboxEntry(kind=kind, object_id=pk) for pk in ids])
    pks = [entry.pk for entry in entries]
    transaction.on_commit(lambda: _apply_after_commit(pks))


def _apply_after_commit(pks: list[int]) -> None:
    if breaker.elasticsearch_resting():
        return
    try:
        outcome = apply(OutboxEntry.objects.filter(pk__in=pks))
    except Exception:
        logger.exception("Applying search outbox entries after commit failed")
        return
    if outcome.outage:
        breaker.elasticsearch_failed()


def lock_key(kind: str, object_id: int | None = None) -> str:
    """The advisory lock name of a row (or, without ``object_id``, of a whole kind)."""
    return f"search-outbox:{kind}" if object_id is None else f"search-outbox:{kind}:{object_id}"


_TRY_LOCKS = """
    SELECT name FROM unnest(%s::text[]) AS wanted(name)
     WHERE pg_try_advisory_xact_lock{shared}(hashtextextended(name, 0))
"""


def _try_locks(names: set[str], *, shared: bool = False) -> set[str]:
    """The lock ``names`` acquired now (until the transaction ends), without waiting."""
    if not names:
        return set()
    with connection.cursor() as cursor:
        cursor.execute(_TRY_LOCKS.format(shared="_shared" if shared else ""), [sorted(names)])
        return {name for (name,) in cursor.fetchall()}


@contextmanager
def paused(kind: str) -> Iterator[None]:
    """Keep every applier off ``kind`` while the block runs (their entries wait in the outbox);
    waits for the ones already applying to finish."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(hashtextextended(%s, 0))", [lock_key(kind)])
        try:
            yield
        finally:
            cursor.execute("SELECT pg_advisory_unlock(hashtextextended(%s, 0))", [lock_key(kind)])


@dataclass
class Outcome:
    applied: int
    failed: int
    error: str = ""
    outage: bool = False  # a failure said the cluster is down (search.breaker.is_outage)


def apply(entries: QuerySet[OutboxEntry], backend: SearchBackend | None = None, limit: int = 500) -> Outcome:
    """Apply up to ``limit`` of ``entries`` not claimed by another process; applied entries are
    deleted, failed ones keep their place with ``attempts`` and ``last_error`` updated, and
    those whose row (or kind) is locked by another applier stay as they are."""
    backend = backend or backends.configured()
    with transaction.atomic():
        # Fewest attempts first: an entry Elasticsearch keeps refusing must not hold back the
        # rest (each apply reads its row's current state, so order does not matter otherwise).
        claimed = list(entries.select_for_update(skip_locked=True).order_by("attempts", "id")[:limit])
        kinds = _try_locks({lock_key(entry.kind) for entry in claimed}, shared=True)
        rows = _try_locks(
            {lock_key(entry.kind, entry.object_id) for entry in claimed if lock_key(entry.kind) in kinds}
        )
        by_kind: dict[str, list[OutboxEntry]] = defaultdict(list)
        for entry in claimed:
            if lock_key(entry.kind, entry.object_id) in rows:
                by_kind[entry.kind].append(entry)
        applied: list[int] = []
        failed: list[int] = []
        error = ""
        outage = False
        for kind, kind_entries in by_kind.items():
            pks = [entry.pk for entry in kind_entries]
            try:
                backend.index(kind, sorted({entry.object_id for entry in kind_entries}))
            except Exception as problem:
                error = f"{type(problem).__name__}: {problem}"[:2000]
                logger.warning("Search outbox: %s %s", kind, error)
                failed.extend(pks)
                outage = outage or breaker.is_outage(problem)
            else:
                applied.extend(pks)
        OutboxEntry.objects.filter(pk__in=applied).delete()
        OutboxEntry.objects.filter(pk__in=failed).update(attempts=F("attempts") + 1, last_error=error)
    return Outcome(applied=len(applied), failed=len(failed), error=error, outage=outage)


def drain(backend: SearchBackend | None = None, batch: int = 500) -> Outcome:
    """Apply every pending entry, batch after batch, stopping at the first failing batch."""
    total = Outcome(applied=0, failed=0)
    while True:
        outcome = apply(OutboxEntry.objects.all(), backend, batch)
        total.applied += outcome.applied
        total.failed += outcome.failed
        total.error = outcome.error or total.error
        total.outage = total.outage or outcome.outage
        if outcome.failed or not outcome.applied:
            return total
