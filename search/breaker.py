"""After Elasticsearch fails, this process leaves it alone for ``ELASTICSEARCH_PAUSE_SECONDS``.

A cluster that is down or hung costs each request that tries it up to
``ELASTICSEARCH_TIMEOUT``. After an outage is seen, searches go straight to PostgreSQL and
saves leave their index updates in the outbox for ``search_drain_outbox``; once the pause is
over, the next searches and saves try the cluster again. Per process: each worker finds out
for itself. Only an outage rests the cluster: a refusal of one query or one document (a 4xx
answer) says nothing about the next one.
"""

from __future__ import annotations

import time

from django.conf import settings

# time.monotonic() before which this process does not try Elasticsearch (set by an outage).
_resting_until = 0.0


def is_outage(error: BaseException) -> bool:
    """Whether ``error`` says the cluster is unreachable, hung or overloaded (as opposed to
    refusing one request): no connection or no answer in time, a 5xx, or 429."""
    from elastic_transport import TransportError
    from elasticsearch import ApiError

    if isinstance(error, TransportError):
        return True
    return isinstance(error, ApiError) and (error.meta.status >= 500 or error.meta.status == 429)


def elasticsearch_resting() -> bool:
    """Whether an outage was seen here less than ``ELASTICSEARCH_PAUSE_SECONDS`` ago."""
    return time.monotonic() < _resting_until


def elasticsearch_failed() -> None:
    """Leave Elasticsearch alone for ``ELASTICSEARCH_PAUSE_SECONDS`` from now."""
    global _resting_until
    _resting_until = time.monotonic() + settings.ELASTICSEARCH_PAUSE_SECONDS
