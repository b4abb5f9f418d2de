"""Messages of a room, by ``seq``: catching up after a seq, scrolling back before one."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from chat.errors import ChatErrorCode
from chat.models import Message
from chat.selectors.cards import with_message_data
from chat.selectors.rooms import Viewer, rooms_of, usable_room
from common.errors import ServiceError

MAX_PAGE = 100


@dataclass(frozen=True)
class MessagePage:
    messages: list[Message]  # oldest first
    has_more: bool  # more messages lie beyond the page, in the direction paged
    last_seq: int  # the room's latest seq, to spot what is still missing


def messages_visible_to(viewer: Viewer) -> QuerySet[Message]:
    """Messages of the rooms the viewer may use (node lookups, payloads)."""
    return Message.objects.filter(room__in=rooms_of(viewer))


def message_page(
    viewer: Viewer, room_id: int, *, after: int | None = None, before: int | None = None, first: int = 50
) -> MessagePage:
    """Up to ``first`` messages, oldest first: just after ``after`` (catch-up; with ``before``
    too, within that range), else just before ``before`` (scrolling back), else the latest."""
    if not 1 <= first <= MAX_PAGE:
        raise ServiceError(
            ChatErrorCode.INVALID, _("Ask for 1 to %(max)d messages.") % {"max": MAX_PAGE}, "first"
        )
    room = usable_room(viewer, room_id)
    messages = Message.objects.filter(room_id=room.pk)
    if after is not None:
        messages = messages.filter(seq__gt=after)
    if before is not None:
        messages = messages.filter(seq__lt=before)
    newest_first = after is None
    ordered = with_message_data(messages).order_by("-seq" if newest_first else "seq")
    rows = list(ordered[: first + 1])
    page = rows[:first]
    if newest_first:
        page.reverse()
    return MessagePage(messages=page, has_more=len(rows) > first, last_seq=room.last_seq)
