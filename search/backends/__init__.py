"""The search engines behind one interface (:class:`search.backends.base.SearchBackend`):
PostgreSQL always; Elasticsearch when ``ELASTICSEARCH_URL`` is set."""

from __future__ import annotations

from django.conf import settings

from search.backends.base import SearchBackend
from search.backends.postgres import PostgresBackend


def postgres() -> SearchBackend:
    return PostgresBackend()


def configured() -> SearchBackend:
    """Elasticsearch when configured, else PostgreSQL."""
    if settings.ELASTICSEARCH_URL:
        from search.backends.elastic import ElasticBackend

        return ElasticBackend(settings.ELASTICSEARCH_URL)
    return postgres()
