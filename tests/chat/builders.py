"""Builders and documents shared by the chat tests (this module holds no tests itself)."""

from __future__ import annotations

import itertools
from typing import Any

from accounts.models import User
from chat import services
from chat.models import Room
from chat.schema import Message as MessageNode
from chat.schema import Room as RoomNode
from facilities.models import Tier
from network.models import Case
from tests import factories
from tests.network.test_cases_builders import connect, published_case

BODY = "Nên làm lại hs-troponin sau 3 giờ"
_ids = itertools.count(1)

MESSAGE_FIELDS = "id seq roomId body sender { id fullName } sentAt editedAt deleted clientMessageId"
SEND = f"""
mutation Send($input: SendMessageInput!) {{
  sendMessage(input: $input) {{
    message {{ {MESSAGE_FIELDS} }}
    delivery
    errors {{ field code message spans {{ start end kind text }} }}
  }}
}}"""
MESSAGES = f"""
query Messages($roomId: ID!, $after: Int, $before: Int, $first: Int) {{
  messages(roomId: $roomId, after: $after, before: $before, first: $first) {{
    messages {{ {MESSAGE_FIELDS} }}
    hasMore lastSeq
  }}
}}"""
ROOM_EVENTS = """
subscription Events($roomId: ID!) {
  roomEvents(roomId: $roomId) {
    kind roomId seq occurredAt
    message { id seq body deleted sender { fullName facility { name } specialties { code } } }
    doctor { fullName }
  }
}"""


def client_id() -> str:
    return f"client-{next(_ids)}"


def connected_pair() -> tuple[User, User]:
    first, second = factories.doctor(), factories.doctor()
    connect(first, second)
    return first, second


def direct_room() -> tuple[Room, User, User]:
    first, second = connected_pair()
    return services.open_direct_room(first, second.pk), first, second


def case_room(author: User | None = None, *members: User, **case_options: Any) -> tuple[Room, Case]:
    """A case's room, joined by its author and ``members``."""
    author = author or factories.doctor()
    case = published_case(author, **case_options)
    room = services.open_case_room(author, case.pk)
    for member in members:
        services.open_case_room(member, case.pk)
    return room, case


def mentee() -> User:
    """A doctor the default quota policy lets a central-tier doctor (the default) mentor."""
    return factories.doctor(tier=Tier.PROVINCIAL)


def send(
    sender: User, room: Room, body: str = BODY, client_message_id: str | None = None
) -> services.SentMessage:
    return services.send_message(sender, room.pk, body, client_message_id or client_id())


def room_gid(room: Room) -> str:
    return RoomNode.global_id(room)


def message_gid(message: Any) -> str:
    return MessageNode.global_id(message)
