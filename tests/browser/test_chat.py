"""Two doctors chat live about a case in real browsers, through Daphne: one joins from the case
page, the other writes from the messages page; messages appear once, in order, without
reloading; a gap in seq is fetched; a doctor whose connection drops catches up when it returns,
and a send whose answer was lost is retried and stored once."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, Route, WebSocketRoute, expect

from chat import services
from chat.models import Message, Room, RoomMember
from tests.browser.conftest import PHONE
from tests.browser.test_case_discussion import sign_in
from tests.chat.live import cluster_fixture  # noqa: F401 (registers the fixture)
from tests.network.test_cases_builders import published_case

pytestmark = pytest.mark.browser


class Link:
    """Carries a page's sockets to the server until cut; while cut, new ones are refused."""

    def __init__(self) -> None:
        self.up = True
        self.sockets: list[WebSocketRoute] = []

    def route(self, socket: WebSocketRoute) -> None:
        if not self.up:
            socket.close(code=4000, reason="Offline")
            return
        socket.connect_to_server()
        self.sockets.append(socket)

    def cut(self) -> None:
        self.up = False
        for socket in self.sockets:
            socket.close(code=4000, reason="Offline")
        self.sockets.clear()

    def restore(self) -> None:
        self.up = True


def lose_the_answer(route: Route) -> None:
    """Let the request reach the server, then drop its answer (a connection lost mid-request)."""
    route.fetch()
    route.abort()


def say(page: Page, text: str) -> None:
    page.fill("#chat-body", text)
    page.press("#chat-body", "Enter")


def bodies(page: Page) -> list[str]:
    return page.locator("[data-chat-log] .chat-message:not(.pending) .chat-body").all_inner_texts()


def test_two_doctors_chat_live_about_a_case(browser, live_server_url, web_doctor):
    a = web_doctor(full_name="Trần Thị Hồng")
    b = web_doctor(full_name="Lê Văn Minh")
    case = published_case(a)
    room = services.open_case_room(a, case.pk)

    # A opens the conversation from the messages page. A's socket passes through a switch the
    # test can cut (a dropped mobile connection: the page sees its socket close).
    page_a = browser.new_context(viewport=PHONE, locale="en-GB").new_page()
    link = Link()
    page_a.route_web_socket(re.compile(r"/graphql/$"), link.route)
    sign_in(page_a, live_server_url, a)
    page_a.goto(f"{live_server_url}/chat/")
    page_a.click(f'a[href="/chat/rooms/{room.public_id}/"]')
    expect(page_a.locator("[data-chat-room]")).to_have_attribute("data-state", "live")

    # B joins the discussion from the case page.
    page_b = browser.new_context(viewport=PHONE, locale="en-GB").new_page()
    sign_in(page_b, live_server_url, b)
    page_b.goto(f"{live_server_url}/network/cases/{case.public_id}/")
    page_b.click("text=Join the discussion")
    expect(page_b.locator("[data-chat-room]")).to_have_attribute("data-state", "live")

    # Live both ways, once each, in order; B's typing shows on A's screen.
    say(page_a, "Chào anh, xin ý kiến về ca này")
    expect(page_b.locator("[data-chat-log]")).to_contain_text("Chào anh, xin ý kiến về ca này")
    page_b.type("#chat-body", "Nên")
    expect(page_a.locator("[data-chat-typing]")).to_have_text("Lê Văn Minh is typing…")
    page_b.fill("#chat-body", "")
    say(page_b, "Nên làm lại troponin sau 3 giờ")
    expect(page_a.locator("[data-chat-log]")).to_contain_text("Nên làm lại troponin sau 3 giờ")
    expected = ["Chào anh, xin ý kiến về ca này", "Nên làm lại troponin sau 3 giờ"]
    for page in (page_a, page_b):
        expect(page.locator("[data-chat-log] .chat-message:not(.pending)")).to_have_count(2)
        assert bodies(page) == expected

    # A message stored but never announced (the channel layer dropped its event): the next
    # event is one seq too far, and both screens fetch the gap.
    Message.objects.create(room=room, seq=3, sender=b, client_message_id="dropped", body="Tin bị rơi")
    Room.objects.filter(pk=room.pk).update(last_seq=3)
    say(page_b, "Tin sau tin bị rơi")
    expected += ["Tin bị rơi", "Tin sau tin bị rơi"]
    for page in (page_a, page_b):
        expect(page.locator("[data-chat-log] .chat-message:not(.pending)")).to_have_count(4)
        assert bodies(page) == expected

    # A's connection drops; B writes meanwhile; A catches up when back online.
    link.cut()
    expect(page_a.locator("[data-chat-room]")).to_have_attribute("data-state", "waiting")
    say(page_b, "Tin thứ ba")
    say(page_b, "Tin thứ tư")
    expect(page_b.locator("[data-chat-log] .chat-message:not(.pending)")).to_have_count(6)
    # Meanwhile A sends over HTTP: the server stores it, but the answer is lost on the way back.
    page_a.route(re.compile(r"/graphql/$"), lose_the_answer)
    say(page_a, "Gửi lại được không?")
    expect(page_a.locator(".chat-message.pending .chat-note")).to_have_text(
        "Not sent yet: it will be retried."
    )
    assert Message.objects.filter(room=room, body="Gửi lại được không?").count() == 1  # stored already
    page_a.unroute(re.compile(r"/graphql/$"))
    link.restore()
    page_a.evaluate("window.dispatchEvent(new Event('online'))")  # no need to wait out the backoff
    # Back: caught up, and the send retried with the same clientMessageId is stored once.
    expect(page_a.locator("[data-chat-log] .chat-message:not(.pending)")).to_have_count(7)
    expect(page_a.locator(".chat-message.pending")).to_have_count(0)
    assert bodies(page_a) == [*expected, "Tin thứ ba", "Tin thứ tư", "Gửi lại được không?"]
    expect(page_a.locator("[data-chat-room]")).to_have_attribute("data-state", "live")
    expect(page_b.locator("[data-chat-log] .chat-message:not(.pending)")).to_have_count(7)

    # What the screens show is what was stored, once each.
    assert list(Message.objects.filter(room=room).order_by("seq").values_list("body", flat=True)) == bodies(
        page_a
    )
    # A's screen marks what it shows as read (a second after it arrives).
    expect(page_a.locator("[data-chat-room]")).to_have_attribute("data-read-seq", "7")
    assert RoomMember.objects.get(room=room, doctor=a).last_read_seq == 7


def test_the_room_keeps_working_while_redis_is_down_and_goes_live_again(browser, cluster, web_doctor):
    a = web_doctor(full_name="Trần Thị Hồng")
    b = web_doctor(full_name="Lê Văn Minh")
    case = published_case(a)
    room = services.open_case_room(a, case.pk)
    services.open_case_room(b, case.pk)
    (server,) = cluster.start(1)  # with Redis, unlike the other browser tests
    pages = []
    for doctor in (a, b):
        page = browser.new_context(viewport=PHONE, locale="en-GB").new_page()
        sign_in(page, server.url, doctor)
        page.goto(f"{server.url}/chat/rooms/{room.public_id}/")
        expect(page.locator("[data-chat-room]")).to_have_attribute("data-state", "live")
        pages.append(page)
    page_a, page_b = pages

    cluster.redis.stop()
    for page in pages:  # subscriptions end, are refused again: the screen says so
        expect(page.locator("[data-chat-room]")).to_have_attribute("data-state", "degraded")
    say(page_a, "Trong sự cố")
    expect(page_a.locator("[data-chat-log] .chat-message:not(.pending)")).to_have_count(1)
    # B still gets it, by the catch-up that goes with each new try.
    expect(page_b.locator("[data-chat-log]")).to_contain_text("Trong sự cố", timeout=20_000)

    badge = page_a.locator("[data-notification-badge]")
    expect(badge).not_to_have_attribute("data-state", "live", timeout=20_000)  # its subscription ended too
    expect(badge).not_to_have_attribute("data-state", "closed", timeout=3_000)  # it keeps trying

    cluster.redis.start()
    for page in pages:
        expect(page.locator("[data-chat-room]")).to_have_attribute("data-state", "live", timeout=20_000)
    expect(badge).to_have_attribute("data-state", "live", timeout=40_000)  # the header's badge too
    say(page_b, "Sau sự cố")
    expect(page_a.locator("[data-chat-log]")).to_contain_text("Sau sự cố")
    for page in pages:
        assert bodies(page) == ["Trong sự cố", "Sau sự cố"]
    assert server.process is not None and server.process.poll() is None
