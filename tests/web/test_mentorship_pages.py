"""The doctors' mentoring page (/mentorship/, ``mentorship.web``): verified doctors only; it lists
mentors, mentees, proposals both ways, closed mentorships, the quota and suggestions, and its
buttons change exactly what the services change (a refusal shows the service's text and changes
nothing). Vietnamese and English; CSRF-protected; constant queries at 1 and many mentorships."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import connection
from django.template import Context, Template
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from accounts.models import User, VerificationStatus
from audit.models import AuditEvent
from facilities.models import Tier
from mentorship.models import Mentorship
from mentorship.services import mentorships as services
from network.models import Block, Connection
from tests import factories

pytestmark = pytest.mark.django_db

PAGE = "/mentorship/"
PROPOSE = "/mentorship/propose/"


def url(mentorship: Mentorship, action: str) -> str:
    return f"/mentorship/{mentorship.public_id}/{action}/"


def text_of(response) -> str:
    return response.content.decode()


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def fresh(mentorship: Mentorship) -> Mentorship:
    return Mentorship.objects.get(pk=mentorship.pk)


@pytest.fixture
def mentor() -> User:
    doctor = factories.doctor(tier=Tier.CENTRAL, full_name="GS. Nguyễn Thị Lan")
    doctor.specialties.add(factories.specialty())
    return doctor


@pytest.fixture
def mentee() -> User:
    return factories.doctor(tier=Tier.PROVINCIAL, full_name="BS. Phạm Văn Hùng")


def proposal(mentor: User, mentee: User, by: User | None = None, **extra) -> Mentorship:
    return services.propose_mentorship(by or mentor, mentor_id=mentor.pk, mentee_id=mentee.pk, **extra)


# --- Who may open the page ---------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get(PAGE)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/mentorship/")


@pytest.mark.parametrize(
    "status", [VerificationStatus.UNVERIFIED, VerificationStatus.PENDING, VerificationStatus.REJECTED]
)
@pytest.mark.parametrize("method", ["get", "post"])
def test_doctors_not_verified_get_the_not_verified_page(signed_in, status, method):
    doctor = factories.doctor(status=status, tier=Tier.PROVINCIAL)
    target = factories.doctor(tier=Tier.CENTRAL)
    client = signed_in(doctor)
    if method == "get":
        response = client.get(PAGE)
    else:
        response = client.post(PROPOSE, {"doctor": str(target.public_id), "role": "mentee"})
    assert response.status_code == 403
    assert 'id="not-verified"' in text_of(response)
    assert not Mentorship.objects.exists()


def test_the_menu_links_the_page_for_verified_doctors_only(signed_in, mentor):
    assert 'href="/mentorship/"' in text_of(signed_in(mentor).get("/network/"))
    unverified = factories.doctor(status=VerificationStatus.UNVERIFIED)
    assert 'href="/mentorship/"' not in text_of(signed_in(unverified).get("/doctors/profile/"))


# --- What the page shows -------------------------------------------------------------------------


def test_the_page_lists_mentors_mentees_proposals_both_ways_and_past_ones(signed_in, mentor, mentee):
    active_mentee = mentee
    factories.mentorship(mentor, active_mentee)
    my_mentor = factories.doctor(tier=Tier.CENTRAL, full_name="PGS. Lê Văn Tâm")
    to_answer_from = factories.doctor(tier=Tier.DISTRICT, full_name="BS. Đỗ Thị Mai")
    mine = factories.doctor(tier=Tier.COMMUNE, full_name="BS. Hoàng Văn Nam")
    ended = factories.mentorship(mentor, factories.doctor(tier=Tier.DISTRICT, full_name="BS. Vũ Văn Kết"))
    services.end_mentorship(mentor, ended.public_id, reason="Chuyển công tác")
    asked = proposal(mentor, to_answer_from, by=to_answer_from, message="Xin thầy hướng dẫn")
    made = proposal(mentor, mine)

    page = text_of(signed_in(mentor).get(PAGE))

    assert "Mentoring" in page
    to_answer = page[page.index('id="to-answer"') : page.index('id="mentors"')]
    assert "BS. Đỗ Thị Mai" in to_answer and "Xin thầy hướng dẫn" in to_answer
    assert url(asked, "accept") in to_answer and url(asked, "decline") in to_answer
    mentees = page[page.index('id="mentees"') : page.index('id="waiting"')]
    assert "BS. Phạm Văn Hùng" in mentees and "End this mentorship" in mentees
    waiting = page[page.index('id="waiting"') : page.index('id="quota"')]
    assert "BS. Hoàng Văn Nam" in waiting and url(made, "withdraw") in waiting
    closed = page[page.index('id="closed"') :]
    assert "BS. Vũ Văn Kết" in closed and "Chuyển công tác" in closed and "Ended" in closed

    # The mentee sees their mentor, and other mentors it may ask (one more, up to two).
    mentee_page = text_of(signed_in(active_mentee).get(PAGE))
    mentors = mentee_page[mentee_page.index('id="mentors"') : mentee_page.index('id="mentees"')]
    assert "GS. Nguyễn Thị Lan" in mentors and my_mentor.full_name not in mentors
    assert my_mentor.full_name in mentee_page[mentee_page.index('id="mentor-candidates"') :]


def test_the_quota_shows_required_maximum_active_and_open_slots_per_tier(signed_in, mentor, mentee):
    factories.mentorship(mentor, mentee)
    page = text_of(signed_in(mentor).get(PAGE))
    quota = page[page.index('id="quota"') : page.index('id="mentee-suggestions"')]
    assert "Quota policy version 1" in quota
    row = quota[quota.index('data-tier="provincial"') :]
    row = row[: row.index("</tr>")]
    # Provincial: required 4, maximum 4, active 1, open 3 (and 3 missing).
    for figure, value in (("required", 4), ("maximum", 4), ("active", 1), ("open", 3)):
        assert f'data-figure="{figure}">{value}<' in row
    assert "3 missing" in row
    assert 'data-tier="district"' in quota and 'data-tier="commune"' in quota


def test_a_mentee_sees_no_quota_and_mentors_it_may_ask(signed_in, mentor, mentee):
    page = text_of(signed_in(mentee).get(PAGE))
    assert 'id="quota"' not in page
    candidates = page[page.index('id="mentor-candidates"') :]
    assert f'data-suggestion="{mentor.public_id}"' in candidates
    assert "Ask to be mentored" in candidates


def test_suggestions_per_tier_with_open_slots_and_a_propose_button(signed_in, mentor, mentee):
    district = factories.doctor(tier=Tier.DISTRICT, full_name="BS. Trịnh Văn Huyện")
    page = text_of(signed_in(mentor).get(PAGE))
    suggestions = page[page.index('id="mentee-suggestions"') :]
    provincial = suggestions[
        suggestions.index('data-tier="provincial"') : suggestions.index('data-tier="district"')
    ]
    assert f'data-suggestion="{mentee.public_id}"' in provincial and "Offer to mentor" in provincial
    assert (
        f'data-suggestion="{district.public_id}"' in suggestions[suggestions.index('data-tier="district"') :]
    )
    # The central mentor has no mentors to be suggested (the policy gives central none).
    assert 'id="mentor-candidates"' not in page


def test_a_full_tier_suggests_nobody_and_says_so(signed_in, mentor):
    for _ in range(4):
        factories.mentorship(mentor, factories.doctor(tier=Tier.PROVINCIAL))
    spare = factories.doctor(tier=Tier.PROVINCIAL)
    page = text_of(signed_in(mentor).get(PAGE))
    provincial = page[page.index('<ul class="people" data-tier="provincial"') :]
    provincial = provincial[: provincial.index("</ul>")]
    assert str(spare.public_id) not in provincial
    assert "Your slots at this tier are full." in provincial


# --- Buttons: the services' changes, and their refusals ------------------------------------------


def test_accepting_starts_the_mentorship_as_the_service_does(signed_in, mentor, mentee):
    asked = proposal(mentor, mentee)
    response = signed_in(mentee).post(url(asked, "accept"), follow=True)

    assert response.redirect_chain == [(PAGE, 302)]
    assert "You accepted the mentorship." in messages_of(response)
    started = fresh(asked)
    assert started.status == Mentorship.Status.ACTIVE
    assert started.started_at is not None and started.mentee_accepted_at is not None
    assert Connection.objects.filter(doctor=mentor, peer=mentee).exists()
    assert AuditEvent.objects.filter(action="mentorship.started", target_id=str(asked.pk)).exists()
    assert "BS. Phạm Văn Hùng" not in text_of(response).split('id="to-answer"')[-1].split('id="mentees"')[0]


def test_declining_and_withdrawing(signed_in, mentor, mentee):
    asked = proposal(mentor, mentee)
    response = signed_in(mentee).post(url(asked, "decline"), follow=True)
    assert "You declined the proposal." in messages_of(response)
    assert fresh(asked).status == Mentorship.Status.DECLINED

    again = proposal(mentor, mentee)
    # Only the proposer withdraws: the other doctor is refused with the service's text.
    refused = signed_in(mentee).post(url(again, "withdraw"), follow=True)
    assert "Only the doctor who proposed it can withdraw it; decline it instead." in messages_of(refused)
    assert fresh(again).status == Mentorship.Status.PROPOSED

    response = signed_in(mentor).post(url(again, "withdraw"), follow=True)
    assert "You withdrew your proposal." in messages_of(response)
    assert fresh(again).status == Mentorship.Status.WITHDRAWN
    # Answering it now is refused, nothing changes.
    late = signed_in(mentee).post(url(again, "accept"), follow=True)
    assert "This proposal was already answered, withdrawn or expired." in messages_of(late)
    assert fresh(again).status == Mentorship.Status.WITHDRAWN


def test_accepting_beyond_the_mentors_quota_is_refused_and_changes_nothing(signed_in, mentor):
    waiting_mentee = factories.doctor(tier=Tier.PROVINCIAL)
    pending = proposal(mentor, waiting_mentee)
    for _ in range(4):
        factories.mentorship(mentor, factories.doctor(tier=Tier.PROVINCIAL))

    response = signed_in(waiting_mentee).post(url(pending, "accept"), follow=True)

    assert messages_of(response) == ["The mentor already has the maximum of 4 mentees at this tier."]
    unchanged = fresh(pending)
    assert unchanged.status == Mentorship.Status.PROPOSED and unchanged.mentee_accepted_at is None
    assert Mentorship.objects.filter(mentor=mentor, status=Mentorship.Status.ACTIVE).count() == 4


def test_ending_with_a_reason(signed_in, mentor, mentee):
    active = factories.mentorship(mentor, mentee)
    response = signed_in(mentee).post(
        url(active, "end"), {"reason": "Đã hoàn thành\r\nchương trình"}, follow=True
    )
    assert "The mentorship has ended." in messages_of(response)
    ended = fresh(active)
    assert ended.status == Mentorship.Status.ENDED and ended.ended_by_id == mentee.pk
    assert ended.end_reason == "Đã hoàn thành\nchương trình"


def test_ending_without_a_reason_shows_the_services_text_on_the_form(signed_in, mentor, mentee):
    active = factories.mentorship(mentor, mentee)
    response = signed_in(mentor).post(url(active, "end"), {"reason": "  "})
    assert response.status_code == 200
    page = text_of(response)
    form = page[page.index(f'action="{url(active, "end")}"') :]
    assert "Say why the mentorship ends." in form[: form.index("</form>")]
    assert '<details class="inline-form end-form" open>' in page
    assert fresh(active).status == Mentorship.Status.ACTIVE


def test_proposing_from_a_suggestion_as_mentor_and_as_mentee(signed_in, mentor, mentee):
    response = signed_in(mentor).post(
        PROPOSE, {"doctor": str(mentee.public_id), "role": "mentor", "message": "Chào em"}, follow=True
    )
    assert response.redirect_chain == [(PAGE, 302)]
    assert "Your proposal is sent. The mentorship starts when the other doctor accepts." in messages_of(
        response
    )
    made = Mentorship.objects.get()
    assert (made.mentor_id, made.mentee_id, made.proposed_as, made.message) == (
        mentor.pk,
        mentee.pk,
        Mentorship.Proposer.MENTOR,
        "Chào em",
    )
    assert made.mentor_accepted_at is not None and made.mentee_accepted_at is None

    other_mentor = factories.doctor(tier=Tier.CENTRAL)
    signed_in(mentee).post(PROPOSE, {"doctor": str(other_mentor.public_id), "role": "mentee"})
    asked = Mentorship.objects.get(mentor=other_mentor)
    assert asked.proposed_as == Mentorship.Proposer.MENTEE and asked.mentee_accepted_at is not None


def test_proposals_the_service_refuses_show_its_text_and_create_nothing(signed_in, mentor, mentee):
    for _ in range(4):
        factories.mentorship(mentor, factories.doctor(tier=Tier.PROVINCIAL))
    client = signed_in(mentor)
    full = client.post(PROPOSE, {"doctor": str(mentee.public_id), "role": "mentor"}, follow=True)
    assert messages_of(full) == ["The mentor already has the maximum of 4 mentees at this tier."]

    peer = factories.doctor(tier=Tier.CENTRAL)
    same_tier = client.post(PROPOSE, {"doctor": str(peer.public_id), "role": "mentor"}, follow=True)
    assert messages_of(same_tier) == [
        "The quota policy in force does not pair a Central mentor with a Central mentee."
    ]
    too_long = client.post(
        PROPOSE,
        {
            "doctor": str(factories.doctor(tier=Tier.DISTRICT).public_id),
            "role": "mentor",
            "message": "x" * 501,
        },
        follow=True,
    )
    assert messages_of(too_long) == ["Keep the message under 500 characters."]
    Block.objects.create(blocker=mentee, blocked=mentor)
    blocked = signed_in(mentee).post(
        PROPOSE, {"doctor": str(mentor.public_id), "role": "mentee"}, follow=True
    )
    assert messages_of(blocked) == ["These doctors cannot be paired."]
    assert Mentorship.objects.filter(status=Mentorship.Status.PROPOSED).count() == 0


def test_mentorships_and_doctors_the_viewer_may_not_see_are_not_found(signed_in, mentor, mentee):
    theirs = proposal(mentor, mentee)
    stranger = factories.doctor(tier=Tier.PROVINCIAL)
    client = signed_in(stranger)
    for action in ("accept", "decline", "withdraw", "end"):
        assert client.post(url(theirs, action), {"reason": "x"}).status_code == 404
    assert fresh(theirs).status == Mentorship.Status.PROPOSED

    unverified = factories.doctor(status=VerificationStatus.PENDING, tier=Tier.CENTRAL)
    assert client.post(PROPOSE, {"doctor": str(unverified.public_id), "role": "mentee"}).status_code == 404
    malformed = client.post(PROPOSE, {"doctor": "not-a-uuid", "role": "mentee"}, follow=True)
    assert messages_of(malformed) == ["Choose a doctor to propose a mentorship to."]
    assert Mentorship.objects.count() == 1


def test_buttons_are_posts_protected_against_csrf(mentor, mentee):
    asked = proposal(mentor, mentee)
    client = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(mentee)
    assert client.get(url(asked, "accept")).status_code == 405
    assert client.post(url(asked, "accept")).status_code == 403
    assert client.post(PROPOSE, {"doctor": str(mentor.public_id), "role": "mentee"}).status_code == 403
    assert fresh(asked).status == Mentorship.Status.PROPOSED

    # With the page's token, the same button works.
    client.get(PAGE)
    token = client.cookies[settings.CSRF_COOKIE_NAME].value
    response = client.post(url(asked, "accept"), {"csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert fresh(asked).status == Mentorship.Status.ACTIVE


# --- The profile page's button (the include proposed to the network pages' owner) ----------------

PROFILE_SNIPPET = "{% load mentoring %}{% mentorship_propose person %}"


def render_on_profile(viewer: User, person: User) -> str:
    request = RequestFactory().get(f"/network/doctors/{person.public_id}/")
    request.user = viewer
    with translation.override("en"):
        return Template(PROFILE_SNIPPET).render(Context({"request": request, "person": person}))


def test_the_profile_button_shows_only_where_the_policy_pairs_the_two(mentor, mentee):
    offer = render_on_profile(mentor, mentee)
    assert 'id="mentorship-propose"' in offer and 'name="role" value="mentor"' in offer
    assert f'name="next" value="/network/doctors/{mentee.public_id}/"' in offer
    ask = render_on_profile(mentee, mentor)
    assert 'name="role" value="mentee"' in ask and "Ask to be mentored" in ask
    assert "mentorship-propose" not in render_on_profile(mentor, factories.doctor(tier=Tier.CENTRAL))
    assert "mentorship-propose" not in render_on_profile(mentor, mentor)
    proposal(mentor, mentee)
    assert "mentorship-propose" not in render_on_profile(mentor, mentee)
    unverified = factories.doctor(status=VerificationStatus.PENDING, tier=Tier.PROVINCIAL)
    assert "mentorship-propose" not in render_on_profile(unverified, mentor)


def test_a_proposal_from_the_profile_comes_back_to_it(signed_in, mentor, mentee):
    profile = f"/network/doctors/{mentee.public_id}/"
    response = signed_in(mentor).post(
        PROPOSE, {"doctor": str(mentee.public_id), "role": "mentor", "next": profile}
    )
    assert response.status_code == 302 and response["Location"] == profile
    assert Mentorship.objects.filter(mentor=mentor, mentee=mentee).exists()
    elsewhere = signed_in(mentor).post(
        PROPOSE, {"doctor": str(mentee.public_id), "role": "mentor", "next": "https://evil.example/"}
    )
    assert elsewhere["Location"] == PAGE


# --- Languages and cost --------------------------------------------------------------------------


def test_the_page_in_vietnamese_by_default_and_by_cookie(client, mentor, mentee):
    proposal(mentor, mentee)
    client.force_login(mentee)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "vi"
    page = text_of(client.get(PAGE))
    assert '<html lang="vi">' in page and "Đăng xuất" in page
    assert "GS. Nguyễn Thị Lan" in page

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = text_of(client.get(PAGE))
    assert '<html lang="en">' in english and "Proposals waiting for your answer" in english


def test_the_page_in_english(signed_in, mentor, mentee):
    factories.mentorship(mentor, mentee)
    page = text_of(signed_in(mentee, "en").get(PAGE))
    assert '<html lang="en">' in page and "My mentors" in page and "Sign out" in page


def _busy_mentor(mentor: User) -> None:
    """Mentees at every tier, proposals both ways, closed ones, more doctors to suggest."""
    for tier, count in ((Tier.PROVINCIAL, 2), (Tier.DISTRICT, 4), (Tier.COMMUNE, 1)):
        for _ in range(count):
            factories.mentorship(mentor, factories.doctor(tier=tier))
    for _ in range(3):
        asker = factories.doctor(tier=Tier.PROVINCIAL)
        proposal(mentor, asker, by=asker)
    for _ in range(3):
        ended = factories.mentorship(mentor, factories.doctor(tier=Tier.COMMUNE))
        services.end_mentorship(mentor, ended.public_id, reason="Kết thúc")
    proposal(mentor, factories.doctor(tier=Tier.PROVINCIAL))
    for _ in range(6):
        factories.doctor(tier=Tier.PROVINCIAL).specialties.add(factories.specialty())


def test_the_page_costs_the_same_queries_for_1_and_many_mentorships(
    signed_in, mentor, mentee, django_assert_max_num_queries
):
    factories.mentorship(mentor, mentee)
    client = signed_in(mentor)
    with CaptureQueriesContext(connection) as one:
        assert client.get(PAGE).status_code == 200
    _busy_mentor(mentor)
    with django_assert_max_num_queries(len(one)):
        page = text_of(client.get(PAGE))
    assert page.count("End this mentorship") == 1 + 2 + 4 + 1


def test_the_mentees_page_costs_the_same_queries_for_1_and_many(
    signed_in, mentor, mentee, django_assert_max_num_queries
):
    factories.mentorship(mentor, mentee)
    client = signed_in(mentee)
    with CaptureQueriesContext(connection) as one:
        client.get(PAGE)
    factories.mentorship(factories.doctor(tier=Tier.CENTRAL), mentee)
    for _ in range(3):
        ended = factories.mentorship(
            factories.doctor(tier=Tier.CENTRAL), factories.doctor(tier=Tier.PROVINCIAL)
        )
        services.end_mentorship(ended.mentor, ended.public_id, reason="x")
    for _ in range(5):
        factories.doctor(tier=Tier.CENTRAL)
    with django_assert_max_num_queries(len(one)):
        page = text_of(client.get(PAGE))
    assert page.count("End this mentorship") == 2
