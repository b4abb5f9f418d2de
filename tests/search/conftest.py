"""The search contract runs on each backend: PostgreSQL always; Elasticsearch when
ELASTICSEARCH_URL names a cluster (each test gets its own indexes)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest

from search import breaker, documents, outbox, reindex
from search.models import IndexKind

ELASTICSEARCH_URL = os.environ.get("ELASTICSEARCH_URL", "")
NO_ELASTICSEARCH = "ELASTICSEARCH_URL is not set (no Elasticsearch server on this machine)"


def rebuild_vocabularies() -> None:
    """PostgreSQL's vocabulary as its after-commit hooks would leave it (a test's transaction
    never commits)."""
    for kind in documents.VOCABULARY_KINDS:
        documents.rebuild_vocabulary(kind)


@pytest.fixture(autouse=True)
def _elasticsearch_not_resting() -> Iterator[None]:
    """Each test starts with Elasticsearch not rested by an earlier test's failure (the rest is
    per process, and a live cluster would otherwise be skipped)."""
    breaker._resting_until = 0.0
    yield
    breaker._resting_until = 0.0


def closed_port_url() -> str:
    """An Elasticsearch URL on which nothing listens: connections are refused at once."""
    from tests.conftest import free_port

    return f"http://127.0.0.1:{free_port()}"


@contextmanager
def _live_elasticsearch(settings) -> Iterator[None]:
    """Point search at the live cluster with indexes of this test's own; drop them after."""
    if not ELASTICSEARCH_URL:
        pytest.skip(NO_ELASTICSEARCH)
    settings.ELASTICSEARCH_URL = ELASTICSEARCH_URL
    settings.ELASTICSEARCH_INDEX_PREFIX = f"test-{uuid.uuid4().hex[:12]}"
    try:
        yield
    finally:
        from search.backends.elastic import client

        client(ELASTICSEARCH_URL).indices.delete(index=f"{settings.ELASTICSEARCH_INDEX_PREFIX}-*")


@pytest.fixture(params=["postgresql", pytest.param("elasticsearch", marks=pytest.mark.elasticsearch)])
def backend(request: pytest.FixtureRequest, settings, db) -> Iterator[str]:
    if request.param == "elasticsearch":
        with _live_elasticsearch(settings):
            yield request.param
    else:
        settings.ELASTICSEARCH_URL = ""
        yield request.param


@pytest.fixture
def elasticsearch_backend(settings, db) -> Iterator[str]:
    """For tests of Elasticsearch alone (skipped with the reason when no cluster is named)."""
    with _live_elasticsearch(settings):
        yield "elasticsearch"


@pytest.fixture
def synced(backend: str) -> Callable[[], None]:
    """Bring the backend in step with the rows written so far (as the after-commit hooks and the
    drain command do; tests run inside one transaction, so nothing has been committed):
    PostgreSQL's vocabulary, Elasticsearch's indexes."""

    def sync() -> None:
        if backend != "elasticsearch":
            rebuild_vocabularies()
            return
        from django.conf import settings

        from search.backends.elastic import alias_name, client

        es = client(settings.ELASTICSEARCH_URL)
        for kind in IndexKind.values:
            if not es.indices.exists_alias(name=alias_name(kind)):
                reindex.rebuild_elasticsearch(kind)
        outcome = outbox.drain()
        assert not outcome.failed, outcome.error
        es.indices.refresh(index=f"{settings.ELASTICSEARCH_INDEX_PREFIX}-*")

    return sync
