"""``myVerificationStatus``: a doctor waiting for review learns the verdict the moment it is
committed, through the channel layer (in-memory here, Redis in production)."""

from __future__ import annotations

import asyncio
from datetime import datetime

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from graphql import parse

from accounts import services
from accounts.models import LicenceSubmission, User, VerificationStatus
from api.errors import format_error
from api.ws.broker import EventBroker
from api.ws.consumer import SocketContext
from api.ws.execution import subscribe
from config.schema import schema
from tests import factories
from tests.ws.conftest import (
    OUR_ORIGIN,
    VERIFICATION_STATUS,
    announce_status,
    initialise,
    publish_to_user,
    send,
    send_subscribe,
    session_cookie,
    settled,
)

pytestmark = pytest.mark.django_db(transaction=True)


class Rollback(Exception):
    pass


@pytest.fixture
def pending_doctor() -> User:
    return factories.doctor(status=VerificationStatus.PENDING, full_name="Võ Thị Lan")


@pytest.fixture
def submission(pending_doctor) -> LicenceSubmission:
    return pending_doctor.licence_submissions.get()


async def doctors_socket(open_socket, doctor: User):
    cookie = await database_sync_to_async(session_cookie)(doctor)
    communicator = await open_socket(headers=[(b"origin", OUR_ORIGIN), cookie])
    await initialise(communicator)
    return communicator


async def test_a_doctor_learns_of_the_verification_only_once_it_is_committed(
    open_socket, pending_doctor, submission, verifier
):
    socket = await doctors_socket(open_socket, pending_doctor)
    await send_subscribe(socket, "status", VERIFICATION_STATUS)
    await settled(socket)

    def review_and_look_before_commit() -> bool:
        with transaction.atomic():
            services.review_licence(verifier, submission.pk, approve=True)
            # Back on the event loop while the transaction is still open: nothing may arrive.
            return async_to_sync(socket.receive_nothing)(0.3)

    assert await database_sync_to_async(review_and_look_before_commit)()
    message = await socket.receive_json_from()
    assert (message["id"], message["type"]) == ("status", "next")
    change = message["payload"]["data"]["myVerificationStatus"]
    assert change["status"] == "VERIFIED"
    assert datetime.fromisoformat(change["changedAt"]).tzinfo is not None


async def test_a_rolled_back_verification_is_never_announced(
    open_socket, pending_doctor, submission, verifier
):
    socket = await doctors_socket(open_socket, pending_doctor)
    await send_subscribe(socket, "status", VERIFICATION_STATUS)
    await settled(socket)

    def review_then_fail() -> None:
        with transaction.atomic():
            services.review_licence(verifier, submission.pk, approve=True)
            raise Rollback

    with pytest.raises(Rollback):
        await database_sync_to_async(review_then_fail)()
    assert await socket.receive_nothing(0.3)


async def test_a_doctor_hears_only_about_their_own_status(open_socket, pending_doctor, verifier):
    other = await database_sync_to_async(factories.doctor)(status=VerificationStatus.PENDING)
    others_submission = await database_sync_to_async(other.licence_submissions.get)()
    socket = await doctors_socket(open_socket, pending_doctor)
    await send_subscribe(socket, "status", VERIFICATION_STATUS)
    await settled(socket)
    await database_sync_to_async(services.review_licence)(verifier, others_submission.pk, approve=True)
    assert await socket.receive_nothing(0.3)


async def test_a_rejection_arrives_as_rejected(open_socket, pending_doctor, submission, verifier):
    socket = await doctors_socket(open_socket, pending_doctor)
    await send_subscribe(socket, "status", VERIFICATION_STATUS)
    await settled(socket)
    await database_sync_to_async(services.review_licence)(
        verifier, submission.pk, approve=False, reason="Ảnh chụp giấy phép bị mờ."
    )
    message = await socket.receive_json_from()
    assert message["payload"]["data"]["myVerificationStatus"]["status"] == "REJECTED"


async def test_two_subscriptions_to_the_same_group_both_receive_and_share_one_membership(
    open_socket, pending_doctor, submission, verifier
):
    socket = await doctors_socket(open_socket, pending_doctor)
    await send_subscribe(socket, "a", VERIFICATION_STATUS)
    await send_subscribe(socket, "b", "subscription { myVerificationStatus { status } }")
    await send(socket, {"id": "a", "type": "complete"})  # b keeps the group joined
    await settled(socket)
    await database_sync_to_async(services.review_licence)(verifier, submission.pk, approve=True)
    message = await socket.receive_json_from()
    assert message == {
        "id": "b",
        "type": "next",
        "payload": {"data": {"myVerificationStatus": {"status": "VERIFIED"}}},
    }
    assert await socket.receive_nothing(0.2)


async def test_delivery_through_redis(redis_layer, open_socket, pending_doctor, submission, verifier):
    socket = await doctors_socket(open_socket, pending_doctor)
    await send_subscribe(socket, "status", VERIFICATION_STATUS)
    await settled(socket)
    await database_sync_to_async(services.review_licence)(verifier, submission.pk, approve=True)
    message = await socket.receive_json_from(timeout=5)
    assert message["payload"]["data"]["myVerificationStatus"]["status"] == "VERIFIED"


@pytest.fixture(params=["in-memory", "redis"])
def each_layer(request) -> None:
    if request.param == "redis":
        request.getfixturevalue("redis_layer")


async def test_an_event_published_right_after_subscribing_is_not_lost(
    each_layer, open_socket, pending_doctor
):
    """The server reads the client's next message only after the subscription's group is joined:
    publishing as soon as the server has answered the following ping must deliver. (Scheduling
    may hide a lazy join here; the next test pins the ordering deterministically.)"""
    socket = await doctors_socket(open_socket, pending_doctor)
    await send_subscribe(socket, "status", VERIFICATION_STATUS)
    await settled(socket)  # no sleep, no next yet: the very first moment the client may rely on
    await announce_status(pending_doctor, "verified")
    message = await socket.receive_json_from(timeout=5)
    assert message["payload"]["data"]["myVerificationStatus"]["status"] == "VERIFIED"


async def test_the_group_is_joined_before_the_subscription_resolver_returns(pending_doctor):
    """Deterministic form of the test above, without a socket: the source stream is created and
    nothing is iterated yet when the event is published. A resolver that joined lazily (an async
    generator joins on first iteration) would miss it and this test would time out."""
    broker = EventBroker(get_channel_layer())
    context = SocketContext(user=pending_doctor, broker=broker, scope={})
    stream = await subscribe(schema.graphql_schema, parse(VERIFICATION_STATUS), context_value=context)
    try:
        await announce_status(pending_doctor, "verified")
        result = await asyncio.wait_for(stream.__anext__(), timeout=1)
        assert result.data["myVerificationStatus"]["status"] == "VERIFIED"
    finally:
        await stream.aclose()
        await broker.close()
    assert broker.groups() == []


async def test_other_event_kinds_on_the_users_group_are_not_status_changes(open_socket, pending_doctor):
    socket = await doctors_socket(open_socket, pending_doctor)
    await send_subscribe(socket, "status", VERIFICATION_STATUS)
    await settled(socket)
    await publish_to_user(pending_doctor, {"kind": "chat.message", "room_id": 1})
    assert await socket.receive_nothing(0.2)


async def test_an_anonymous_viewer_cannot_subscribe():
    # Sockets are refused without credentials (4403), so this guards the resolver on its own.
    broker = EventBroker(get_channel_layer())
    context = SocketContext(user=AnonymousUser(), broker=broker, scope={})
    result = await subscribe(schema.graphql_schema, parse(VERIFICATION_STATUS), context_value=context)
    assert [format_error(error)["extensions"]["code"] for error in result.errors] == ["NOT_AUTHENTICATED"]
    assert broker.groups() == []
