"""A socket may outlive what its user was allowed when it opened: every operation is checked
against the user as the database has them now, through the session that opened the socket."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import Permission
from django.test import Client

from accounts import services
from accounts.models import User, VerificationStatus
from api.ws.protocol import SUBPROTOCOL
from config.asgi import application
from tests import factories
from tests.graphql.conftest import app_login, gid
from tests.ws.conftest import initialise, receive_close, send_subscribe, with_email

pytestmark = pytest.mark.django_db(transaction=True)

REVIEW = """mutation ($id: ID!) { reviewVerification(submissionId: $id, approve: true) {
    errors { code } } }"""
UPDATE = 'mutation { updateProfile(input: {position: "Trưởng khoa"}) { errors { code } } }'


def verifier_token(verifier: User, secret: str) -> str:
    """Sign a verifier in through the app API: password, then the authenticator-app code."""
    client = Client()
    response = client.post(
        "/_allauth/app/v1/auth/login",
        {"email": verifier.email, "password": factories.PASSWORD},
        content_type="application/json",
    )
    pending = response.json()["meta"]["session_token"]
    response = client.post(
        "/_allauth/app/v1/auth/2fa/authenticate",
        {"code": factories.totp_code(secret)},
        content_type="application/json",
        headers={"X-Session-Token": pending},
    )
    assert response.status_code == 200, response.content
    return response.json()["meta"]["session_token"]


async def test_a_demoted_verifier_cannot_review_on_a_socket_opened_before(open_socket):
    verifier = await database_sync_to_async(lambda: with_email(factories.verifier(totp=False)))()
    secret = await database_sync_to_async(factories.activate_totp)(verifier)
    token = await database_sync_to_async(verifier_token)(verifier, secret)
    applicant = await database_sync_to_async(factories.doctor)(status=VerificationStatus.PENDING)
    submission = await database_sync_to_async(lambda: applicant.licence_submissions.get())()
    socket = await open_socket()
    await initialise(socket, {"sessionToken": token})
    await send_subscribe(socket, "queue", "{ pendingLicenceSubmissions(first: 1) { edges { node { id } } } }")
    assert (await socket.receive_json_from())["type"] == "next"  # permissions now looked up once
    assert (await socket.receive_json_from())["type"] == "complete"

    def demote() -> None:
        verifier.user_permissions.remove(Permission.objects.get(codename="verify_doctor"))

    await database_sync_to_async(demote)()
    await send_subscribe(socket, "review", REVIEW, {"id": gid("LicenceSubmission", submission.pk)})
    reply = await socket.receive_json_from()
    assert reply["payload"]["data"]["reviewVerification"]["errors"] == [{"code": "PERMISSION_DENIED"}]
    status = await database_sync_to_async(lambda: User.objects.get(pk=applicant.pk).verification_status)()
    assert status == VerificationStatus.PENDING


async def test_a_deactivated_users_socket_is_closed_at_their_next_operation(open_socket):
    doctor = await database_sync_to_async(lambda: with_email(factories.doctor()))()
    token = await database_sync_to_async(app_login)(Client(), doctor)
    socket = await open_socket()
    await initialise(socket, {"sessionToken": token})
    await database_sync_to_async(User.objects.filter(pk=doctor.pk).update)(is_active=False)

    await send_subscribe(socket, "me", "{ me { id } }")
    assert await receive_close(socket) == (4403, "Session ended")


async def test_a_profile_edit_on_an_old_socket_does_not_undo_a_revocation(open_socket):
    doctor = await database_sync_to_async(lambda: with_email(factories.doctor()))()
    verifier = await database_sync_to_async(factories.verifier)()
    token = await database_sync_to_async(app_login)(Client(), doctor)
    socket = await open_socket()
    await initialise(socket, {"sessionToken": token})
    await database_sync_to_async(services.revoke_verification)(verifier, doctor.pk, reason="Thu hồi")

    await send_subscribe(socket, "edit", UPDATE)
    reply = await socket.receive_json_from()
    assert reply["payload"]["data"]["updateProfile"]["errors"] == []
    fresh = await database_sync_to_async(User.objects.get)(pk=doctor.pk)
    assert (fresh.verification_status, fresh.position) == (VerificationStatus.REVOKED, "Trưởng khoa")


def test_a_stale_copy_of_the_user_saves_only_the_profile_fields(verified_doctor, verifier):
    stale = User.objects.get(pk=verified_doctor.pk)
    services.revoke_verification(verifier, verified_doctor.pk, reason="Thu hồi")
    services.update_profile(stale, bio="Tim mạch")
    assert User.objects.get(pk=verified_doctor.pk).verification_status == VerificationStatus.REVOKED


@pytest.mark.parametrize("host", [b"evil.example", b"testserver.evil.example"])
async def test_a_handshake_for_a_foreign_host_is_refused(host):
    communicator = WebsocketCommunicator(
        application, "/graphql/", headers=[(b"host", host)], subprotocols=[SUBPROTOCOL]
    )
    connected, _ = await communicator.connect()
    assert not connected
    await communicator.disconnect()
