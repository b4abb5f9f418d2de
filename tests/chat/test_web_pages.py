"""The chat's web pages (chat.web): the messages page, a room, and the case page's panel."""

from __future__ import annotations

import uuid

import pytest
from django.test import Client

from chat import services
from chat.models import Room, RoomMember
from chat.schema import Room as RoomNode
from tests import factories
from tests.network.test_cases_builders import published_case

pytestmark = pytest.mark.django_db


def signed_in(doctor) -> Client:
    client = Client()
    client.force_login(doctor)
    return client


def post(room: Room, sender, body: str) -> None:
    services.send_message(sender, room.pk, body, str(uuid.uuid4()))


@pytest.fixture
def discussion():
    """A case room of two doctors, with three messages from the author."""
    author, reader = factories.doctor(full_name="Trần Thị Hồng"), factories.doctor(full_name="Lê Văn Minh")
    case = published_case(author)
    room = services.open_case_room(author, case.pk)
    services.open_case_room(reader, case.pk)
    for n in range(3):
        post(room, author, f"Ý kiến số {n}")
    return case, room, author, reader


def test_the_messages_page_lists_rooms_with_unread_counts_and_the_last_message(discussion):
    case, room, author, reader = discussion
    page = signed_in(reader).get("/chat/")
    assert page.status_code == 200
    html = page.content.decode()
    assert case.title in html
    assert f'href="/chat/rooms/{room.public_id}/"' in html
    assert '<span class="badge chat-unread"' in html and ">3</span>" in html
    assert "Ý kiến số 2" in html
    # The author's own messages are not unread to them.
    assert '<span class="badge chat-unread"' not in signed_in(author).get("/chat/").content.decode()


@pytest.mark.parametrize("rooms", [2, 8])
def test_the_messages_page_costs_the_same_queries_for_more_rooms(rooms, django_assert_max_num_queries):
    viewer = factories.doctor()
    for _ in range(rooms):
        author = factories.doctor()
        room = services.open_case_room(author, published_case(author).pk)
        services.open_case_room(viewer, room.case_id)
        post(room, author, "Xin ý kiến")
    client = signed_in(viewer)
    with django_assert_max_num_queries(16):
        page = client.get("/chat/")
    assert page.content.decode().count('class="card chat-room') == rooms


def test_a_room_page_renders_the_latest_messages_and_the_live_client(discussion):
    _case, room, _author, reader = discussion
    html = signed_in(reader).get(f"/chat/rooms/{room.public_id}/").content.decode()
    assert f'data-chat-room="{RoomNode.global_id(room)}"' in html
    assert 'data-shown-seq="3"' in html
    assert html.index("Ý kiến số 0") < html.index("Ý kiến số 2")
    assert "chat/chat.js" in html


def test_a_room_the_doctor_did_not_join_or_may_not_use_is_a_404(discussion):
    _case, room, _author, _reader = discussion
    assert signed_in(factories.doctor()).get(f"/chat/rooms/{room.public_id}/").status_code == 404
    assert signed_in(factories.doctor()).get(f"/chat/rooms/{uuid.uuid4()}/").status_code == 404


def test_an_unverified_doctor_is_told_why(discussion):
    pending = factories.doctor(status="pending")
    assert signed_in(pending).get("/chat/").status_code == 403


def test_the_case_page_offers_to_join_then_shows_the_live_room(discussion):
    case, room, _author, _reader = discussion
    newcomer = factories.doctor()
    client = signed_in(newcomer)
    html = client.get(f"/network/cases/{case.public_id}/").content.decode()
    assert f'action="/chat/cases/{case.public_id}/join/"' in html
    assert "data-chat-room" not in html

    response = client.post(f"/chat/cases/{case.public_id}/join/")
    assert response.status_code == 302
    assert response["Location"] == f"/network/cases/{case.public_id}/#chat"
    assert RoomMember.objects.filter(room=room, doctor=newcomer).exists()
    html = client.get(f"/network/cases/{case.public_id}/").content.decode()
    assert f'data-chat-room="{RoomNode.global_id(room)}"' in html
    assert "Ý kiến số 2" in html


def test_joining_the_room_of_a_case_one_cannot_see_is_a_404():
    author = factories.doctor()
    case = published_case(author, visibility="named")
    response = signed_in(factories.doctor()).post(f"/chat/cases/{case.public_id}/join/")
    assert response.status_code == 404
    assert not Room.objects.exists()
