"""The moderators' web queue (``/network/moderation/``): open reports with what was reported, by
whom and why; hiding the content with a reason and dismissing a report through the services
GraphQL calls (audited by them); 403 for everyone else; the menu link for moderators only; the
same number of queries for 1 and 20 reports."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from audit.models import AuditEvent
from network.models import Case, Comment, ContentReport, Notification, NotificationKind
from network.services import cases as case_services
from network.services.moderation import report_case, report_comment
from tests import factories
from tests.factories import activate_totp
from tests.network.test_cases_builders import PDF, TITLE, comment_on, moderator, published_case
from tests.web.conftest import with_verified_email

pytestmark = pytest.mark.django_db

QUEUE = "/network/moderation/"
TOTP_ACTIVATION = "/accounts/2fa/totp/activate/"
MENU_LINK = f'href="{QUEUE}"'


def hide_url(report: ContentReport) -> str:
    return f"{QUEUE}reports/{report.pk}/hide/"


def dismiss_url(report: ContentReport) -> str:
    return f"{QUEUE}reports/{report.pk}/dismiss/"


def text_of(response) -> str:
    return response.content.decode()


def flashed(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.fixture
def author(db) -> User:
    return factories.doctor(full_name="Phạm Minh Tuấn")


@pytest.fixture
def reporter(db) -> User:
    return factories.doctor(full_name="Hoàng Thị Lan")


@pytest.fixture
def case(author) -> Case:
    return published_case(author)


@pytest.fixture
def case_report(case, reporter) -> ContentReport:
    return report_case(
        reporter, case.pk, ContentReport.Reason.PATIENT_IDENTIFIABLE, "Có số điện thoại người nhà"
    )


@pytest.fixture
def comment(case) -> Comment:
    return comment_on(case, factories.doctor(full_name="Vũ Đình Khoa"), "Bài quảng cáo thuốc bổ")


@pytest.fixture
def comment_report(comment, reporter) -> ContentReport:
    return report_comment(reporter, comment.pk, ContentReport.Reason.SPAM)


@pytest.fixture
def mod(db) -> User:
    return moderator()


# --- Who may open it ---------------------------------------------------------------------------


def test_a_doctor_who_is_not_a_moderator_is_refused_the_queue_and_its_actions(signed_in, case_report):
    client = signed_in(factories.doctor())

    assert client.get(QUEUE).status_code == 403
    assert client.post(hide_url(case_report), {"reason": "x"}).status_code == 403
    assert client.post(dismiss_url(case_report)).status_code == 403
    case_report.refresh_from_db()
    assert case_report.status == ContentReport.Status.OPEN
    assert not AuditEvent.objects.filter(action__in=["case.hidden", "report.dismissed"]).exists()


def test_signed_out_visitors_are_sent_to_sign_in(client, case_report):
    response = client.get(QUEUE)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert client.post(dismiss_url(case_report)).status_code == 302
    case_report.refresh_from_db()
    assert case_report.status == ContentReport.Status.OPEN


def _staff_moderator(*, totp: bool) -> User:
    person = with_verified_email(factories.user(is_staff=True, full_name="Điều phối viên"))
    person.user_permissions.add(Permission.objects.get(codename="moderate_content"))
    if totp:
        activate_totp(person)
    return User.objects.get(pk=person.pk)


def test_a_staff_moderator_without_an_authenticator_app_is_sent_to_set_one_up(signed_in, case_report):
    client = signed_in(_staff_moderator(totp=False))

    assert client.get(QUEUE)["Location"] == TOTP_ACTIVATION
    assert client.post(dismiss_url(case_report))["Location"] == TOTP_ACTIVATION
    case_report.refresh_from_db()
    assert case_report.status == ContentReport.Status.OPEN


def test_a_staff_moderator_with_an_authenticator_app_works_the_queue_without_being_a_doctor(
    signed_in, case_report
):
    staff = _staff_moderator(totp=True)
    client = signed_in(staff)

    assert client.get(QUEUE).status_code == 200
    client.post(dismiss_url(case_report), {"note": "Đã kiểm tra"})
    case_report.refresh_from_db()
    assert (case_report.status, case_report.resolved_by) == (ContentReport.Status.DISMISSED, staff)


def test_the_network_menu_links_to_the_queue_for_moderators_only(signed_in, mod):
    assert MENU_LINK in text_of(signed_in(mod).get("/network/"))
    assert MENU_LINK not in text_of(signed_in(factories.doctor()).get("/network/"))


# --- What it shows -----------------------------------------------------------------------------


def test_the_queue_shows_each_open_report_with_its_reporter_reason_details_and_content(
    signed_in, mod, case, case_report, comment, comment_report
):
    body = text_of(signed_in(mod).get(QUEUE))

    assert "2 open reports, oldest first." in body
    case_item, comment_item = re.findall(
        r'<article class="card review-item moderation-report".*?</article>', body, re.S
    )
    assert f'id="report-{case_report.pk}"' in case_item
    assert "Identifies a patient" in case_item
    assert "Có số điện thoại người nhà" in case_item
    assert "Hoàng Thị Lan" in case_item  # the reporter
    assert "Phạm Minh Tuấn" in case_item  # the author
    assert TITLE in case_item
    assert f'href="/network/cases/{case.public_id}/"' in case_item
    assert f'action="{hide_url(case_report)}"' in case_item
    assert f'action="{dismiss_url(case_report)}"' in case_item

    assert f'id="report-{comment_report.pk}"' in comment_item
    assert "Spam or advertising" in comment_item
    assert "Bài quảng cáo thuốc bổ" in comment_item
    assert "Vũ Đình Khoa" in comment_item
    assert f'href="/network/cases/{case.public_id}/#comment-{comment.public_id}"' in comment_item
    assert "Hide the comment" in comment_item


def test_resolved_reports_and_reports_on_deleted_content_leave_the_queue(
    signed_in, mod, case, case_report, reporter
):
    other = published_case(factories.doctor(), title="Ca đã xoá")
    report_case(reporter, other.pk, ContentReport.Reason.OTHER)
    other.deleted_at = other.published_at
    other.save(update_fields=["deleted_at"])
    ContentReport.objects.filter(pk=case_report.pk).update(status=ContentReport.Status.DISMISSED)

    body = text_of(signed_in(mod).get(QUEUE))
    assert "No report is waiting for review." in body
    assert "Ca đã xoá" not in body


def test_a_moderator_reviews_the_attachments_of_a_reported_case_they_could_not_otherwise_see(
    signed_in, author, reporter
):
    named = published_case(author, visibility=Case.Visibility.NAMED, audience=(reporter,))
    attachment = case_services.add_attachment(
        author,
        named.pk,
        SimpleUploadedFile("ket-qua.pdf", PDF, "application/pdf"),
        caption="Kết quả xét nghiệm",
    )
    report_case(reporter, named.pk, ContentReport.Reason.MISINFORMATION)
    mod = moderator()
    client = signed_in(mod)

    body = text_of(client.get(QUEUE))
    assert f'href="/network/attachments/{attachment.pk}/"' in body
    assert "Kết quả xét nghiệm" in body
    download = client.get(f"/network/attachments/{attachment.pk}/")
    assert download.status_code == 200
    assert AuditEvent.objects.get(action="case.attachment_viewed").details["as_moderator"] is True
    # Outside the queue the moderator sees what any doctor sees.
    assert client.get(f"/network/cases/{named.public_id}/").status_code == 404


def _queue_queries(client: Client, expected: int) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(QUEUE)
    assert response.status_code == 200
    assert text_of(response).count('class="card review-item moderation-report"') == expected
    return len(queries)


def _reports(count: int, reporter: User) -> None:
    """``count`` open reports, alternately on a case (with an attachment) and on a comment."""
    for n in range(count):
        case = published_case(factories.doctor(), title=f"Ca {n}")
        case_services.add_attachment(
            case.author, case.pk, SimpleUploadedFile("a.pdf", PDF, "application/pdf")
        )
        if n % 2:
            report_case(reporter, case.pk, ContentReport.Reason.SPAM, "Quảng cáo")
        else:
            commenter = factories.doctor()
            commenter.specialties.add(factories.specialty())
            report_comment(reporter, comment_on(case, commenter).pk, ContentReport.Reason.ABUSIVE)


def test_the_queue_costs_the_same_queries_for_2_and_20_reports(signed_in, mod, django_assert_max_num_queries):
    client = signed_in(mod)
    reporter = factories.doctor()
    _reports(2, reporter)
    two = _queue_queries(client, 2)

    _reports(18, reporter)
    twenty = _queue_queries(client, 20)

    assert two == twenty
    with django_assert_max_num_queries(twenty):
        client.get(QUEUE)


# --- What it does ------------------------------------------------------------------------------


def test_hiding_a_reported_case_calls_the_service_resolves_its_reports_tells_the_author_and_is_audited(
    signed_in, mod, case, case_report, author
):
    second = report_case(factories.doctor(), case.pk, ContentReport.Reason.OTHER)
    client = signed_in(mod)

    response = client.post(
        hide_url(case_report), {"reason": "Có thông tin nhận dạng bệnh nhân", "next": QUEUE}
    )

    assert response.status_code == 302
    assert response["Location"] == QUEUE
    assert flashed(response) == ["The case is hidden and its author told why."]
    case.refresh_from_db()
    assert case.hidden_at is not None
    assert case.hidden_reason == "Có thông tin nhận dạng bệnh nhân"
    for report in (case_report, second):
        report.refresh_from_db()
        assert (report.status, report.resolved_by) == (ContentReport.Status.HIDDEN, mod)
    event = AuditEvent.objects.get(action="case.hidden")
    assert event.actor_id == mod.pk
    assert sorted(event.details["reports"]) == sorted([case_report.pk, second.pk])
    assert Notification.objects.filter(recipient=author, kind=NotificationKind.CONTENT_MODERATED).count() == 1
    assert "No report is waiting for review." in text_of(client.get(QUEUE))


def test_hiding_a_reported_comment_hides_that_comment_only(signed_in, mod, case, comment, comment_report):
    response = signed_in(mod).post(hide_url(comment_report), {"reason": "Quảng cáo"})

    assert flashed(response) == ["The comment is hidden and its author told why."]
    comment.refresh_from_db()
    case.refresh_from_db()
    assert comment.hidden_at is not None and comment.hidden_reason == "Quảng cáo"
    assert case.hidden_at is None
    comment_report.refresh_from_db()
    assert comment_report.status == ContentReport.Status.HIDDEN
    assert AuditEvent.objects.get(action="comment.hidden").actor_id == mod.pk


def test_hiding_without_a_reason_is_refused_by_the_service_and_changes_nothing(
    signed_in, mod, case, case_report
):
    response = signed_in(mod).post(hide_url(case_report), {"reason": "   "})

    assert response.status_code == 302
    assert flashed(response) == ["Give the reason (the author will see it)."]
    case.refresh_from_db()
    case_report.refresh_from_db()
    assert case.hidden_at is None
    assert case_report.status == ContentReport.Status.OPEN
    assert not AuditEvent.objects.filter(action="case.hidden").exists()


def test_dismissing_a_report_closes_it_without_touching_the_content_and_is_audited(
    signed_in, mod, case, case_report
):
    client = signed_in(mod)

    response = client.post(dismiss_url(case_report), {"note": "Không có thông tin nhận dạng"})

    assert flashed(response) == ["The report is dismissed."]
    case_report.refresh_from_db()
    case.refresh_from_db()
    assert case_report.status == ContentReport.Status.DISMISSED
    assert case_report.resolution_note == "Không có thông tin nhận dạng"
    assert case.hidden_at is None
    assert AuditEvent.objects.get(action="report.dismissed").actor_id == mod.pk

    again = client.post(dismiss_url(case_report))
    assert flashed(again)[-1] == "This report was already resolved."
    hide = client.post(hide_url(case_report), {"reason": "Muộn"})
    assert flashed(hide)[-1] == "This report was already resolved."
    case.refresh_from_db()
    assert case.hidden_at is None
    assert AuditEvent.objects.filter(action="report.dismissed").count() == 1


def test_a_missing_report_is_refused_with_a_message(signed_in, mod):
    response = signed_in(mod).post(f"{QUEUE}reports/999999/dismiss/")
    assert response.status_code == 302
    assert response["Location"] == QUEUE
    assert len(flashed(response)) == 1


def test_the_actions_take_posts_only(signed_in, mod, case_report):
    client = signed_in(mod)
    assert client.get(hide_url(case_report)).status_code == 405
    assert client.get(dismiss_url(case_report)).status_code == 405


def test_the_way_back_stays_on_this_site(signed_in, mod, case_report):
    response = signed_in(mod).post(dismiss_url(case_report), {"next": "https://evil.example/"})
    assert response["Location"] == QUEUE
