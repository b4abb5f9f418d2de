"""The graphql-transport-ws protocol as the graphql-ws JS client expects it (docs/realtime-protocol.md)."""

from __future__ import annotations

import asyncio
import json

import pytest
from channels.db import database_sync_to_async

from accounts.models import VerificationStatus
from api import documents
from audit.models import AuditEvent
from tests import factories
from tests.graphql.conftest import gid
from tests.ws.conftest import (
    OUR_ORIGIN,
    VERIFICATION_STATUS,
    announce_status,
    initialise,
    receive_close,
    send,
    send_subscribe,
    session_cookie,
    settled,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def doctor_cookie(verified_doctor):
    return session_cookie(verified_doctor)


@pytest.fixture
async def ready(open_socket, doctor_cookie):
    """A socket of a verified doctor, past connection_ack."""
    communicator = await open_socket(headers=[(b"origin", OUR_ORIGIN), doctor_cookie])
    await initialise(communicator)
    return communicator


# --- Connection ----------------------------------------------------------------------------


async def test_no_connection_init_in_time_closes_with_4408(open_socket, settings):
    settings.GRAPHQL_WS_CONNECTION_INIT_TIMEOUT = 0.1
    communicator = await open_socket()
    assert await receive_close(communicator) == (4408, "Connection initialisation timeout")


async def test_a_connection_init_in_time_keeps_the_socket_open(open_socket, doctor_cookie, settings):
    settings.GRAPHQL_WS_CONNECTION_INIT_TIMEOUT = 0.1
    communicator = await open_socket(headers=[(b"origin", OUR_ORIGIN), doctor_cookie])
    await initialise(communicator)
    await asyncio.sleep(0.2)
    await settled(communicator)


async def test_a_second_connection_init_closes_with_4429(ready):
    await send(ready, {"type": "connection_init"})
    assert await receive_close(ready) == (4429, "Too many initialisation requests")


async def test_subscribing_before_connection_ack_closes_with_4401(open_socket):
    communicator = await open_socket()
    await send_subscribe(communicator, "1", VERIFICATION_STATUS)
    assert await receive_close(communicator) == (4401, "Unauthorized")


async def test_ping_is_answered_with_pong_echoing_its_payload_even_before_init(open_socket):
    communicator = await open_socket()
    await send(communicator, {"type": "ping"})
    assert await communicator.receive_json_from() == {"type": "pong"}
    await send(communicator, {"type": "ping", "payload": {"sentAt": 1766000000}})
    assert await communicator.receive_json_from() == {"type": "pong", "payload": {"sentAt": 1766000000}}


async def test_a_pong_from_the_client_is_accepted_silently(ready):
    await send(ready, {"type": "pong", "payload": {"n": 1}})
    assert await ready.receive_nothing(0.1)
    await settled(ready)


@pytest.mark.parametrize(
    ("frame", "reason"),
    [
        ("{not json", "Invalid message: not JSON"),
        ('["connection_init"]', "Invalid message: no type"),
        ('{"type": "start", "id": "1"}', "Invalid message type: start"),
        ('{"type": "ping", "payload": "hello"}', "Invalid message: payload must be an object"),
        ('{"type": "subscribe", "id": "1", "payload": {"query": 42}}', "Invalid subscribe message"),
        (
            '{"type": "subscribe", "id": "1", "payload": {"query": "{ me { id } }", "variables": []}}',
            "Invalid subscribe message",
        ),
        ('{"type": "subscribe", "payload": {"query": "{ me { id } }"}}', "Invalid message: no operation id"),
        ('{"type": "complete"}', "Invalid message: no operation id"),
    ],
)
async def test_a_malformed_message_closes_with_4400(ready, frame, reason):
    await ready.send_to(text_data=frame)
    assert await receive_close(ready) == (4400, reason)


async def test_a_binary_frame_closes_with_4400(ready):
    await ready.send_to(bytes_data=b"\x00\x01")
    assert await receive_close(ready) == (4400, "Binary messages are not supported")


def ping_frame(note: str) -> str:
    return json.dumps({"type": "ping", "payload": {"note": note}}, ensure_ascii=False)


async def test_a_message_over_the_size_limit_closes_with_4400(ready, settings):
    settings.WEBSOCKET_MAX_MESSAGE_BYTES = 1024
    await ready.send_to(text_data=ping_frame("Đ" * 400))  # 838 bytes
    assert (await ready.receive_json_from())["type"] == "pong"
    frame = ping_frame("Đ" * 600)  # the limit is in bytes: 638 characters, 1,238 bytes
    assert len(frame) < 1024 < len(frame.encode())
    await ready.send_to(text_data=frame)
    assert await receive_close(ready) == (4400, "Message too large")


# --- Operations ----------------------------------------------------------------------------


async def test_a_duplicate_subscription_id_closes_with_4409(ready):
    await send_subscribe(ready, "status", VERIFICATION_STATUS)
    await send_subscribe(ready, "status", VERIFICATION_STATUS)
    assert await receive_close(ready) == (4409, "Subscriber for status already exists")


async def test_complete_from_the_client_stops_the_subscription_and_frees_its_id(ready, verified_doctor):
    await send_subscribe(ready, "status", VERIFICATION_STATUS)
    await send(ready, {"id": "status", "type": "complete"})
    await settled(ready)
    await announce_status(verified_doctor, "revoked")
    assert await ready.receive_nothing(0.2)  # no next, and no complete for a client-completed id

    await send_subscribe(ready, "status", VERIFICATION_STATUS)  # the id is free again
    await settled(ready)
    await announce_status(verified_doctor, "revoked")
    message = await ready.receive_json_from()
    assert (message["id"], message["type"]) == ("status", "next")
    assert message["payload"]["data"]["myVerificationStatus"]["status"] == "REVOKED"


async def test_a_query_over_the_socket_answers_next_then_complete(ready, verified_doctor):
    await send_subscribe(ready, "q1", "query Me { me { fullName verificationStatus } }")
    assert await ready.receive_json_from() == {
        "id": "q1",
        "type": "next",
        "payload": {
            "data": {"me": {"fullName": verified_doctor.full_name, "verificationStatus": "VERIFIED"}}
        },
    }
    assert await ready.receive_json_from() == {"id": "q1", "type": "complete"}


async def test_absolute_urls_over_the_socket_use_the_handshake_host(ready, verified_doctor):
    verified_doctor.avatar.name = "avatars/ha.png"
    await database_sync_to_async(verified_doctor.save)(update_fields=["avatar"])
    await send_subscribe(ready, "q1", "{ me { avatarUrl } }")
    message = await ready.receive_json_from()
    assert message["payload"] == {"data": {"me": {"avatarUrl": "http://testserver/media/avatars/ha.png"}}}


async def test_a_mutation_over_the_socket_runs_the_service_and_audits_the_clients_address(
    open_socket, verifier
):
    doctor = await database_sync_to_async(factories.doctor)(status=VerificationStatus.PENDING)
    submission = await database_sync_to_async(doctor.licence_submissions.get)()
    cookie = await database_sync_to_async(session_cookie)(verifier)
    communicator = await open_socket(headers=[(b"origin", OUR_ORIGIN), cookie], client=("203.0.113.7", 50123))
    await initialise(communicator)
    mutation = """
        mutation Review($id: ID!) {
          reviewVerification(submissionId: $id, approve: true) { submission { status } errors { code } }
        }
    """
    await send_subscribe(communicator, "m1", mutation, {"id": gid("LicenceSubmission", submission.pk)})
    message = await communicator.receive_json_from()
    assert message["payload"]["data"]["reviewVerification"] == {
        "submission": {"status": "VERIFIED"},
        "errors": [],
    }
    assert await communicator.receive_json_from() == {"id": "m1", "type": "complete"}
    audit = await database_sync_to_async(AuditEvent.objects.get)(action="licence.verified")
    assert audit.ip_address == "203.0.113.7"


async def test_validation_errors_answer_an_error_message_without_complete(ready):
    await send_subscribe(ready, "bad", "subscription { myVerificationStatus { status noSuchField } }")
    message = await ready.receive_json_from()
    assert (message["id"], message["type"]) == ("bad", "error")
    assert "noSuchField" in message["payload"][0]["message"]
    assert await ready.receive_nothing(0.1)


async def test_a_document_is_validated_once_and_its_variables_on_every_operation(ready, validations):
    # The socket shares the HTTP endpoint's cache of validated documents (api.documents).
    documents.documents.clear()
    page = "query ($n: Int) { facilities(first: $n) { totalCount } }"
    for operation in ("a", "b"):
        await send_subscribe(ready, operation, page, {"n": 5})
        answer = await ready.receive_json_from()
        assert (answer["type"], "errors" in answer["payload"]) == ("next", False)
        assert await ready.receive_json_from() == {"id": operation, "type": "complete"}
    await send_subscribe(ready, "c", page, {"n": 101})
    message = await ready.receive_json_from()
    assert (message["type"], message["payload"][0]["extensions"]["code"]) == (
        "error",
        "PAGE_SIZE_OUT_OF_RANGE",
    )
    assert validations == [page]


async def test_the_depth_limit_applies_to_subscription_documents(ready, settings):
    settings.GRAPHQL_MAX_DEPTH = 1
    await send_subscribe(ready, "deep", VERIFICATION_STATUS)
    message = await ready.receive_json_from()
    assert message["type"] == "error"
    assert [error["extensions"]["code"] for error in message["payload"]] == ["QUERY_TOO_DEEP"]


async def test_the_alias_limit_applies_to_socket_documents(ready, settings):
    settings.GRAPHQL_MAX_ALIASES = 2
    await send_subscribe(ready, "aliases", "{ a: me { fullName } b: me { fullName } c: me { fullName } }")
    message = await ready.receive_json_from()
    assert message["type"] == "error"
    assert [error["extensions"]["code"] for error in message["payload"]] == ["TOO_MANY_ALIASES"]


async def test_an_unknown_operation_name_is_an_error(ready):
    await send(
        ready,
        {"id": "x", "type": "subscribe", "payload": {"query": "query A { me { id } }", "operationName": "B"}},
    )
    message = await ready.receive_json_from()
    assert message == {"id": "x", "type": "error", "payload": [{"message": "Unknown operation named 'B'."}]}


async def test_operations_per_socket_are_capped(ready, settings):
    settings.GRAPHQL_WS_MAX_SUBSCRIPTIONS = 2
    await send_subscribe(ready, "s1", VERIFICATION_STATUS)
    await send_subscribe(ready, "s2", VERIFICATION_STATUS)
    await send_subscribe(ready, "s3", VERIFICATION_STATUS)
    message = await ready.receive_json_from()
    assert (message["id"], message["type"]) == ("s3", "error")
    assert message["payload"][0]["extensions"]["code"] == "TOO_MANY_OPERATIONS"

    await send(ready, {"id": "s1", "type": "complete"})
    await send_subscribe(ready, "s3", VERIFICATION_STATUS)
    await settled(ready)
    assert await ready.receive_nothing(0.1)  # accepted: no error
