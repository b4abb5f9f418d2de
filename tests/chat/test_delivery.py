"""Persist before broadcast, and say when the broadcast failed: with the channel layer's Redis
unreachable, a send is still stored and acknowledged, flagged ``DEGRADED``; receivers catch up
from the database."""

from __future__ import annotations

import uuid

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from chat.events import room_group
from chat.models import Message
from chat.selectors.messages import message_page
from common.realtime import EVENT_MESSAGE_TYPE, Delivery, publish
from config.channel_layers import redis_channel_layer
from tests.chat.builders import SEND, client_id, direct_room, room_gid, send
from tests.conftest import free_port
from tests.graphql.conftest import post_graphql

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def redis_down(settings) -> None:
    """The production channel layer, pointed at a Redis that is not running."""
    settings.CHANNEL_LAYERS = {
        "default": redis_channel_layer(f"redis://127.0.0.1:{free_port()}/0", "test-down")
    }


@pytest.fixture
def redis_up(settings, redis_url) -> None:
    settings.CHANNEL_LAYERS = {
        "default": redis_channel_layer(redis_url, f"test-chat-{uuid.uuid4().hex[:12]}")
    }


def test_with_redis_down_a_send_is_stored_and_acknowledged_degraded(redis_down):
    room, first, second = direct_room()
    sent = send(first, room)
    assert sent.created and sent.delivery == Delivery.DEGRADED
    assert Message.objects.get(pk=sent.message.pk).seq == 1
    # A receiver catching up finds it.
    assert [m.pk for m in message_page(second, room.pk, after=0).messages] == [sent.message.pk]


def test_with_redis_down_the_http_ack_says_degraded(redis_down, client):
    room, first, _second = direct_room()
    client.force_login(first)
    variables = {
        "input": {"roomId": room_gid(room), "body": "Hội chẩn lúc 14 giờ", "clientMessageId": client_id()}
    }
    payload = post_graphql(client, SEND, variables)["data"]["sendMessage"]
    assert (payload["errors"], payload["delivery"], payload["message"]["seq"]) == ([], "DEGRADED", 1)


def test_with_redis_up_the_event_is_published_after_the_commit(redis_up):
    room, first, _second = direct_room()
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(room_group(room.pk), channel)
    sent = send(first, room)
    assert sent.delivery == Delivery.DELIVERED
    message = async_to_sync(layer.receive)(channel)
    assert message["type"] == EVENT_MESSAGE_TYPE
    assert (message["event"]["message_id"], message["event"]["seq"]) == (sent.message.pk, 1)


def test_publish_inside_a_transaction_waits_for_the_commit(redis_up):
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)("chat.room.0", channel)
    with transaction.atomic():
        assert publish("chat.room.0", {"kind": "probe"}) == Delivery.DELIVERED
        assert len(transaction.get_connection().run_on_commit) == 1  # held until the commit
    assert async_to_sync(layer.receive)(channel)["event"] == {"kind": "probe"}
