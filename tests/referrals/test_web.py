"""The referral pages: refer a case with the form, take it from the queue, answer it with the
buttons, close it with an outcome; strangers get 404s; refusals are shown, nothing changes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from referrals.models import Referral
from tests import factories
from tests.referrals.conftest import advance, refer

pytestmark = pytest.mark.django_db


def signed_in(client, doctor):
    client.force_login(doctor)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def test_refer_claim_answer_and_close_through_the_pages(client, requester, consultant, case):
    signed_in(client, requester)
    response = client.post(
        "/referrals/new/",
        {
            "case": case.pk,
            "urgency": "urgent",
            "question": "Xin ý kiến chụp mạch vành.",
            "facility": consultant.facility_id,
        },
    )
    referral = Referral.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/referrals/{referral.public_id}/"
    page = client.get(response["Location"]).content.decode()
    assert "Xin ý kiến chụp mạch vành." in page and 'id="response-due"' in page

    signed_in(client, consultant)
    assert str(referral.public_id) in client.get("/referrals/").content.decode()
    base = f"/referrals/{referral.public_id}/"
    assert "Take this referral" in client.get(base).content.decode()
    client.post(base + "accept/")
    client.post(base + "start/")
    refused = client.post(base + "complete/", {"assessment": "Ổn định."}, follow=True).content.decode()
    assert "Say whether a transfer is advised." in refused
    assert Referral.objects.get().status == "in-progress"
    client.post(
        base + "complete/",
        {
            "assessment": "Ổn định.",
            "recommendation": "Điều trị nội khoa.",
            "transfer_advised": "no",
            "follow_up_plan": "Tái khám 1 tuần.",
        },
    )
    assert Referral.objects.get().status == "completed"

    signed_in(client, requester)
    page = client.get(base).content.decode()
    assert "Consultation record (PDF)" in page
    client.post(base + "close/", {"transfer_avoided": "yes", "plan_changed": "no", "usefulness": "5"})
    assert Referral.objects.get().usefulness == 5


def test_the_form_shows_identifiers_and_emergencies_are_refused(client, requester, consultant, case):
    signed_in(client, requester)
    page = client.post(
        "/referrals/new/",
        {"case": case.pk, "urgency": "emergency", "question": "?", "facility": consultant.facility_id},
    ).content.decode()
    assert "115" in page
    page = client.post(
        "/referrals/new/",
        {
            "case": case.pk,
            "urgency": "routine",
            "question": "Gọi 0912345678.",
            "facility": consultant.facility_id,
        },
    ).content.decode()
    assert "0912345678" in page and not Referral.objects.exists()


def test_strangers_get_a_404(client, requester, consultant, case):
    referral = refer(requester, case, consultant)
    signed_in(client, factories.doctor())
    assert client.get(f"/referrals/{referral.public_id}/").status_code == 404
    assert client.post(f"/referrals/{referral.public_id}/cancel/").status_code == 404
    assert Referral.objects.get().status == "requested"


def test_the_steps_need_the_csrf_token_and_a_post(requester, consultant, case):
    """A forged cross-site form cannot move a referral; a GET never does."""
    from django.test import Client

    referral = refer(requester, case, consultant)
    browser = signed_in(Client(enforce_csrf_checks=True), consultant)
    assert browser.post(f"/referrals/{referral.public_id}/accept/").status_code == 403
    assert browser.get(f"/referrals/{referral.public_id}/accept/").status_code == 405
    assert Referral.objects.get().status == "requested"
    page = browser.get(f"/referrals/{referral.public_id}/")
    token = page.cookies["csrftoken"].value
    answer = browser.post(f"/referrals/{referral.public_id}/accept/", {"csrfmiddlewaretoken": token})
    assert answer.status_code == 302 and Referral.objects.get().status == "accepted"


def test_the_case_page_offers_its_author_a_referral(client, requester, case):
    link = f'href="/referrals/new/?case={case.pk}"'
    assert link in signed_in(client, requester).get(f"/network/cases/{case.public_id}/").content.decode()
    new = client.get(f"/referrals/new/?case={case.pk}").content.decode()
    assert f'<option value="{case.pk}" selected>' in new  # the form starts from that case
    colleague = signed_in(client, factories.doctor())
    assert link not in colleague.get(f"/network/cases/{case.public_id}/").content.decode()


def test_the_form_refuses_a_response_time_out_of_range_and_a_malformed_code(
    client, requester, consultant, case
):
    signed_in(client, requester)
    page = client.post(
        "/referrals/new/",
        {
            "case": case.pk,
            "urgency": "routine",
            "question": "Xin ý kiến điều trị.",
            "icd10_codes": "I21.4, đau ngực",
            "preferred_response_hours": "0",
            "facility": consultant.facility_id,
        },
    ).content.decode()
    assert "Between 1 and 720 hours." in page
    assert "Not ICD-10 codes: ĐAU NGỰC" in page
    assert not Referral.objects.exists()

    client.post(
        "/referrals/new/",
        {
            "case": case.pk,
            "urgency": "routine",
            "question": "Xin ý kiến điều trị.",
            "icd10_codes": "i21.4, E11",
            "preferred_response_hours": "36",
            "facility": consultant.facility_id,
        },
    )
    sent = Referral.objects.get()
    assert (sent.icd10_codes, sent.preferred_response_hours) == (["I21.4", "E11"], 36)


def test_the_page_marks_an_overdue_answer(client, requester, consultant, case):
    referral = advance(refer(requester, case, consultant), Referral.Status.IN_PROGRESS, requester, consultant)
    url = f"/referrals/{referral.public_id}/"
    page = signed_in(client, consultant).get(url).content.decode()
    assert 'id="completion-due"' in page and "overdue" not in page

    Referral.objects.filter(pk=referral.pk).update(completion_due_at=timezone.now() - timedelta(minutes=1))
    page = client.get(url).content.decode()
    due = page[page.index('id="completion-due"') :].split("</p>")[0]
    assert "(overdue)" in due
