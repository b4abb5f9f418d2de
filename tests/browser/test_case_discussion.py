"""A case discussed end to end in real browsers, on a phone-sized screen: doctor A signs in,
posts a case the identifier guard refuses (the spans shown in the text), fixes and publishes it;
doctor B, A's connection, finds it in the feed and comments; A's header badge counts the new
notification without reloading, over the graphql-transport-ws socket through Daphne."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from accounts.models import User
from network.models import Case, Comment, Notification
from tests import factories
from tests.browser.conftest import PHONE
from tests.network.test_cases_builders import PRESENTING_PROBLEM, QUESTION, TITLE, connect

pytestmark = pytest.mark.browser

PHONE_NUMBER = "0912345678"
CITIZEN_ID = "001085012345"
SCREENSHOTS = "/tmp/tuyen-browser-{name}.png"
CASE_PAGE = re.compile(r"/network/cases/[0-9a-f-]{36}/$")


def sign_in(page: Page, base_url: str, doctor: User) -> None:
    """Through allauth's own login page, as a doctor does."""
    page.goto(f"{base_url}/accounts/login/")
    page.fill('input[name="login"]', doctor.email)
    page.fill('input[name="password"]', factories.PASSWORD)
    page.click('form[action="/accounts/login/"] button[type="submit"]')
    page.wait_for_url(f"{base_url}/")


def test_a_case_is_refused_fixed_published_commented_and_the_badge_counts_it_live(
    browser, live_server_url, web_doctor
):
    a = web_doctor(full_name="Trần Thị Hồng")
    b = web_doctor(full_name="Lê Văn Minh")
    connect(a, b)
    specialty = factories.specialty()

    # A writes the case on a phone, pasting a phone number and a citizen ID from the record.
    context_a = browser.new_context(viewport=PHONE, locale="en-GB")
    page_a = context_a.new_page()
    sign_in(page_a, live_server_url, a)
    page_a.goto(f"{live_server_url}/network/cases/new/")
    page_a.fill("#id_title", TITLE)
    page_a.select_option("#id_specialty", str(specialty.pk))
    page_a.select_option("#id_age_band", "45-59")
    page_a.select_option("#id_sex", "male")
    page_a.fill(
        "#id_presenting_problem",
        f"{PRESENTING_PROBLEM}. Người nhà: {PHONE_NUMBER}, CCCD {CITIZEN_ID}",
    )
    page_a.fill("#id_question", QUESTION)
    page_a.click('button[name="publish"]')

    # Refused: each identifier marked inside the field's own text, with its kind; nothing stored.
    expect(page_a.locator("#identifier-refusal")).to_be_visible()
    preview = page_a.locator("#field-presenting_problem .identifier-preview")
    expect(preview.locator('mark[data-kind="PHONE_NUMBER"]')).to_have_text(PHONE_NUMBER)
    expect(preview.locator('mark[data-kind="CITIZEN_ID"]')).to_have_text(CITIZEN_ID)
    expect(preview).to_contain_text("phone number")
    expect(preview).to_contain_text("citizen ID number")
    assert not Case.objects.exists()
    page_a.locator("#field-presenting_problem").screenshot(path=SCREENSHOTS.format(name="refusal"))

    # A removes them (the text is still in the field) and publishes.
    expect(page_a.locator("#id_presenting_problem")).to_have_value(re.compile(CITIZEN_ID))
    page_a.fill("#id_presenting_problem", PRESENTING_PROBLEM)
    page_a.click('button[name="publish"]')
    page_a.wait_for_url(CASE_PAGE)
    case = Case.objects.get()
    assert case.status == Case.Status.OPEN
    expect(page_a.locator("h1")).to_have_text(TITLE)

    # A's badge is live (subscribed, and the count asked after), with nothing unread.
    badge = page_a.locator("[data-notification-badge]")
    expect(badge).to_have_attribute("data-state", "live")
    expect(badge).to_have_attribute("data-unread", "0")
    expect(badge.locator(".count")).to_be_hidden()
    page_a.evaluate("window.__stillTheSamePage = true")

    # B, in another browser context (Vietnamese), finds the case in the feed and comments.
    context_b = browser.new_context(viewport=PHONE, locale="vi-VN")
    page_b = context_b.new_page()
    sign_in(page_b, live_server_url, b)
    page_b.goto(f"{live_server_url}/network/")
    page_b.click(f"#case-{case.public_id} h2 a")
    page_b.wait_for_url(CASE_PAGE)
    page_b.fill("#id_body", "Nên làm lại hs-troponin sau 3 giờ trước khi quyết định")
    page_b.click("#comment-form button[type='submit']")
    page_b.wait_for_url(re.compile(r"#comment-"))
    comment = Comment.objects.get()
    expect(page_b.locator(f"#comment-{comment.public_id} .comment-body")).to_contain_text("hs-troponin")
    assert Notification.objects.filter(recipient=a, read_at__isnull=True).count() == 1

    # A's badge shows it without a reload.
    expect(badge.locator(".count")).to_have_text("1")
    expect(badge.locator(".count")).to_be_visible()
    expect(badge).to_have_attribute("data-unread", "1")
    assert page_a.evaluate("window.__stillTheSamePage") is True

    page_a.screenshot(path=SCREENSHOTS.format(name="author-badge"), full_page=False)
    page_b.screenshot(path=SCREENSHOTS.format(name="commenter-case"), full_page=True)
    # Nothing on a phone screen is wider than the screen (no sideways scrolling).
    for page in (page_a, page_b):
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    # Following the notification opens the case at B's comment and clears the badge.
    page_a.goto(f"{live_server_url}/network/notifications/")
    page_a.click(".notification-title")
    page_a.wait_for_url(re.compile(rf"/network/cases/{case.public_id}/#comment-{comment.public_id}$"))
    expect(page_a.locator("[data-notification-badge]")).to_have_attribute("data-unread", "0")
    context_a.close()
    context_b.close()
