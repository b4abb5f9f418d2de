"""The planner's pages for mentorship administrators (/audit/plans/, ``mentorship.web``): the
permission and TOTP (``require_mentorship_admin``) required, run / review / apply / discard
through ``mentorship.services.planner``, PLAN_STALE and PLAN_NOT_DRAFT shown with the service's
text, CSRF-protected, Vietnamese and English."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from facilities.models import Tier
from mentorship import web
from mentorship.models import ComplianceAuditor, Mentorship, MentorshipPlan
from mentorship.services import planner
from network.models import Block
from tests import factories

pytestmark = pytest.mark.django_db

PLANS = "/audit/plans/"
RUN = "/audit/plans/run/"


def plan_url(plan: MentorshipPlan, action: str = "") -> str:
    return f"/audit/plans/{plan.public_id}/" + (f"{action}/" if action else "")


def text_of(response) -> str:
    return response.content.decode()


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


@pytest.fixture
def admin():
    return factories.mentorship_admin(full_name="Quản trị Cố vấn")


@pytest.fixture
def doctors():
    mentor = factories.doctor(tier=Tier.CENTRAL, full_name="GS. Nguyễn Thị Lan")
    mentees = [factories.doctor(tier=Tier.PROVINCIAL, full_name=f"BS. Tỉnh {n}") for n in range(3)]
    return mentor, mentees


@pytest.fixture
def plan(admin, doctors) -> MentorshipPlan:
    return planner.run_plan(admin)


# --- Who may open the pages ----------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get(PLANS)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_doctors_and_auditors_are_refused_and_nothing_changes(signed_in, doctors, plan):
    mentor, _mentees = doctors
    auditor = factories.auditor()
    factories.activate_totp(auditor)
    for person in (mentor, auditor):
        client = signed_in(person)
        for response in (
            client.get(PLANS),
            client.get(plan_url(plan)),
            client.post(RUN),
            client.post(plan_url(plan, "apply")),
            client.post(plan_url(plan, "discard")),
        ):
            assert response.status_code == 403
            assert "You may not administer mentorships." in text_of(response)
    assert MentorshipPlan.objects.get().status == MentorshipPlan.Status.DRAFT
    assert not Mentorship.objects.exists()


def test_staff_administrators_without_an_authenticator_app_are_sent_to_set_one_up(signed_in):
    response = signed_in(factories.mentorship_admin(totp=False)).get(PLANS)
    assert response.status_code == 302 and response["Location"] == "/accounts/2fa/totp/activate/"


def test_an_administrator_who_is_not_staff_still_needs_an_authenticator_app(signed_in):
    person = factories.mentorship_admin(totp=False, is_staff=False)
    response = signed_in(person).post(RUN)
    assert response.status_code == 403
    assert "Set up two-factor authentication (an authenticator app)" in text_of(response)
    assert not MentorshipPlan.objects.exists()


# --- Run, review, apply, discard -----------------------------------------------------------------


def test_running_the_planner_makes_a_draft_plan_and_shows_it(signed_in, admin, doctors):
    client = signed_in(admin)
    assert "No plan yet." in text_of(client.get(PLANS))

    response = client.post(RUN, follow=True)

    plan = MentorshipPlan.objects.get()
    assert response.redirect_chain == [(plan_url(plan), 302)]
    assert "The plan is ready to review. Nothing is proposed until you apply it." in messages_of(response)
    assert plan.status == MentorshipPlan.Status.DRAFT and plan.created_by_id == admin.pk
    page = text_of(response)
    for figure, value in (("slots", 10), ("filled", 3), ("max_flow", 3), ("status", "OPTIMAL")):
        assert f'data-figure="{figure}">{value}<' in page
    assert 'data-figure="cost">120<' in page  # same province (0), no shared specialty (40), 3 pairs
    assert "3 pairs" in page
    assert page.count("GS. Nguyễn Thị Lan") == 3 and "BS. Tỉnh 2" in page
    assert "Central → Provincial" in page and "Thành phố Hà Nội → Thành phố Hà Nội" in page
    assert plan_url(plan, "apply") in page and plan_url(plan, "discard") in page

    listing = text_of(client.get(PLANS))
    assert f'data-plan="{plan.public_id}"' in listing and "Draft" in listing


def test_applying_proposes_every_pair_as_the_service_does(signed_in, admin, doctors, plan):
    _mentor, mentees = doctors
    response = signed_in(admin).post(plan_url(plan, "apply"), follow=True)

    assert response.redirect_chain == [(plan_url(plan), 302)]
    assert "The plan is applied: every pair is proposed to both doctors." in messages_of(response)
    plan.refresh_from_db()
    assert plan.status == MentorshipPlan.Status.APPLIED and plan.applied_by_id == admin.pk
    proposed = Mentorship.objects.filter(plan=plan, status=Mentorship.Status.PROPOSED)
    assert sorted(proposed.values_list("mentee_id", flat=True)) == sorted(m.pk for m in mentees)
    assert {m.proposed_as for m in proposed} == {Mentorship.Proposer.ADMINISTRATOR}
    page = text_of(response)
    assert plan_url(plan, "apply") not in page and "Applied" in page

    again = signed_in(admin).post(plan_url(plan, "discard"), follow=True)
    assert messages_of(again) == ["This plan was already applied or discarded."]
    assert MentorshipPlan.objects.get().status == MentorshipPlan.Status.APPLIED


def test_discarding_proposes_nothing(signed_in, admin, plan):
    response = signed_in(admin).post(plan_url(plan, "discard"), follow=True)
    assert "The plan is discarded; nothing was proposed." in messages_of(response)
    assert MentorshipPlan.objects.get().status == MentorshipPlan.Status.DISCARDED
    assert not Mentorship.objects.exists()


def test_a_stale_plan_is_refused_with_the_reason_and_nothing_is_proposed(signed_in, admin, doctors, plan):
    mentor, mentees = doctors
    Block.objects.create(blocker=mentees[0], blocked=mentor)

    response = signed_in(admin).post(plan_url(plan, "apply"), follow=True)

    assert messages_of(response) == [
        "1 of the plan's pairs are no longer valid (a doctor's verification, tier, quota or a block "
        "changed since the plan was made): run the planner again."
    ]
    assert MentorshipPlan.objects.get().status == MentorshipPlan.Status.DRAFT
    assert not Mentorship.objects.exists()


def test_pairs_are_paged(signed_in, admin, plan, monkeypatch):
    monkeypatch.setattr(web, "PAIRS_PER_PAGE", 2)
    client = signed_in(admin)
    first = text_of(client.get(plan_url(plan)))
    assert first.count("data-pair=") == 2 and "Page 1 of 2" in first
    second = text_of(client.get(plan_url(plan), {"page": 2}))
    assert second.count("data-pair=") == 1


def test_an_unknown_plan_is_not_found(signed_in, admin):
    missing = "/audit/plans/00000000-0000-0000-0000-000000000000/"
    client = signed_in(admin)
    assert client.get(missing).status_code == 404
    assert client.post(missing + "apply/").status_code == 404


def test_plan_buttons_are_posts_protected_against_csrf(admin, plan):
    client = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(admin)
    assert client.get(RUN).status_code == 405
    assert client.post(RUN).status_code == 403
    assert client.post(plan_url(plan, "apply")).status_code == 403
    assert MentorshipPlan.objects.count() == 1 and not Mentorship.objects.exists()
    client.get(PLANS)
    token = client.cookies[settings.CSRF_COOKIE_NAME].value
    assert client.post(plan_url(plan, "discard"), {"csrfmiddlewaretoken": token}).status_code == 302
    assert MentorshipPlan.objects.get().status == MentorshipPlan.Status.DISCARDED


# --- The dashboard's link, languages ------------------------------------------------------------


def test_the_dashboard_links_the_plans_for_administrators_only(signed_in):
    admin = factories.mentorship_admin()
    ComplianceAuditor.objects.create(user=admin, scope="national")
    assert 'href="/audit/plans/"' in text_of(signed_in(admin).get("/audit/"))
    auditor = factories.auditor()
    factories.activate_totp(auditor)
    assert 'href="/audit/plans/"' not in text_of(signed_in(auditor).get("/audit/"))


@pytest.mark.parametrize(("language", "expected"), [("vi", "Đăng xuất"), ("en", "Sign out")])
def test_the_plan_pages_in_both_languages(client, admin, plan, language, expected):
    client.force_login(admin)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    for page in (text_of(client.get(PLANS)), text_of(client.get(plan_url(plan)))):
        assert f'<html lang="{language}">' in page and expected in page
