"""The @mention picker in a real browser on a phone-sized screen: typing "@" and a name without
diacritics suggests the colleagues who can see the case (never one who cannot); choosing one
with the keyboard writes "@<given name>" and ticks a box for them; posting mentions them (a
MENTIONED notification), through the same comment service as the app."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from network.models import Case, Comment, Mention, Notification, NotificationKind
from tests.browser.conftest import PHONE
from tests.browser.test_case_discussion import SCREENSHOTS, sign_in
from tests.network.test_cases_builders import connect, published_case

pytestmark = pytest.mark.browser


def test_a_doctor_mentions_a_colleague_who_can_see_the_case(browser, live_server_url, web_doctor):
    author = web_doctor(full_name="Trần Thị Hồng")
    commenter = web_doctor(full_name="Lê Văn Minh")
    colleague = web_doctor(full_name="Đặng Đức Sơn")
    outsider = web_doctor(full_name="Đặng Văn Lạ")  # not a connection of the author
    connect(author, commenter)
    connect(author, colleague)
    case = published_case(author, visibility=Case.Visibility.CONNECTIONS)

    context = browser.new_context(viewport=PHONE, locale="en-GB")
    page = context.new_page()
    sign_in(page, live_server_url, commenter)
    page.goto(f"{live_server_url}/network/cases/{case.public_id}/")
    expect(page.locator("#comment-form[data-mention-ready]")).to_have_count(1)

    body = page.locator("#id_body")
    body.click()
    body.press_sequentially("Nhờ @dang", delay=20)
    suggestions = page.locator("#comment-form [role=listbox] [role=option]")
    expect(suggestions).to_have_count(1)
    expect(suggestions.first).to_contain_text("Đặng Đức Sơn")
    expect(page.locator("#comment-form [role=listbox]")).not_to_contain_text(outsider.full_name)
    expect(body).to_have_attribute("aria-expanded", "true")
    page.screenshot(path=SCREENSHOTS.format(name="mention-suggestions"))

    body.press("Enter")
    expect(body).to_have_value("Nhờ @Sơn ")
    expect(body).to_have_attribute("aria-expanded", "false")
    chip = page.locator(f'#comment-form input[name=mentions][value="{colleague.public_id}"]')
    expect(chip).to_be_checked()
    body.press_sequentially("xem giúp ca này", delay=10)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    page.click("#comment-form button[type='submit']")
    page.wait_for_url(re.compile(r"#comment-"))
    comment = Comment.objects.get()
    assert comment.body == "Nhờ @Sơn xem giúp ca này"
    assert list(Mention.objects.values_list("doctor_id", flat=True)) == [colleague.pk]
    assert Notification.objects.filter(recipient=colleague, kind=NotificationKind.MENTIONED).count() == 1
    context.close()


def test_deleting_the_mention_from_the_text_drops_it(browser, live_server_url, web_doctor):
    author = web_doctor(full_name="Trần Thị Hồng")
    commenter = web_doctor(full_name="Lê Văn Minh")
    case = published_case(author)

    context = browser.new_context(viewport=PHONE, locale="vi-VN")
    page = context.new_page()
    sign_in(page, live_server_url, commenter)
    page.goto(f"{live_server_url}/network/cases/{case.public_id}/")
    body = page.locator("#id_body")
    body.click()
    body.press_sequentially("@hong", delay=20)
    option = page.locator("#comment-form [role=option]")
    expect(option).to_have_count(1)
    option.click()
    expect(body).to_have_value("@Hồng ")
    expect(page.locator("#comment-form input[name=mentions]")).to_have_count(1)

    body.fill("Ý kiến của em")
    body.dispatch_event("input")
    expect(page.locator("#comment-form input[name=mentions]")).to_have_count(0)
    page.click("#comment-form button[type='submit']")
    page.wait_for_url(re.compile(r"#comment-"))
    assert not Mention.objects.exists()
    context.close()
