"""After Elasticsearch fails, this process leaves it alone for ``ELASTICSEARCH_PAUSE_SECONDS``.

A cluster that is down or hung costs each request that tries it up to
``ELASTICSEARCH_TIMEOUT``. After one failure, searches go straight to PostgreSQL and saves
leave their index updates in the outbox for ``search_drain_outbox``; once the pause is over,
the next search or save tries the cluster again. Per process: each worker finds out once.
"""

from __future__ import annotations

import time

from django.conf import settings

# time.monotonic() before which this process does not try Elasticsearch (set by a failure).
_resting_until = 0.0


def elasticsearch_resting() -> bool:
    """Whether Elasticsearch failed less than ``ELASTICSEARCH_PAUSE_SECONDS`` ago here."""
    return time.monotonic() < _resting_until


def elasticsearch_failed() -> None:
    """Leave Elasticsearch alone for ``ELASTICSEARCH_PAUSE_SECONDS`` from now."""
    global _resting_until
    _resting_until = time.monotonic() + settings.ELASTICSEARCH_PAUSE_SECONDS
