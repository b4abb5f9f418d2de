"""A referral step reaches the other side's badge live: ``notificationAdded`` (the event the
badge listens to) is published once the step commits, never before, with the referral."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.db import transaction

from network.models import Notification
from network.services.notifications import NOTIFICATION_ADDED_EVENT
from referrals.models import Referral
from referrals.services import referrals as services
from tests.graphql.conftest import gid
from tests.network.test_notifications_realtime import listen_to_group, nothing_published_on
from tests.referrals.conftest import published_case, refer
from tests.ws import conftest as ws_conftest
from tests.ws.conftest import OUR_ORIGIN, initialise, send_subscribe, session_cookie, settled

pytestmark = pytest.mark.django_db(transaction=True)

# The fixtures of tests/ws: real ASGI sockets, a fresh in-memory layer per test.
open_socket = ws_conftest.open_socket
_fresh_channel_layer = ws_conftest._fresh_channel_layer

NOTIFICATION_ADDED = """subscription { notificationAdded {
    unreadCount
    notification { id kind referral { id status } }
} }"""


async def subscribed_socket(open_socket, doctor):
    cookie = await database_sync_to_async(session_cookie)(doctor)
    socket = await open_socket(headers=[(b"origin", OUR_ORIGIN), cookie])
    await initialise(socket)
    await send_subscribe(socket, "notifications", NOTIFICATION_ADDED)
    await settled(socket)
    return socket


async def test_the_consultants_badge_hears_of_a_referral_once_it_is_committed(
    open_socket, requester, consultant
):
    case = await database_sync_to_async(published_case)(requester)
    consultants = await subscribed_socket(open_socket, consultant)
    requesters = await subscribed_socket(open_socket, requester)
    published = await listen_to_group(consultant)

    def refer_and_look_before_commit() -> tuple[Referral, bool]:
        with transaction.atomic():
            referral = refer(requester, case, consultant)
            silent = async_to_sync(nothing_published_on)(published)
        return referral, silent

    referral, silent_before_commit = await database_sync_to_async(refer_and_look_before_commit)()
    assert silent_before_commit
    notification = await database_sync_to_async(Notification.objects.get)(recipient=consultant)
    event = (await get_channel_layer().receive(published))["event"]
    assert event == {
        "kind": NOTIFICATION_ADDED_EVENT,
        "notification_id": notification.pk,
        "recipient_id": consultant.pk,
    }
    message = await consultants.receive_json_from(timeout=5)
    assert message["payload"]["data"]["notificationAdded"] == {
        "unreadCount": 1,
        "notification": {
            "id": gid("Notification", notification.public_id),
            "kind": "REFERRAL_REQUESTED",
            "referral": {"id": gid("Referral", referral.public_id), "status": "REQUESTED"},
        },
    }
    assert await requesters.receive_nothing(0.3)

    await database_sync_to_async(services.accept_referral)(consultant, referral.public_id)
    message = await requesters.receive_json_from(timeout=5)
    added = message["payload"]["data"]["notificationAdded"]
    assert (added["notification"]["kind"], added["notification"]["referral"]["status"]) == (
        "REFERRAL_ACCEPTED",
        "ACCEPTED",
    )
    assert await consultants.receive_nothing(0.3)
