"""Chat over HTTP GraphQL (clients without a socket): opening rooms, idempotent sends, pages by
seq, errors as data, and constant query counts for the room list and message pages."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from chat.models import Message, Room
from chat.services import open_direct_room
from tests import factories
from tests.chat.builders import (
    BODY,
    MESSAGES,
    SEND,
    case_room,
    client_id,
    direct_room,
    mentee,
    message_gid,
    room_gid,
    send,
)
from tests.graphql import conftest as graphql_conftest
from tests.graphql.conftest import data_of, error_codes, gid
from tests.network.test_cases_builders import case_gid, connect, doctor_gid

pytestmark = pytest.mark.django_db

graphql = graphql_conftest.graphql

DOCTOR = "id fullName title facility { name tier province { name } } specialties { code name }"
ROOMS = f"""query ($first: Int!) {{ rooms(first: $first) {{
    totalCount
    edges {{ node {{
        id kind title lastSeq viewerLastReadSeq unreadCount lastActivityAt
        case {{ id title }}
        peer {{ {DOCTOR} }}
        lastMessage {{ id seq roomId body deleted sentAt sender {{ {DOCTOR} }} }}
    }} }}
}} }}"""


def send_input(
    room: Room, body: str = "Nên làm lại hs-troponin", client_message_id: str | None = None
) -> dict:
    return {
        "input": {"roomId": room_gid(room), "body": body, "clientMessageId": client_message_id or client_id()}
    }


def test_open_a_direct_room_and_send_and_retry_over_http(graphql):
    first, second = factories.doctor(), factories.doctor()
    connect(first, second)
    graphql.login(first)
    opened = data_of(
        graphql(
            "mutation ($id: ID!) { openDirectRoom(doctorId: $id) { room { id kind title peer { fullName } } errors { code } } }",
            {"id": doctor_gid(second)},
        )
    )["openDirectRoom"]
    assert opened["errors"] == []
    assert (opened["room"]["kind"], opened["room"]["title"]) == ("DIRECT", second.full_name)
    room = Room.objects.get(kind=Room.Kind.DIRECT)
    assert opened["room"]["id"] == room_gid(room)

    variables = send_input(room, client_message_id="retry-me")
    sent = data_of(graphql(SEND, variables))["sendMessage"]
    again = data_of(graphql(SEND, variables))["sendMessage"]
    assert sent["errors"] == [] and sent["delivery"] == "DELIVERED"
    assert (sent["message"]["seq"], sent["message"]["clientMessageId"]) == (1, "retry-me")
    assert again["message"]["id"] == sent["message"]["id"]
    assert Message.objects.count() == 1
    assert sent["message"]["sender"]["fullName"] == first.full_name


def test_refusals_are_errors_as_data_with_spans(graphql):
    room, first, _second = direct_room()
    graphql.login(first)
    payload = data_of(graphql(SEND, send_input(room, body="SĐT người nhà 0912345678")))["sendMessage"]
    assert payload["message"] is None and payload["delivery"] is None
    (error,) = payload["errors"]
    assert (error["field"], error["code"]) == ("body", "PATIENT_IDENTIFIER")
    assert [span["text"] for span in error["spans"]] == ["0912345678"]

    stranger = factories.doctor()
    graphql.login(stranger)
    payload = data_of(graphql(SEND, send_input(room)))["sendMessage"]
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("roomId", "NOT_FOUND")]
    payload = data_of(graphql(SEND, {"input": {"roomId": "bad", "body": "x", "clientMessageId": "c"}}))[
        "sendMessage"
    ]
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("roomId", "INVALID")]
    assert not Message.objects.exists()


def test_unverified_doctors_cannot_chat(graphql):
    room, _first, _second = direct_room()
    graphql.login(factories.doctor(status="pending"))
    payload = data_of(graphql(SEND, send_input(room)))["sendMessage"]
    assert [e["code"] for e in payload["errors"]] == ["NOT_VERIFIED"]
    assert error_codes(graphql(MESSAGES, {"roomId": room_gid(room)})) == ["NOT_VERIFIED"]


def test_catch_up_by_seq_and_a_gap_is_filled(graphql):
    room, first, second = direct_room()
    for _ in range(5):
        send(first, room)
    graphql.login(second)
    page = data_of(graphql(MESSAGES, {"roomId": room_gid(room), "after": 1, "first": 2}))["messages"]
    assert ([m["seq"] for m in page["messages"]], page["hasMore"], page["lastSeq"]) == ([2, 3], True, 5)
    # A client holding 1 and 3 (it missed the event of 2) fetches the gap.
    page = data_of(graphql(MESSAGES, {"roomId": room_gid(room), "after": 1, "before": 3}))["messages"]
    assert [m["seq"] for m in page["messages"]] == [2]
    assert all(m["clientMessageId"] is None for m in page["messages"])  # not the viewer's
    assert error_codes(graphql(MESSAGES, {"roomId": room_gid(room), "first": 0})) == ["INVALID"]
    graphql.login(factories.doctor())
    assert error_codes(graphql(MESSAGES, {"roomId": room_gid(room)})) == ["NOT_FOUND"]


def test_edit_delete_mark_read_and_typing_over_http(graphql):
    room, first, second = direct_room()
    message = send(first, room).message
    graphql.login(first)
    edited = data_of(
        graphql(
            "mutation ($input: EditMessageInput!) { editMessage(input: $input) { message { body editedAt } delivery errors { code } } }",
            {"input": {"messageId": message_gid(message), "body": "Đã sửa"}},
        )
    )["editMessage"]
    assert edited["message"]["body"] == "Đã sửa" and edited["message"]["editedAt"]
    deleted = data_of(
        graphql(
            "mutation ($id: ID!) { deleteMessage(messageId: $id) { message { seq body deleted } errors { code } } }",
            {"id": message_gid(message)},
        )
    )["deleteMessage"]
    assert deleted["message"] == {"seq": 1, "body": None, "deleted": True}
    send(first, room)
    graphql.login(second)
    read = data_of(
        graphql(
            "mutation ($id: ID!, $seq: Int!) { markRead(roomId: $id, seq: $seq) { room { unreadCount viewerLastReadSeq } errors { code field } } }",
            {"id": room_gid(room), "seq": 1},
        )
    )["markRead"]
    assert read["room"] == {"unreadCount": 1, "viewerLastReadSeq": 1}
    typing = data_of(
        graphql(
            "mutation ($id: ID!) { typing(roomId: $id) { delivery errors { code } } }", {"id": room_gid(room)}
        )
    )["typing"]
    assert typing == {"delivery": "DELIVERED", "errors": []}


def test_open_case_room_over_http(graphql):
    _room, case = case_room()
    reader = factories.doctor()
    graphql.login(reader)
    payload = data_of(
        graphql(
            "mutation ($id: ID!) { openCaseRoom(caseId: $id) { room { kind title case { title } unreadCount } errors { code } } }",
            {"id": case_gid(case)},
        )
    )["openCaseRoom"]
    assert payload["room"] == {
        "kind": "CASE",
        "title": case.title,
        "case": {"title": case.title},
        "unreadCount": 0,
    }


@pytest.fixture
def busy_doctor(settings):
    """A doctor with 30 rooms of every kind, each with messages from others."""
    settings.CHAT_SEND_BURST = 1000
    doctor = factories.doctor()
    doctor.specialties.add(factories.specialty())
    for _ in range(10):
        peer = factories.doctor()
        peer.specialties.add(factories.specialty())
        connect(doctor, peer)
        room = open_direct_room(doctor, peer.pk)
        send(peer, room)
        send(doctor, room)
        room_case, _case = case_room(peer, doctor)
        send(peer, room_case)
    return doctor


def test_the_room_list_costs_the_same_for_2_and_20_rooms(graphql, busy_doctor, django_assert_max_num_queries):
    graphql.login(busy_doctor)
    with CaptureQueriesContext(connection) as small:
        data = data_of(graphql(ROOMS, {"first": 2}))
    assert {edge["node"]["kind"] for edge in data["rooms"]["edges"]} == {"DIRECT", "CASE"}
    with django_assert_max_num_queries(len(small)):
        data = data_of(graphql(ROOMS, {"first": 20}))
    nodes = [edge["node"] for edge in data["rooms"]["edges"]]
    assert len(nodes) == 20 and data["rooms"]["totalCount"] == 20
    assert {node["kind"] for node in nodes} == {"DIRECT", "CASE"}
    assert all(node["lastMessage"]["sender"]["specialties"] for node in nodes)
    assert all(node["peer"]["specialties"] for node in nodes if node["kind"] == "DIRECT")
    assert all(node["unreadCount"] == (1 if node["kind"] == "CASE" else 0) for node in nodes)


def test_a_message_page_costs_the_same_for_1_and_50(graphql, settings, django_assert_max_num_queries):
    settings.CHAT_SEND_BURST = 1000
    room, first, second = direct_room()
    first.specialties.add(factories.specialty())
    second.specialties.add(factories.specialty())
    for n in range(60):
        send(first if n % 2 else second, room)
    graphql.login(first)
    with CaptureQueriesContext(connection) as small:
        data = data_of(graphql(MESSAGES, {"roomId": room_gid(room), "first": 1}))
    assert len(data["messages"]["messages"]) == 1
    with django_assert_max_num_queries(len(small)):
        data = data_of(graphql(MESSAGES, {"roomId": room_gid(room), "after": 0, "first": 50}))
    assert [m["seq"] for m in data["messages"]["messages"]] == list(range(1, 51))


def test_open_mentorship_and_circle_rooms_over_http(graphql):
    mentor, learner = factories.doctor(), mentee()
    mentorship = factories.mentorship(mentor, learner)
    graphql.login(learner)
    payload = data_of(
        graphql(
            "mutation ($id: ID!) { openMentorshipRoom(mentorshipId: $id) { room { kind title peer { fullName } } errors { code } } }",
            {"id": gid("Mentorship", mentorship.public_id)},
        )
    )["openMentorshipRoom"]
    assert payload["room"] == {
        "kind": "MENTORSHIP",
        "title": mentor.full_name,
        "peer": {"fullName": mentor.full_name},
    }
    circle = data_of(
        graphql(
            "mutation ($id: ID) { openMentorCircleRoom(mentorId: $id) { room { kind } errors { code field } } }",
            {"id": doctor_gid(mentor)},
        )
    )["openMentorCircleRoom"]
    assert circle == {"room": {"kind": "MENTOR_CIRCLE"}, "errors": []}
    own = data_of(graphql("mutation { openMentorCircleRoom { room { kind } errors { code field } } }"))[
        "openMentorCircleRoom"
    ]
    assert own == {"room": None, "errors": [{"code": "MENTORSHIP_NOT_ACTIVE", "field": "mentorId"}]}


def test_rooms_and_messages_are_nodes_only_for_members_with_access(graphql):
    room, first, second = direct_room()
    message = send(first, room).message
    query = "query ($r: ID!, $m: ID!) { r: node(id: $r) { id ... on Room { lastSeq } } m: node(id: $m) { ... on Message { seq body } } }"
    variables = {"r": room_gid(room), "m": message_gid(message)}
    graphql.login(second)
    assert data_of(graphql(query, variables)) == {
        "r": {"id": room_gid(room), "lastSeq": 1},
        "m": {"seq": 1, "body": BODY},
    }
    graphql.login(factories.doctor())
    assert data_of(graphql(query, variables)) == {"r": None, "m": None}


def _reading(queries: CaptureQueriesContext, table: str) -> list[str]:
    return [query["sql"] for query in queries.captured_queries if f'"{table}"' in query["sql"]]


@pytest.mark.parametrize("kind", ["case", "direct"])
def test_a_send_checks_access_once_and_small(graphql, kind):
    # A case room's access reads the case (its visibility rule); a direct room's, the
    # connections: once per send, the payload's read of the message does not check again.
    if kind == "case":
        sender = factories.doctor()
        room, _case = case_room(None, sender)
        table = "network_case"
    else:
        room, sender, _second = direct_room()
        table = "network_connection"
    graphql.login(sender)
    with CaptureQueriesContext(connection) as queries:
        sent = data_of(graphql(SEND, send_input(room)))["sendMessage"]
    assert sent["errors"] == [] and sent["message"]["seq"] == 1
    assert len(_reading(queries, table)) == 1
    # The one check is for this room's kind only: no query weighs every kind of room at once.
    assert not _reading(queries, "referrals_referral")
