"""The chat's server-rendered pages: the messages page (rooms with unread counts), a room, and
the chat panel of a case page. Thin adapters over ``chat.selectors`` and ``chat.services``.

Pages render the latest messages; ``static/chat/chat.js`` then keeps the room live over the
``graphql-transport-ws`` socket, with the same operations a mobile app uses
(docs/realtime-protocol.md, docs/chat-web.md).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.models import User
from accounts.services import is_verified_doctor
from chat import services
from chat.models import Room
from chat.schema import Room as RoomNode
from chat.selectors.messages import MessagePage, message_page
from chat.selectors.rooms import room_for, room_list, room_title, rooms_of, with_room_data
from common.errors import ServiceError
from network.models import Case
from network.web import _case_key, perform, verified_doctor_page

ROOMS_PAGE_SIZE = 30
MESSAGES_SHOWN = 50


@dataclass(frozen=True)
class RoomView:
    """A room as a page shows it: its messages and what the live client needs to carry on."""

    room: Room
    title: str
    page: MessagePage

    @property
    def global_id(self) -> str:
        return RoomNode.global_id(self.room)

    @property
    def shown_seq(self) -> int:
        """The highest seq on the page: the client catches up after it."""
        return self.page.messages[-1].seq if self.page.messages else 0


def room_view(doctor: User, room: Room) -> RoomView:
    return RoomView(room, room_title(room, doctor.pk), message_page(doctor, room.pk, first=MESSAGES_SHOWN))


def _usable_room(doctor: User, room_id: uuid.UUID) -> Room:
    """The room, with what titles need, if the doctor joined it and may use it; else 404."""
    room_pk = Room.objects.filter(public_id=room_id).values_list("pk", flat=True).first()
    if room_pk is None:
        raise Http404
    try:
        return room_for(doctor, room_pk)  # the one-room access check, not the list's union
    except ServiceError:
        raise Http404 from None


@require_GET
@verified_doctor_page
def messages_page(request: HttpRequest, doctor: User) -> HttpResponse:
    rooms = Paginator(room_list(doctor), ROOMS_PAGE_SIZE).get_page(request.GET.get("page"))
    listed = [(room, room_title(room, doctor.pk)) for room in rooms]
    return render(request, "chat/messages.html", {"rooms": rooms, "listed": listed})


@require_GET
@verified_doctor_page
def room_page(request: HttpRequest, doctor: User, room_id: uuid.UUID) -> HttpResponse:
    view = room_view(doctor, _usable_room(doctor, room_id))
    return render(request, "chat/room.html", {"chat": view})


@require_POST
@verified_doctor_page
def join_case_room(request: HttpRequest, doctor: User, case_id: uuid.UUID) -> HttpResponse:
    case_key = _case_key(doctor, case_id)
    perform(request, lambda: services.open_case_room(doctor, case_key), _("You joined the discussion."))
    return redirect(reverse("network:case", args=[case_id]) + "#chat")


def case_panel(viewer: Any, case: Case) -> dict[str, Any]:
    """What the chat panel of a case page shows the viewer: the live room once they joined it,
    else the button to join (only for verified doctors who can see the published case)."""
    if not is_verified_doctor(viewer) or case.published_at is None:
        return {"case": case, "chat": None, "may_join": False}
    room = with_room_data(rooms_of(viewer).filter(kind=Room.Kind.CASE, case_id=case.pk), viewer).first()
    chat = room_view(viewer, room) if room is not None else None
    return {"case": case, "chat": chat, "may_join": True, "viewer_id": viewer.pk}
