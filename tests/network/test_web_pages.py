"""The doctors' web pages of the network (``network.web``): each page answers, shows what the
selectors give it, acts through the services, refuses what they refuse, and never shows what the
viewer may not see. Feed and case pages cost the same number of queries at 1 and 50 rows."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from accounts.models import User, VerificationStatus
from network import web
from network.models import (
    Block,
    Case,
    CaseRevision,
    Comment,
    Connection,
    ConnectionRequest,
    ContentReport,
    HelpfulReaction,
    Notification,
    NotificationKind,
    NotificationMute,
    SpecialtyFollow,
)
from network.services.comments import add_comment
from network.services.connections import send_connection_request
from tests import factories
from tests.network.test_cases_builders import (
    PRESENTING_PROBLEM,
    QUESTION,
    TITLE,
    block,
    comment_on,
    connect,
    png_bytes,
    published_case,
)

pytestmark = pytest.mark.django_db

FEED = "/network/"
NEW_CASE = "/network/cases/new/"
CONNECTIONS = "/network/connections/"
NOTIFICATIONS = "/network/notifications/"

# What a doctor might paste from the record: a mobile number and a 12-digit citizen ID.
PHONE = "0912345678"
CITIZEN_ID = "001085012345"
IDENTIFYING_PROBLEM = f"Đau ngực trái 2 giờ, người nhà gọi {PHONE}, CCCD {CITIZEN_ID}"


def case_url(case: Case) -> str:
    return f"/network/cases/{case.public_id}/"


def doctor_url(doctor: User) -> str:
    return f"/network/doctors/{doctor.public_id}/"


@pytest.fixture
def signed_in(client: Client):
    """``signed_in(user)``: the test client signed in as ``user``, asking for English pages."""

    def sign_in(user: User) -> Client:
        client.force_login(user)
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        return client

    return sign_in


@pytest.fixture
def author():
    return factories.doctor(full_name="Trần Thị Hồng")


@pytest.fixture
def colleague(author):
    """A verified doctor connected to ``author``."""
    doctor = factories.doctor(full_name="Lê Văn Minh")
    connect(author, doctor)
    return doctor


def case_form(**overrides: str) -> dict[str, str]:
    """The case form as a browser posts it (a valid case that passes the guard)."""
    return {
        "title": TITLE,
        "specialty": str(factories.specialty().pk),
        "icd10_codes": "I21.0",
        "age_band": "45-59",
        "sex": "male",
        "presenting_problem": PRESENTING_PROBLEM,
        "history": "",
        "findings": "",
        "investigations": "",
        "question": QUESTION,
        "tags": "tim mạch, ECG",
        "visibility": "network",
        "consent_by": "",
        "consent_method": "",
        "consent_note": "",
        **overrides,
    }


def text_of(response) -> str:
    return response.content.decode()


# --- Who may open the pages ----------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get(FEED)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/network/")


@pytest.mark.parametrize(
    ("status", "may_submit"),
    [(VerificationStatus.UNVERIFIED, True), (VerificationStatus.PENDING, False)],
)
@pytest.mark.parametrize("page", [FEED, NEW_CASE, CONNECTIONS, NOTIFICATIONS])
def test_doctors_not_verified_are_told_why_and_where_to_submit_their_licence(
    signed_in, status, may_submit, page
):
    doctor = factories.doctor(status=status)
    response = signed_in(doctor).get(page)
    assert response.status_code == 403
    body = text_of(response)
    assert 'id="not-verified"' in body
    assert "Only doctors with a verified, current practice licence can do this." in body
    assert ('href="/doctors/licence/"' in body) is may_submit


def test_a_doctor_whose_licence_lapsed_is_refused_like_any_unverified_doctor(signed_in):
    doctor = factories.doctor()
    User.objects.filter(pk=doctor.pk).update(licence_expires_on=timezone.localdate() - timedelta(days=1))
    doctor.refresh_from_db()
    response = signed_in(doctor).get(FEED)
    assert response.status_code == 403
    assert 'href="/doctors/licence/"' in text_of(response)


def test_the_header_has_the_network_menu_and_a_live_badge_for_verified_doctors(signed_in, author):
    body = text_of(signed_in(author).get("/"))
    assert 'href="/network/"' in body
    assert 'href="/network/connections/"' in body
    assert re.search(
        r'<a class="notifications-link" href="/network/notifications/" data-notification-badge', body
    )
    assert 'data-socket-path="/graphql/"' in body
    assert "js/notifications.js" in body
    assert "js/graphql-ws.js" in body  # the socket client it speaks through


def test_doctors_not_verified_get_no_live_badge(signed_in):
    body = text_of(signed_in(factories.doctor(status=VerificationStatus.PENDING)).get("/"))
    assert 'href="/network/notifications/"' in body
    assert "data-notification-badge" not in body
    assert "js/notifications.js" not in body
    assert "js/graphql-ws.js" not in body


def test_anonymous_visitors_see_no_network_menu(client):
    body = text_of(client.get("/"))
    assert 'href="/network/"' not in body
    assert "js/notifications.js" not in body


@pytest.mark.parametrize(
    ("page", "sources"),
    [
        ("feed", ("Feed", "Post a case")),
        ("case", ("Refer this case", "Close to new comments")),
        ("new case", ("Post a case",)),
        ("my cases", ("My cases",)),
        ("profile", ("Edit your profile",)),
        ("connections", ("Connections",)),
        ("notifications", ("Notifications", "Notification settings")),
    ],
)
def test_every_network_page_speaks_vietnamese_by_default(client, author, colleague, page, sources):
    """Pages follow the browser's language, Vietnamese first: each of these reads its
    translations, and none of the English it is written in."""
    case = published_case(author)
    url = {
        "feed": FEED,
        "case": case_url(case),
        "new case": NEW_CASE,
        "my cases": "/network/cases/mine/",
        "profile": doctor_url(author),
        "connections": CONNECTIONS,
        "notifications": NOTIFICATIONS,
    }[page]
    client.force_login(author)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "vi"
    body = text_of(client.get(url))
    assert '<html lang="vi"' in body
    with translation.override("vi"):
        for source in sources:
            translated = translation.gettext(source)
            assert translated != source and translated in body, source
            assert f">{source}<" not in body, source


# --- Feed ------------------------------------------------------------------------------------------


def test_the_feed_shows_cases_of_connections_and_followed_specialties_only(signed_in, author, colleague):
    from_colleague = published_case(colleague, title="Sốt kéo dài ở trẻ 3 tuổi")
    stranger = factories.doctor()
    from_stranger = published_case(stranger, title="Ca của người lạ")
    paediatrics = factories.specialty("paediatrics", "Nhi khoa", "Paediatrics")
    followed = published_case(stranger, title="Viêm phổi ở trẻ nhỏ")
    Case.objects.filter(pk=followed.pk).update(specialty=paediatrics)
    SpecialtyFollow.objects.create(doctor=author, specialty=paediatrics)
    comment_on(from_colleague, author, body="Cần cấy máu trước kháng sinh")

    body = text_of(signed_in(author).get(FEED))
    assert from_colleague.title in body
    assert followed.title in body
    assert from_stranger.title not in body
    assert "Cần cấy máu trước kháng sinh" in body  # the card's first comments
    assert "1 comment" in body


def test_the_feed_never_shows_a_case_the_viewer_may_not_see(signed_in, author, colleague):
    blocked_author = factories.doctor()
    connect(author, blocked_author)
    block(author, blocked_author)
    hidden = published_case(blocked_author, title="Ca của người bị chặn")
    other = factories.doctor()
    connect(author, other)
    named = published_case(other, title="Ca chỉ cho người được nêu tên", visibility=Case.Visibility.NAMED)
    draft = published_case(colleague, title="Bản nháp của đồng nghiệp", status=Case.Status.DRAFT)
    removed = published_case(colleague, title="Ca đã bị ẩn", hidden_at=timezone.now())

    body = text_of(signed_in(author).get(FEED))
    for case in (hidden, named, draft, removed):
        assert case.title not in body


def test_the_feed_pages_by_cursor_with_an_older_link(signed_in, author, colleague, monkeypatch):
    monkeypatch.setattr(web, "FEED_PAGE_SIZE", 2)
    now = timezone.now()
    cases = [
        published_case(colleague, title=f"Ca số {n}", published_at=now - timedelta(minutes=n))
        for n in range(3)
    ]
    client = signed_in(author)
    first = text_of(client.get(FEED))
    assert cases[0].title in first and cases[1].title in first
    assert cases[2].title not in first
    older = re.search(r'href="\?after=([^"]+)">Older<', first)
    assert older is not None

    second = text_of(client.get(FEED + "?after=" + older.group(1)))
    assert cases[2].title in second
    assert cases[0].title not in second
    assert ">Older<" not in second
    assert ">Newest<" in second


def test_a_malformed_feed_cursor_is_not_found(signed_in, author):
    assert signed_in(author).get(FEED + "?after=not-a-cursor").status_code == 404


def _feed_queries(client: Client, monkeypatch, size: int) -> int:
    monkeypatch.setattr(web, "FEED_PAGE_SIZE", size)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(FEED)
    assert response.status_code == 200
    assert text_of(response).count('class="card case-card"') == size
    return len(queries)


def test_the_feed_page_costs_the_same_queries_for_1_and_50_cases(
    signed_in, author, colleague, monkeypatch, django_assert_max_num_queries
):
    colleague.specialties.add(factories.specialty())
    now = timezone.now()
    for n in range(51):
        case = published_case(colleague, title=f"Ca {n}", published_at=now - timedelta(minutes=n))
        comment_on(case, author)
        comment_on(case, colleague)
    client = signed_in(author)
    one = _feed_queries(client, monkeypatch, 1)
    fifty = _feed_queries(client, monkeypatch, 50)
    assert one == fifty
    monkeypatch.setattr(web, "FEED_PAGE_SIZE", 50)
    with django_assert_max_num_queries(10):
        client.get(FEED)


# --- Case page -------------------------------------------------------------------------------------


def test_the_case_page_shows_the_case_its_discussion_and_the_authors_tools(signed_in, author, colleague):
    case = published_case(
        author, history="Tăng huyết áp 10 năm", findings="HA 160/90", investigations="ECG: ST chênh lên"
    )
    question = comment_on(case, colleague, body="Nên chụp mạch vành cấp cứu")
    comment_on(case, author, body="Cảm ơn, đã chuyển tuyến", parent=question)
    HelpfulReaction.objects.create(comment=question, doctor=author)

    body = text_of(signed_in(author).get(case_url(case)))
    for text in (
        case.title,
        PRESENTING_PROBLEM,
        QUESTION,
        "Tăng huyết áp 10 năm",
        "HA 160/90",
        "ECG: ST chênh lên",
    ):
        assert text in body
    assert "Nên chụp mạch vành cấp cứu" in body
    assert "Cảm ơn, đã chuyển tuyến" in body
    assert 'class="comment reply' in body
    assert "Lê Văn Minh" in body
    assert "2 comments" in body
    assert f'action="/network/comments/{question.public_id}/accept/"' in body  # the author accepts answers
    assert 'aria-pressed="true">Helpful (1)' in body  # the viewer's own mark, and the count
    assert f'action="/network/cases/{case.public_id}/close/"' in body
    assert "Report this case" not in body  # not one's own


def test_other_doctors_get_helpful_reply_and_report_but_no_authors_tools(signed_in, author, colleague):
    case = published_case(author)
    answer = comment_on(case, author, body="Bổ sung: men tim tăng")
    body = text_of(signed_in(colleague).get(case_url(case)))
    assert f'action="/network/comments/{answer.public_id}/helpful/"' in body
    assert "Report this case" in body
    assert "/accept/" not in body
    assert "/edit/" not in body.split('id="comments"')[0]


@pytest.mark.parametrize("reason", ["connections_only", "named", "blocked", "draft", "hidden", "deleted"])
def test_a_case_the_viewer_may_not_see_is_not_found_on_every_page(signed_in, author, reason):
    viewer = factories.doctor()
    visibility = {"connections_only": Case.Visibility.CONNECTIONS, "named": Case.Visibility.NAMED}
    extra: dict = {}
    if reason == "draft":
        extra["status"] = Case.Status.DRAFT
    if reason == "hidden":
        extra["hidden_at"] = timezone.now()
    if reason == "deleted":
        extra["deleted_at"] = timezone.now()
    case = published_case(author, visibility=visibility.get(reason, Case.Visibility.NETWORK), **extra)
    comment = comment_on(case, author)
    if reason == "blocked":
        block(author, viewer)
    client = signed_in(viewer)
    for url in (case_url(case), case_url(case) + "edit/", case_url(case) + "attachments/"):
        assert client.get(url).status_code == 404, url
    for url in (
        case_url(case) + "comments/",
        case_url(case) + "report/",
        case_url(case) + "publish/",
        f"/network/comments/{comment.public_id}/helpful/",
        f"/network/comments/{comment.public_id}/report/",
    ):
        assert client.post(url, {"body": "Ý kiến", "reason": "spam"}).status_code == 404, url
    assert Comment.objects.filter(case=case).count() == 1
    assert not ContentReport.objects.exists()
    assert not HelpfulReaction.objects.exists()


def _case_page_queries(client: Client, case: Case) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(case_url(case))
    assert response.status_code == 200
    return len(queries)


def test_the_case_page_costs_the_same_queries_for_1_and_50_comments(
    signed_in, author, colleague, django_assert_max_num_queries
):
    colleague.specialties.add(factories.specialty())
    small, large = (
        published_case(author, title="Ít bình luận"),
        published_case(author, title="Nhiều bình luận"),
    )
    for case, count in ((small, 1), (large, 50)):
        for n in range(count):
            top = comment_on(case, colleague, body=f"Ý kiến {n}")
            comment_on(case, author, body=f"Trả lời {n}", parent=top)
            HelpfulReaction.objects.create(comment=top, doctor=author)
    client = signed_in(author)
    assert _case_page_queries(client, small) == _case_page_queries(client, large)
    with django_assert_max_num_queries(16):
        client.get(case_url(large))


# --- Posting and editing a case --------------------------------------------------------------------


def test_the_new_case_form_has_every_case_field(signed_in, author, colleague):
    body = text_of(signed_in(author).get(NEW_CASE))
    for name in (
        "title",
        "specialty",
        "icd10_codes",
        "age_band",
        "sex",
        "presenting_problem",
        "history",
        "findings",
        "investigations",
        "question",
        "tags",
        "visibility",
        "audience",
        "consent_by",
        "consent_method",
        "consent_note",
    ):
        assert f'name="{name}"' in body, name
    assert "Lê Văn Minh" in body  # a connection to name in the audience


def test_a_case_with_patient_identifiers_is_refused_with_the_spans_marked_and_nothing_stored(
    signed_in, author
):
    response = signed_in(author).post(
        NEW_CASE,
        case_form(presenting_problem=IDENTIFYING_PROBLEM, title="BN Nguyễn Văn An 58 tuổi đau ngực"),
        follow=False,
    )
    assert response.status_code == 200
    body = text_of(response)
    assert 'id="identifier-refusal"' in body
    # The field's own text comes back with each identifier marked and labelled in place.
    assert (
        f'người nhà gọi <mark data-kind="PHONE_NUMBER">{PHONE}</mark><span class="identifier-kind">phone number</span>'
        in body
    )
    assert f'<mark data-kind="CITIZEN_ID">{CITIZEN_ID}</mark>' in body
    assert '<mark data-kind="PATIENT_NAME">' in body
    assert "Remove what identifies the patient: phone number, citizen ID number." in body
    # The text stays in the form to be fixed, and nothing was stored.
    assert IDENTIFYING_PROBLEM in body
    assert not Case.objects.exists()
    assert not CaseRevision.objects.exists()


def test_fixing_the_text_and_publishing_posts_the_case(signed_in, author):
    client = signed_in(author)
    client.post(NEW_CASE, case_form(presenting_problem=IDENTIFYING_PROBLEM, publish="1"))
    response = client.post(NEW_CASE, case_form(publish="1"))
    case = Case.objects.get()
    assert response.status_code == 302
    assert response["Location"] == case_url(case)
    assert case.status == Case.Status.OPEN
    assert case.published_at is not None
    assert case.icd10_codes == ["I21.0"]
    assert case.tags == ["tim mạch", "ECG"]
    assert "Your case is published." in text_of(client.get(case_url(case)))


def test_a_draft_is_seen_by_its_author_only_until_published(signed_in, author, colleague):
    client = signed_in(author)
    client.post(NEW_CASE, case_form(draft="1"))
    case = Case.objects.get()
    assert case.status == Case.Status.DRAFT
    body = text_of(client.get(case_url(case)))
    assert "This is a draft" in body
    assert f'action="/network/cases/{case.public_id}/publish/"' in body

    assert signed_in(colleague).get(case_url(case)).status_code == 404
    client = signed_in(author)
    assert client.post(case_url(case) + "publish/").status_code == 302
    case.refresh_from_db()
    assert case.status == Case.Status.OPEN
    assert signed_in(colleague).get(case_url(case)).status_code == 200


def test_a_case_for_named_doctors_is_shown_to_them_only(signed_in, author, colleague):
    signed_in(author).post(
        NEW_CASE, case_form(visibility="named", audience=[str(colleague.public_id)], publish="1")
    )
    case = Case.objects.get()
    assert list(case.audience.values_list("doctor", flat=True)) == [colleague.pk]
    assert signed_in(colleague).get(case_url(case)).status_code == 200
    assert signed_in(factories.doctor()).get(case_url(case)).status_code == 404


def test_the_services_rules_show_on_the_form_fields(signed_in, author):
    response = signed_in(author).post(NEW_CASE, case_form(title="", icd10_codes="not-a-code", publish="1"))
    assert response.status_code == 200
    body = text_of(response)
    assert re.search(r'id="field-title">.*?This field is required\.', body, re.S)
    assert re.search(r'id="field-icd10_codes">.*?Not ICD-10 codes: NOT-A-CODE', body, re.S)
    assert not Case.objects.exists()


def test_the_author_edits_the_case_and_its_history_is_kept(signed_in, author):
    case = published_case(author)
    client = signed_in(author)
    form = text_of(client.get(case_url(case) + "edit/"))
    assert TITLE in form and PRESENTING_PROBLEM in form

    response = client.post(case_url(case) + "edit/", case_form(title="Nam 58 tuổi đau ngực, ST chênh"))
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.title == "Nam 58 tuổi đau ngực, ST chênh"
    body = text_of(client.get(case_url(case)))
    assert "Edit history" in body
    assert CaseRevision.objects.filter(case=case).exists()


def test_an_edit_with_identifiers_is_refused_with_the_spans_and_changes_nothing(signed_in, author):
    case = published_case(author)
    response = signed_in(author).post(case_url(case) + "edit/", case_form(history=f"Liên hệ {PHONE}"))
    assert response.status_code == 200
    assert f'Liên hệ <mark data-kind="PHONE_NUMBER">{PHONE}</mark>' in text_of(response)
    case.refresh_from_db()
    assert case.history == ""
    assert not CaseRevision.objects.exists()


def test_only_the_author_edits_a_case(signed_in, author, colleague):
    case = published_case(author)
    client = signed_in(colleague)
    assert client.get(case_url(case) + "edit/").status_code == 403
    client.post(case_url(case) + "close/")
    case.refresh_from_db()
    assert case.status == Case.Status.OPEN


def test_the_author_attaches_an_image_and_it_shows_on_the_case_page(signed_in, author):
    case = published_case(author, status=Case.Status.DRAFT)
    client = signed_in(author)
    response = client.post(
        case_url(case) + "attachments/",
        {"file": SimpleUploadedFile("scan.png", png_bytes(), "image/png"), "caption": "Phim X-quang ngực"},
    )
    assert response.status_code == 302
    attachment = case.attachments.get()
    body = text_of(client.get(case_url(case)))
    assert f'src="/network/attachments/{attachment.pk}/"' in body
    assert "Phim X-quang ngực" in body

    client.post(f"/network/attachments/{attachment.pk}/remove/")
    assert not case.attachments.exists()


def test_the_author_closes_reopens_and_deletes_a_case(signed_in, author):
    case = published_case(author)
    client = signed_in(author)
    client.post(case_url(case) + "close/")
    case.refresh_from_db()
    assert case.status == Case.Status.CLOSED
    assert "This case is closed to new comments." in text_of(client.get(case_url(case)))
    client.post(case_url(case) + "reopen/")
    case.refresh_from_db()
    assert case.status == Case.Status.OPEN
    assert client.post(case_url(case) + "delete/")["Location"] == "/network/cases/mine/"
    assert client.get(case_url(case)).status_code == 404


def test_my_cases_lists_drafts_and_published_cases(signed_in, author):
    draft = published_case(author, title="Bản nháp của tôi", status=Case.Status.DRAFT)
    published = published_case(author, title="Ca đã đăng")
    body = text_of(signed_in(author).get("/network/cases/mine/"))
    assert draft.title in body and published.title in body


# --- Discussion ------------------------------------------------------------------------------------


def test_a_comment_is_posted_and_the_author_notified(signed_in, author, colleague):
    case = published_case(author)
    response = signed_in(colleague).post(
        case_url(case) + "comments/", {"body": "Nên làm lại troponin sau 3 giờ"}
    )
    comment = Comment.objects.get()
    assert response["Location"] == f"{case_url(case)}#comment-{comment.public_id}"
    assert comment.author == colleague
    assert Notification.objects.get(recipient=author).kind == NotificationKind.CASE_COMMENTED


def test_a_reply_joins_the_thread_of_the_comment(signed_in, author, colleague):
    case = published_case(author)
    top = comment_on(case, author, body="Có ai gặp ca tương tự?")
    signed_in(colleague).post(
        case_url(case) + "comments/", {"body": "Tôi đã gặp", "parent": str(top.public_id)}
    )
    reply = Comment.objects.exclude(pk=top.pk).get()
    assert reply.parent == top


def test_a_comment_with_patient_identifiers_is_refused_with_the_spans_marked(signed_in, author, colleague):
    case = published_case(author)
    response = signed_in(colleague).post(case_url(case) + "comments/", {"body": f"Gọi cho tôi: {PHONE}"})
    assert response.status_code == 200
    body = text_of(response)
    assert f'Gọi cho tôi: <mark data-kind="PHONE_NUMBER">{PHONE}</mark>' in body
    assert not Comment.objects.exists()
    assert not Notification.objects.exists()


def test_helpful_marks_are_given_and_withdrawn(signed_in, author, colleague):
    case = published_case(author)
    comment = comment_on(case, author)
    client = signed_in(colleague)
    client.post(f"/network/comments/{comment.public_id}/helpful/")
    assert HelpfulReaction.objects.filter(comment=comment, doctor=colleague).exists()
    assert 'aria-pressed="true">Helpful (1)' in text_of(client.get(case_url(case)))
    client.post(f"/network/comments/{comment.public_id}/helpful/", {"helpful": "0"})
    assert not HelpfulReaction.objects.exists()


def test_the_author_accepts_an_answer(signed_in, author, colleague):
    case = published_case(author)
    answer = comment_on(case, colleague)
    signed_in(author).post(f"/network/comments/{answer.public_id}/accept/")
    case.refresh_from_db()
    assert case.accepted_answer == answer
    assert case.status == Case.Status.ANSWERED
    assert "Accepted answer" in text_of(signed_in(colleague).get(case_url(case)))


def test_only_the_author_accepts_an_answer(signed_in, author, colleague):
    case = published_case(author)
    answer = comment_on(case, factories.doctor())
    response = signed_in(colleague).post(f"/network/comments/{answer.public_id}/accept/", follow=True)
    assert "Only the author of the case can do this." in text_of(response)
    case.refresh_from_db()
    assert case.accepted_answer is None


def test_comments_are_edited_and_deleted_by_their_author(signed_in, author, colleague):
    case = published_case(author)
    comment = comment_on(case, colleague)
    assert signed_in(author).get(f"/network/comments/{comment.public_id}/edit/").status_code == 403
    client = signed_in(colleague)
    client.post(f"/network/comments/{comment.public_id}/edit/", {"body": "Sửa lại: làm thêm siêu âm tim"})
    comment.refresh_from_db()
    assert comment.body == "Sửa lại: làm thêm siêu âm tim"
    client.post(f"/network/comments/{comment.public_id}/delete/")
    comment.refresh_from_db()
    assert comment.deleted_at is not None


def test_cases_and_comments_are_reported_once_while_the_report_is_open(signed_in, author, colleague):
    case = published_case(author)
    comment = comment_on(case, author)
    client = signed_in(colleague)
    client.post(case_url(case) + "report/", {"reason": "patient_identifiable", "details": "Có tên bệnh nhân"})
    client.post(f"/network/comments/{comment.public_id}/report/", {"reason": "abusive"})
    assert ContentReport.objects.filter(reporter=colleague).count() == 2
    again = client.post(case_url(case) + "report/", {"reason": "spam"}, follow=True)
    assert "You already reported this" in text_of(again)
    assert ContentReport.objects.count() == 2


# --- Doctors and connections -----------------------------------------------------------------------


def test_a_profile_shows_the_doctor_their_cases_and_a_connect_button(signed_in, author):
    stranger = factories.doctor(full_name="Phạm Thu Hà")
    case = published_case(stranger, title="Ca của bác sĩ Hà")
    hidden = published_case(stranger, title="Chỉ cho kết nối", visibility=Case.Visibility.CONNECTIONS)
    body = text_of(signed_in(author).get(doctor_url(stranger)))
    assert "Phạm Thu Hà" in body
    assert case.title in body
    assert hidden.title not in body
    assert f'action="/network/doctors/{stranger.public_id}/connect/"' in body
    assert stranger.email not in body


def test_connecting_from_the_profile_sends_a_request_the_other_doctor_accepts(signed_in, author):
    other = factories.doctor(full_name="Phạm Thu Hà")
    signed_in(author).post(doctor_url(other) + "connect/", {"message": "Chúng ta học cùng lớp"})
    request = ConnectionRequest.objects.get(sender=author, recipient=other)
    assert request.message == "Chúng ta học cùng lớp"
    assert "Request sent" in text_of(signed_in(author).get(doctor_url(other)))

    client = signed_in(other)
    assert f'action="/network/requests/{request.pk}/accept/"' in text_of(client.get(doctor_url(author)))
    client.post(f"/network/requests/{request.pk}/accept/", {"next": doctor_url(author)})
    assert Connection.objects.filter(doctor=author, peer=other).exists()
    assert "Connected" in text_of(client.get(doctor_url(author)))


def test_disconnecting_and_blocking_from_the_profile(signed_in, author, colleague):
    client = signed_in(author)
    client.post(doctor_url(colleague) + "disconnect/")
    assert not Connection.objects.exists()
    client.post(doctor_url(colleague) + "block/")
    assert Block.objects.filter(blocker=author, blocked=colleague).exists()
    assert f'action="/network/doctors/{colleague.public_id}/unblock/"' in text_of(
        client.get(doctor_url(colleague))
    )
    client.post(doctor_url(colleague) + "unblock/")
    assert not Block.objects.exists()


def test_a_refused_connection_says_why(signed_in, author, colleague):
    response = signed_in(author).post(doctor_url(colleague) + "connect/", follow=True)
    assert "You are already connected." in text_of(response)


def test_the_profile_of_someone_not_verified_is_not_found(signed_in, author):
    pending = factories.doctor(status=VerificationStatus.PENDING)
    client = signed_in(author)
    assert client.get(doctor_url(pending)).status_code == 404
    assert client.post(doctor_url(pending) + "connect/").status_code == 404


def test_the_connections_page_lists_connections_requests_suggestions_and_follows(
    signed_in, author, colleague
):
    asking = factories.doctor(full_name="Đỗ Minh Khoa")
    send_connection_request(asking, author.pk)
    asked = factories.doctor(full_name="Vũ Thị Lan")
    send_connection_request(author, asked.pk)
    friend_of_friend = factories.doctor(full_name="Hoàng Văn Nam")
    connect(colleague, friend_of_friend)
    specialty = factories.specialty()

    client = signed_in(author)
    body = text_of(client.get(CONNECTIONS))
    incoming = body.split('id="incoming"')[1].split("</section>")[0]
    assert "Đỗ Minh Khoa" in incoming
    assert "Vũ Thị Lan" in body.split('id="outgoing"')[1]
    assert "Hoàng Văn Nam" in body.split('id="suggestions"')[1].split("</section>")[0]
    assert "Lê Văn Minh" in body.split('id="connections"')[1].split("</section>")[0]

    client.post("/network/specialties/follow/", {"specialty": specialty.pk})
    assert SpecialtyFollow.objects.filter(doctor=author, specialty=specialty).exists()
    client.post(f"/network/specialties/{specialty.pk}/unfollow/")
    assert not SpecialtyFollow.objects.exists()


def test_the_connections_page_costs_the_same_queries_for_1_and_50_connections(signed_in, author):
    cardiology = factories.specialty()
    author.specialties.add(cardiology)
    for _ in range(12):  # colleagues to suggest: same specialty, same province
        factories.doctor().specialties.add(cardiology)
    send_connection_request(factories.doctor(), author.pk)
    send_connection_request(author, factories.doctor().pk)
    client = signed_in(author)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(CONNECTIONS)
        assert response.status_code == 200
        suggestions = text_of(response).split('id="suggestions"')[1].split("</section>")[0]
        assert suggestions.count("<li>") == web.SUGGESTIONS_SHOWN
        return len(captured)

    connect(author, factories.doctor())
    one = queries()
    for _ in range(49):
        connect(author, factories.doctor())
    assert queries() == one


# --- Notifications ---------------------------------------------------------------------------------


def test_notifications_are_listed_opened_and_marked_read(signed_in, author, colleague):
    case = published_case(author)
    with translation.override("en"):  # a title is written in the language of the request that caused it
        comment = add_comment(colleague, case.pk, "Nên làm lại troponin sau 3 giờ")
    notification = Notification.objects.get(recipient=author)
    client = signed_in(author)
    body = text_of(client.get(NOTIFICATIONS))
    assert "Lê Văn Minh commented on your case" in body
    assert "1 unread" in body

    response = client.post(f"/network/notifications/{notification.public_id}/open/")
    assert response["Location"] == f"{case_url(case)}#comment-{comment.public_id}"
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_all_notifications_are_marked_read_at_once(signed_in, author, colleague):
    case = published_case(author)
    add_comment(colleague, case.pk, "Ý kiến thứ nhất")
    add_comment(colleague, case.pk, "Ý kiến thứ hai")
    client = signed_in(author)
    client.post("/network/notifications/read-all/")
    assert not Notification.objects.filter(read_at__isnull=True).exists()
    assert "0 unread" in text_of(client.get(NOTIFICATIONS))


def test_someone_elses_notification_is_not_found(signed_in, author, colleague):
    case = published_case(author)
    add_comment(colleague, case.pk, "Ý kiến")
    notification = Notification.objects.get()
    assert (
        signed_in(colleague).post(f"/network/notifications/{notification.public_id}/open/").status_code == 404
    )
    notification.refresh_from_db()
    assert notification.read_at is None


def test_kinds_of_notification_are_muted(signed_in, author):
    signed_in(author).post("/network/notifications/preferences/", {"muted": ["case_commented", "mentioned"]})
    assert set(NotificationMute.objects.filter(doctor=author).values_list("kind", flat=True)) == {
        "case_commented",
        "mentioned",
    }
