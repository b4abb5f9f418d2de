"""Rebuilding an index in bulk (``manage.py search_reindex``).

PostgreSQL: the document rows are rewritten in place by id ranges (their GIN indexes follow;
searches keep working meanwhile), then names' vocabulary is made anew. Elasticsearch: a new
index is filled, then the alias is moved to it in one atomic ``update_aliases`` call and the
old index dropped, so searches never see a half-built index. Appliers keep off the kind while this runs (``outbox.paused``): updates made
meanwhile wait in the outbox and are drained into the new index once the alias has moved.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.utils import timezone
from elasticsearch import Elasticsearch

from search import documents, outbox
from search.backends.elastic import SOURCES, alias_name, bulk, client, index_actions, index_definition

Progress = Callable[[int, int], None]


def rebuild_postgres(kind: str, progress: Progress | None = None) -> int:
    total = documents.rebuild(kind, progress)
    if kind in documents.VOCABULARY_KINDS:
        documents.rebuild_vocabulary(kind)
    return total


def rebuild_elasticsearch(
    kind: str, progress: Progress | None = None, es: Elasticsearch | None = None
) -> str:
    """Fill a new index for ``kind`` and point the alias at it; returns the new index's name."""
    es = es or client(settings.ELASTICSEARCH_URL)
    alias = alias_name(kind)
    name = f"{alias}-{timezone.now():%Y%m%d%H%M%S%f}"
    with outbox.paused(kind):
        _fill(es, kind, name, progress)
        previous = (
            list(es.indices.get_alias(name=alias, ignore_unavailable=True))
            if es.indices.exists_alias(name=alias)
            else []
        )
        actions = [{"remove": {"index": old, "alias": alias}} for old in previous]
        actions.append({"add": {"index": name, "alias": alias}})
        es.indices.update_aliases(actions=actions)
        for old in previous:
            es.indices.delete(index=old)
    outbox.drain()
    return name


def _fill(es: Elasticsearch, kind: str, name: str, progress: Progress | None) -> None:
    """Create the index ``name`` and index every row of ``kind`` into it in bulk."""
    index_definition(kind, name).create(using=es)
    rows, _entry = SOURCES[kind]
    total = rows(None).count()
    done = 0
    batch: list[dict] = []
    for action in index_actions(kind, name):
        batch.append(action)
        if len(batch) == 1000:
            done += bulk(es, batch)
            batch = []
            if progress is not None:
                progress(done, total)
    done += bulk(es, batch)
    if progress is not None:
        progress(done, total)
    es.indices.refresh(index=name)
