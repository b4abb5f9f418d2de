"""Races between doctors acting at the same moment, on real threads and real transactions: each
pair ends with at most one pending request and at most one connection (two rows)."""

from __future__ import annotations

from typing import Any

import pytest

from common.errors import ServiceError
from network.errors import NetworkErrorCode
from network.models import Block, Connection, ConnectionRequest
from network.services import connections as services
from tests import factories
from tests.concurrency import race

pytestmark = pytest.mark.django_db(transaction=True)

ROUNDS = 5


def codes(results: list[Any]) -> list[str]:
    for result in results:
        if isinstance(result, Exception) and not isinstance(result, ServiceError):
            raise result
    return sorted(str(result.code) if isinstance(result, ServiceError) else "ok" for result in results)


def between(first, second):
    return {"doctor__in": [first, second], "peer__in": [first, second]}


def test_crossing_requests_leave_one_pending_request():
    for _ in range(ROUNDS):
        an, binh = factories.doctor(), factories.doctor()
        results = race(
            lambda an=an, binh=binh: services.send_connection_request(an, binh.pk),
            lambda an=an, binh=binh: services.send_connection_request(binh, an.pk),
        )
        assert codes(results) == sorted(["ok", NetworkErrorCode.REQUEST_ALREADY_PENDING])
        pending = ConnectionRequest.objects.filter(
            sender__in=[an, binh], recipient__in=[an, binh], status=ConnectionRequest.Status.PENDING
        )
        assert pending.count() == 1


def test_two_accepts_of_one_request_make_one_connection():
    for _ in range(ROUNDS):
        an, binh = factories.doctor(), factories.doctor()
        request = services.send_connection_request(an, binh.pk)
        results = race(
            lambda binh=binh, pk=request.pk: services.accept_connection_request(binh, pk),
            lambda binh=binh, pk=request.pk: services.accept_connection_request(binh, pk),
        )
        assert codes(results) == sorted(["ok", NetworkErrorCode.REQUEST_NOT_PENDING])
        assert Connection.objects.filter(**between(an, binh)).count() == 2


def test_an_accept_racing_a_block_never_leaves_blocked_doctors_connected():
    for _ in range(ROUNDS):
        an, binh = factories.doctor(), factories.doctor()
        request = services.send_connection_request(an, binh.pk)
        results = race(
            lambda binh=binh, pk=request.pk: services.accept_connection_request(binh, pk),
            lambda an=an, binh=binh: services.block_doctor(an, binh.pk),
        )
        # The block always happens; the accept happens first or is refused.
        assert codes(results) in (["ok", "ok"], sorted(["ok", NetworkErrorCode.REQUEST_NOT_PENDING]))
        assert Block.objects.filter(blocker=an, blocked=binh).exists()
        assert not Connection.objects.filter(**between(an, binh)).exists()


def test_concurrent_requests_respect_the_daily_cap(settings):
    settings.NETWORK_DAILY_CONNECTION_REQUESTS = 2
    for _ in range(ROUNDS):
        an = factories.doctor()
        services.send_connection_request(an, factories.doctor().pk)
        others = [factories.doctor() for _ in range(3)]
        results = race(
            *(lambda an=an, other=other: services.send_connection_request(an, other.pk) for other in others)
        )
        assert codes(results) == sorted(["ok", *[NetworkErrorCode.DAILY_REQUEST_LIMIT] * 2])
        assert ConnectionRequest.objects.filter(sender=an).count() == 2
