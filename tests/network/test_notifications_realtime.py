"""``notificationAdded``: every open socket of the recipient hears of a new notification once it
is committed (never before, never after a rollback), loaded through the same selector as the
list, with the new unread count for the badge. In-memory channel layer, and Redis."""

from __future__ import annotations

import asyncio
import json

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.db import transaction
from django.utils import timezone
from graphql import parse

from accounts.models import User, VerificationStatus
from api.ws.broker import EventBroker
from api.ws.consumer import SocketContext
from api.ws.execution import subscribe
from common.realtime import user_group
from config.schema import schema
from network.models import Case, Comment, Notification, NotificationKind
from network.services import notifications as services
from network.services.connections import send_connection_request
from network.services.notifications import NOTIFICATION_ADDED_EVENT, notify
from tests.graphql.conftest import gid
from tests.network.test_notifications import CLINICAL_TEXT, comment_on, doctor_named, published_case
from tests.ws import conftest as ws_conftest
from tests.ws.conftest import (
    OUR_ORIGIN,
    initialise,
    publish_to_user,
    send,
    send_subscribe,
    session_cookie,
    settled,
)

pytestmark = pytest.mark.django_db(transaction=True)

# The fixtures of tests/ws: real ASGI sockets, a fresh in-memory layer per test, or Redis.
open_socket = ws_conftest.open_socket
redis_layer = ws_conftest.redis_layer
_fresh_channel_layer = ws_conftest._fresh_channel_layer

NOTIFICATION_ADDED = """subscription { notificationAdded {
    unreadCount
    notification {
        id kind title isRead caseId commentId
        actor { id fullName email phone facility { name province { name } } specialties { code name } }
    }
} }"""


class Rollback(Exception):
    """Raised to roll a transaction back on purpose."""


@pytest.fixture(params=["in-memory", "redis"])
def each_layer(request) -> None:
    if request.param == "redis":
        request.getfixturevalue("redis_layer")


@pytest.fixture
def recipient() -> User:
    return doctor_named("Lê Thị Hoa")


@pytest.fixture
def commenter() -> User:
    return doctor_named("Trần Minh")


async def subscribed_socket(open_socket, doctor: User, operation_id: str = "notifications"):
    """A socket of ``doctor``'s browser, subscribed to ``notificationAdded``."""
    cookie = await database_sync_to_async(session_cookie)(doctor)
    socket = await open_socket(headers=[(b"origin", OUR_ORIGIN), cookie])
    await initialise(socket)
    await send_subscribe(socket, operation_id, NOTIFICATION_ADDED)
    await settled(socket)
    return socket


def comment_and_notify(case: Case, commenter: User) -> Notification:
    """What the comment service does: the comment and the case author's notification, together."""
    comment = comment_on(case, commenter)
    notification = notify(
        case.author,
        NotificationKind.CASE_COMMENTED,
        "BS. Trần Minh đã bình luận ca bệnh của bạn",
        actor=commenter,
        comment=comment,
    )
    assert notification is not None
    return notification


async def listen_to_group(user: User) -> str:
    """A channel of our own in the user's group: sees what is published, whatever the sockets do."""
    layer = get_channel_layer()
    channel = await layer.new_channel()
    await layer.group_add(user_group(user.pk), channel)
    return channel


async def nothing_published_on(channel: str, timeout: float = 0.3) -> bool:
    try:
        await asyncio.wait_for(get_channel_layer().receive(channel), timeout)
    except TimeoutError:
        return True
    return False


async def test_every_socket_of_the_recipient_hears_once_committed_and_not_before(
    each_layer, open_socket, recipient, commenter
):
    case = await database_sync_to_async(published_case)(recipient)
    phone = await subscribed_socket(open_socket, recipient)
    browser = await subscribed_socket(open_socket, recipient)
    others = await subscribed_socket(open_socket, commenter)
    published = await listen_to_group(recipient)

    def comment_and_look_before_commit() -> tuple[Notification, list[bool]]:
        with transaction.atomic():
            notification = comment_and_notify(case, commenter)
            # Back on the event loop while the transaction is still open: nothing may be
            # published (the sockets alone could not tell: they load the notification from the
            # database, which waits for this thread).
            silent = [
                async_to_sync(nothing_published_on)(published),
                *(async_to_sync(socket.receive_nothing)(0.1) for socket in (phone, browser)),
            ]
        return notification, silent

    notification, silent_before_commit = await database_sync_to_async(comment_and_look_before_commit)()
    assert silent_before_commit == [True, True, True]
    event = (await get_channel_layer().receive(published))["event"]
    assert event == {
        "kind": NOTIFICATION_ADDED_EVENT,
        "notification_id": notification.pk,
        "recipient_id": recipient.pk,
    }
    expected = {
        "unreadCount": 1,
        "notification": {
            "id": gid("Notification", notification.public_id),
            "kind": "CASE_COMMENTED",
            "title": "BS. Trần Minh đã bình luận ca bệnh của bạn",
            "isRead": False,
            "caseId": gid("Case", case.public_id),
            "commentId": gid("Comment", notification.comment.public_id),
            "actor": {
                "id": gid("Doctor", commenter.public_id),
                "fullName": "Trần Minh",
                "email": None,  # private details: the doctor and verifiers only
                "phone": None,
                "facility": {"name": commenter.facility.name, "province": {"name": "Thành phố Hà Nội"}},
                "specialties": [{"code": "cardiology", "name": "Tim mạch"}],
            },
        },
    }
    for socket in (phone, browser):
        message = await socket.receive_json_from(timeout=5)
        assert message == {
            "id": "notifications",
            "type": "next",
            "payload": {"data": {"notificationAdded": expected}},
        }
        text = json.dumps(message, ensure_ascii=False).lower()
        assert not [clinical for clinical in CLINICAL_TEXT if clinical.lower() in text]
    assert await others.receive_nothing(0.3)


async def test_a_rolled_back_notification_is_never_announced(each_layer, open_socket, recipient, commenter):
    case = await database_sync_to_async(published_case)(recipient)
    socket = await subscribed_socket(open_socket, recipient)
    published = await listen_to_group(recipient)

    def comment_then_fail() -> None:
        with transaction.atomic():
            comment_and_notify(case, commenter)
            raise Rollback

    with pytest.raises(Rollback):
        await database_sync_to_async(comment_then_fail)()
    assert await nothing_published_on(published)
    assert await socket.receive_nothing(0.1)
    assert not await database_sync_to_async(Notification.objects.exists)()


async def test_the_unread_count_counts_what_the_list_shows(open_socket, recipient, commenter):
    case = await database_sync_to_async(published_case)(recipient)
    socket = await subscribed_socket(open_socket, recipient)
    for expected_count in (1, 2):
        await database_sync_to_async(comment_and_notify)(case, commenter)
        message = await socket.receive_json_from(timeout=5)
        assert message["payload"]["data"]["notificationAdded"]["unreadCount"] == expected_count


async def test_a_muted_kind_or_a_case_the_recipient_may_not_see_is_never_announced(
    open_socket, recipient, commenter
):
    socket = await subscribed_socket(open_socket, recipient)
    private = await database_sync_to_async(published_case)(commenter, visibility=Case.Visibility.NAMED)

    def notify_what_is_not_sent() -> bool:
        services.mute_kind(recipient, NotificationKind.CONNECTION_REQUESTED)
        muted = notify(recipient, NotificationKind.CONNECTION_REQUESTED, "Kết nối", actor=commenter)
        invisible = notify(
            recipient, NotificationKind.MENTIONED, "Nhắc đến bạn", actor=commenter, case=private
        )
        return muted is None and invisible is None and not Notification.objects.exists()

    assert await database_sync_to_async(notify_what_is_not_sent)()
    assert await socket.receive_nothing(0.3)


async def test_an_event_the_recipient_may_no_longer_see_is_skipped_and_the_next_one_arrives(
    open_socket, recipient, commenter
):
    """The event names only an id; the notification is loaded through the list's selector, so
    one about a case hidden in the meantime (or not the recipient's at all) is not delivered."""
    case = await database_sync_to_async(published_case)(recipient)
    others_case = await database_sync_to_async(published_case)(commenter)
    socket = await subscribed_socket(open_socket, recipient)

    def hidden_and_foreign() -> tuple[Notification, Notification]:
        about_hidden = comment_and_notify(case, commenter)
        Case.objects.filter(pk=case.pk).update(hidden_at=timezone.now())
        foreign = comment_and_notify(others_case, recipient)  # the commenter's notification
        return about_hidden, foreign

    about_hidden, foreign = await database_sync_to_async(hidden_and_foreign)()
    # The first was announced before the case was hidden; by delivery time it is not shown.
    assert await socket.receive_nothing(0.3)
    for notification in (about_hidden, foreign):
        await publish_to_user(
            recipient, {"kind": NOTIFICATION_ADDED_EVENT, "notification_id": notification.pk}
        )
    await publish_to_user(recipient, {"kind": NOTIFICATION_ADDED_EVENT, "notification_id": "not an id"})
    assert await socket.receive_nothing(0.3)

    visible_case = await database_sync_to_async(published_case)(recipient)
    shown = await database_sync_to_async(comment_and_notify)(visible_case, commenter)
    message = await socket.receive_json_from(timeout=5)
    added = message["payload"]["data"]["notificationAdded"]
    assert added["notification"]["id"] == gid("Notification", shown.public_id)
    assert added["unreadCount"] == 1


async def test_a_doctor_no_longer_verified_hears_nothing_until_verified_again(
    open_socket, recipient, commenter
):
    """Anyone but a verified doctor simply has no notifications: the subscription is accepted
    and stays silent. The recipient is read afresh for each event, not as the socket saw them."""
    socket = await subscribed_socket(open_socket, recipient)

    def set_status(status: str) -> None:
        User.objects.filter(pk=recipient.pk).update(verification_status=status)

    def mention() -> Notification:
        notification = notify(recipient, NotificationKind.MENTIONED, "Nhắc đến bạn", actor=commenter)
        assert notification is not None
        return notification

    await database_sync_to_async(set_status)(VerificationStatus.REVOKED)
    await database_sync_to_async(mention)()
    assert await socket.receive_nothing(0.3)

    await database_sync_to_async(set_status)(VerificationStatus.VERIFIED)
    second = await database_sync_to_async(mention)()
    message = await socket.receive_json_from(timeout=5)
    added = message["payload"]["data"]["notificationAdded"]
    assert added["notification"]["id"] == gid("Notification", second.public_id)
    assert added["unreadCount"] == 2  # the first is shown again too


async def test_a_completed_subscription_hears_nothing_more(open_socket, recipient, commenter):
    socket = await subscribed_socket(open_socket, recipient)
    await send(socket, {"id": "notifications", "type": "complete"})
    await settled(socket)
    await database_sync_to_async(notify)(
        recipient, NotificationKind.MENTIONED, "Nhắc đến bạn", actor=commenter
    )
    assert await socket.receive_nothing(0.3)


async def test_the_group_is_joined_before_the_resolver_returns_and_left_when_it_ends(recipient, commenter):
    """Without a socket: the stream exists and nothing has iterated it yet when the notification
    is committed; it must still be delivered. Closing the stream leaves the group."""
    broker = EventBroker(get_channel_layer())
    context = SocketContext(user=recipient, broker=broker, scope={})
    stream = await subscribe(schema.graphql_schema, parse(NOTIFICATION_ADDED), context_value=context)
    try:
        notification = await database_sync_to_async(notify)(
            recipient, NotificationKind.MENTIONED, "Nhắc đến bạn", actor=commenter
        )
        result = await asyncio.wait_for(stream.__anext__(), timeout=1)
        assert result.errors is None
        assert result.data["notificationAdded"]["notification"]["id"] == gid(
            "Notification", notification.public_id
        )
    finally:
        await stream.aclose()
    assert broker.groups() == []
    await broker.close()


async def test_a_reply_reaches_the_commenter_on_all_their_sockets_through_redis(
    redis_layer, open_socket, recipient, commenter
):
    case = await database_sync_to_async(published_case)(commenter)
    sockets = [await subscribed_socket(open_socket, recipient) for _ in range(2)]

    def reply() -> Notification:
        parent = comment_on(case, recipient)
        answer = Comment.objects.create(case=case, author=commenter, parent=parent, body="Đồng ý")
        notification = notify(
            recipient,
            NotificationKind.COMMENT_REPLIED,
            "BS. Trần Minh đã trả lời bạn",
            actor=commenter,
            comment=answer,
        )
        assert notification is not None
        return notification

    notification = await database_sync_to_async(reply)()
    for socket in sockets:
        message = await socket.receive_json_from(timeout=5)
        assert message["payload"]["data"]["notificationAdded"]["notification"]["id"] == gid(
            "Notification", notification.public_id
        )


async def test_a_connection_request_reaches_every_socket_of_the_recipient(open_socket, recipient, commenter):
    """Through the connections service, as the mutation calls it."""
    sockets = [await subscribed_socket(open_socket, recipient) for _ in range(2)]
    senders_socket = await subscribed_socket(open_socket, commenter)

    request = await database_sync_to_async(send_connection_request)(commenter, recipient.pk, "Chào chị")

    for socket in sockets:
        message = await socket.receive_json_from(timeout=5)
        added = message["payload"]["data"]["notificationAdded"]
        assert added["unreadCount"] == 1
        assert added["notification"]["kind"] == "CONNECTION_REQUESTED"
        assert added["notification"]["actor"]["id"] == gid("Doctor", commenter.public_id)
    assert await senders_socket.receive_nothing(0.3)
    assert request.recipient_id == recipient.pk
