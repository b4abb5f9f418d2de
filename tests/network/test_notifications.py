"""Notifications: what a doctor is told about, what they are shown, marking read, muting kinds.

Notifications are created by calling ``notify`` as the other network services do. A notification
is shown only while its case may still be seen (the visibility rule), its comment is still there
and its actor is not blocked either way; the list and the unread count always agree.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from accounts.models import User, VerificationStatus
from common.errors import ServiceError
from facilities.models import Tier
from mentorship.models import Mentorship
from network.models import (
    AgeBand,
    Block,
    Case,
    CaseAudience,
    Comment,
    Connection,
    ConnectionRequest,
    Notification,
    NotificationKind,
    NotificationMute,
    Sex,
)
from network.selectors.notifications import notifications_of, unread_count
from network.services import moderation
from network.services import notifications as services
from network.services.connections import accept_connection_request, send_connection_request
from network.services.notifications import notify
from referrals.models import Referral, Urgency
from tests import factories
from tests.graphql import conftest as graphql_conftest
from tests.graphql.conftest import data_of, gid

pytestmark = pytest.mark.django_db

# The fixture of tests/graphql: operations as ``graphql.login(user)``, over HTTP.
graphql = graphql_conftest.graphql

# Clinical text of the cases and comments below: it must never reach a notification.
CASE_TITLE = "Nam 58 tuổi đau ngực trái cấp"
PRESENTING_PROBLEM = "Đau ngực trái lan ra tay trái từ 2 giờ, vã mồ hôi"
QUESTION = "Có nên chụp mạch vành cấp cứu ngay?"
COMMENT_BODY = "Nên làm lại hs-troponin sau 3 giờ trước khi quyết định"
CLINICAL_TEXT = (CASE_TITLE, PRESENTING_PROBLEM, QUESTION, COMMENT_BODY, "troponin", "đau ngực")

NOTIFICATION_FIELDS = """
    id kind title createdAt readAt isRead caseId commentId connectionRequestId mentorshipId
    actor { id fullName title facility { name province { name } } specialties { code name } }
    referral { id status requester { id fullName specialties { code } } targetFacility { name } }
"""
NOTIFICATIONS = f"""query ($first: Int!, $after: String, $unreadOnly: Boolean) {{
    unreadNotificationCount
    notifications(first: $first, after: $after, unreadOnly: $unreadOnly) {{
        totalCount
        pageInfo {{ hasNextPage endCursor }}
        edges {{ node {{ {NOTIFICATION_FIELDS} }} }}
    }}
}}"""
MARK_READ = """mutation ($id: ID!) { markNotificationRead(id: $id) {
    notification { id isRead readAt } unreadCount errors { field code message }
} }"""
MARK_ALL_READ = """mutation { markAllNotificationsRead { markedCount unreadCount errors { field code } } }"""
PREFERENCES = "{ notificationPreferences { kind label muted } }"
SET_PREFERENCE = """mutation ($kind: NotificationKind!, $muted: Boolean!) {
    setNotificationPreference(kind: $kind, muted: $muted) { preferences { kind muted } errors { field code } }
}"""
NODE = "query ($id: ID!) { node(id: $id) { id ... on Notification { title kind } } }"


# --- Builders -------------------------------------------------------------------------------


def published_case(author: User, *, visibility: str = Case.Visibility.NETWORK, audience: tuple = ()) -> Case:
    case = Case.objects.create(
        author=author,
        title=CASE_TITLE,
        specialty=factories.specialty(),
        age_band=AgeBand.ADULT_45_59,
        sex=Sex.MALE,
        presenting_problem=PRESENTING_PROBLEM,
        question=QUESTION,
        visibility=visibility,
        status=Case.Status.OPEN,
        published_at=timezone.now(),
    )
    CaseAudience.objects.bulk_create([CaseAudience(case=case, doctor=doctor) for doctor in audience])
    return case


def comment_on(case: Case, author: User, parent: Comment | None = None) -> Comment:
    return Comment.objects.create(case=case, author=author, parent=parent, body=COMMENT_BODY)


def referral_to(target: User, requester: User) -> Referral:
    """A referral of one of ``requester``'s cases waiting for ``target`` (how referrals are made
    is the referrals app's concern; here, only what their notifications show)."""
    now = timezone.now()
    return Referral.objects.create(
        case=published_case(requester),
        requester=requester,
        requester_facility=requester.facility,
        target_doctor=target,
        target_facility=target.facility,
        specialty=factories.specialty(),
        urgency=Urgency.ROUTINE,
        question=QUESTION,
        response_due_at=now + timedelta(days=2),
        completion_due_at=now + timedelta(days=7),
    )


def connect(doctor: User, peer: User) -> None:
    Connection.objects.bulk_create(
        [Connection(doctor=doctor, peer=peer), Connection(doctor=peer, peer=doctor)]
    )


def block(blocker: User, blocked: User) -> None:
    Block.objects.create(blocker=blocker, blocked=blocked)


def doctor_named(full_name: str) -> User:
    doctor = factories.doctor(full_name=full_name)
    doctor.specialties.add(factories.specialty())
    return doctor


def shown(viewer: User) -> list[Notification]:
    return list(notifications_of(viewer))


def listed(graphql, first: int = 50, **variables: Any) -> dict[str, Any]:
    return data_of(graphql(NOTIFICATIONS, {"first": first, **variables}))


def kinds_listed(graphql) -> list[str]:
    return [edge["node"]["kind"] for edge in listed(graphql)["notifications"]["edges"]]


def one_of_each_kind(viewer: User, peer: User) -> dict[str, Notification]:
    """Every kind of notification, each as the service that sends it would."""
    own_case = published_case(viewer)
    peers_case = published_case(peer)
    asked = ConnectionRequest.objects.create(sender=peer, recipient=viewer)
    accepted = ConnectionRequest.objects.create(
        sender=viewer, recipient=peer, status=ConnectionRequest.Status.ACCEPTED
    )
    viewers_comment = comment_on(peers_case, viewer)
    sent = {
        NotificationKind.CONNECTION_REQUESTED: notify(
            viewer, NotificationKind.CONNECTION_REQUESTED, "BS. Trần Minh muốn kết nối", actor=peer,
            connection_request=asked,
        ),
        NotificationKind.CONNECTION_ACCEPTED: notify(
            viewer, NotificationKind.CONNECTION_ACCEPTED, "BS. Trần Minh đã đồng ý kết nối", actor=peer,
            connection_request=accepted,
        ),
        NotificationKind.CASE_COMMENTED: notify(
            viewer, NotificationKind.CASE_COMMENTED, "BS. Trần Minh đã bình luận ca bệnh của bạn", actor=peer,
            case=own_case, comment=comment_on(own_case, peer),
        ),
        NotificationKind.COMMENT_REPLIED: notify(
            viewer, NotificationKind.COMMENT_REPLIED, "BS. Trần Minh đã trả lời bình luận của bạn", actor=peer,
            case=peers_case, comment=comment_on(peers_case, peer, parent=viewers_comment),
        ),
        NotificationKind.MENTIONED: notify(
            viewer, NotificationKind.MENTIONED, "BS. Trần Minh đã nhắc đến bạn", actor=peer,
            comment=comment_on(peers_case, peer),
        ),
        NotificationKind.ANSWER_ACCEPTED: notify(
            viewer, NotificationKind.ANSWER_ACCEPTED, "Câu trả lời của bạn đã được chấp nhận", actor=peer,
            case=peers_case, comment=viewers_comment,
        ),
    }  # fmt: skip
    moderated = published_case(viewer)
    Case.objects.filter(pk=moderated.pk).update(hidden_at=timezone.now(), hidden_reason="Lộ thông tin")
    sent[NotificationKind.CONTENT_MODERATED] = notify(
        viewer,
        NotificationKind.CONTENT_MODERATED,
        "Ca bệnh của bạn đã bị ẩn",
        case=Case.objects.get(pk=moderated.pk),
    )
    mentorship = Mentorship.objects.create(
        mentor=peer,
        mentee=viewer,
        mentor_tier=Tier.CENTRAL,
        mentee_tier=Tier.PROVINCIAL,
        proposed_by=peer,
        proposed_as=Mentorship.Proposer.MENTOR,
        expires_at=timezone.now() + timedelta(days=14),
    )
    for kind, title in (
        (NotificationKind.MENTORSHIP_PROPOSED, "BS. Trần Minh đề nghị kèm cặp"),
        (NotificationKind.MENTORSHIP_STARTED, "Kèm cặp với BS. Trần Minh đã bắt đầu"),
        (NotificationKind.MENTORSHIP_DECLINED, "BS. Trần Minh đã từ chối kèm cặp"),
        (NotificationKind.MENTORSHIP_ENDED, "Kèm cặp với BS. Trần Minh đã kết thúc"),
    ):
        sent[kind] = notify(viewer, kind, title, actor=peer, mentorship_id=mentorship.pk)
    sent[NotificationKind.QUOTA_REMINDER] = notify(
        viewer, NotificationKind.QUOTA_REMINDER, "Bạn còn thiếu 2 học viên kèm cặp"
    )
    referral = referral_to(viewer, peer)
    for kind, title in (
        (NotificationKind.REFERRAL_REQUESTED, "Yêu cầu chuyển tuyến mới từ Trần Minh"),
        (NotificationKind.REFERRAL_ACCEPTED, "Trần Minh đã tiếp nhận yêu cầu chuyển tuyến của bạn"),
        (NotificationKind.REFERRAL_REJECTED, "Trần Minh đã từ chối yêu cầu chuyển tuyến của bạn"),
        (NotificationKind.REFERRAL_INFORMATION_REQUESTED, "Trần Minh đề nghị bổ sung thông tin"),
        (NotificationKind.REFERRAL_INFORMATION_GIVEN, "Trần Minh đã trả lời câu hỏi của bạn"),
        (NotificationKind.REFERRAL_COMPLETED, "Trần Minh đã trả lời yêu cầu chuyển tuyến của bạn"),
        (NotificationKind.REFERRAL_CANCELLED, "Trần Minh đã hủy một yêu cầu chuyển tuyến"),
        (NotificationKind.REFERRAL_ESCALATED, "Một yêu cầu chuyển tuyến quá hạn đã được chuyển cấp"),
        (NotificationKind.REFERRAL_ANSWER_OVERDUE, "Câu trả lời cho một yêu cầu chuyển tuyến đã quá hạn"),
    ):
        sent[kind] = notify(viewer, kind, title, referral_id=referral.pk)
    assert all(sent.values()), sent
    return sent


@pytest.fixture
def viewer() -> User:
    return doctor_named("Lê Thị Hoa")


@pytest.fixture
def peer() -> User:
    return doctor_named("Trần Minh")


# --- Every kind, through the query ----------------------------------------------------------


def test_every_kind_is_listed_with_ids_and_its_title_and_no_clinical_text(graphql, viewer, peer):
    sent = one_of_each_kind(viewer, peer)
    graphql.login(viewer)

    data = listed(graphql)
    nodes = {edge["node"]["kind"]: edge["node"] for edge in data["notifications"]["edges"]}
    assert set(nodes) == {kind.name for kind in NotificationKind}
    assert data["unreadNotificationCount"] == data["notifications"]["totalCount"] == len(NotificationKind)
    for kind, notification in sent.items():
        node = nodes[kind.name]
        assert node["id"] == gid("Notification", notification.public_id)
        assert node["title"] == notification.title
        assert node["isRead"] is False and node["readAt"] is None
        assert node["caseId"] == (gid("Case", notification.case.public_id) if notification.case else None)
        assert node["commentId"] == (
            gid("Comment", notification.comment.public_id) if notification.comment else None
        )
        assert node["connectionRequestId"] == (
            gid("ConnectionRequest", notification.connection_request_id)
            if notification.connection_request_id
            else None
        )
        assert node["mentorshipId"] == (
            gid("Mentorship", notification.mentorship.public_id) if notification.mentorship_id else None
        )
        assert (node["referral"] or {}).get("id") == (
            gid("Referral", notification.referral.public_id) if notification.referral_id else None
        )
    assert nodes["CASE_COMMENTED"]["actor"]["id"] == gid("Doctor", peer.public_id)
    assert nodes["CASE_COMMENTED"]["actor"]["specialties"] == [{"code": "cardiology", "name": "Tim mạch"}]
    assert nodes["CONTENT_MODERATED"]["actor"] is None
    assert nodes["MENTORSHIP_STARTED"]["actor"]["id"] == gid("Doctor", peer.public_id)
    assert nodes["QUOTA_REMINDER"]["actor"] is None and nodes["QUOTA_REMINDER"]["mentorshipId"] is None
    # A mention is linked to the case it was made on, for the client to open.
    assert nodes["MENTIONED"]["caseId"] == nodes["COMMENT_REPLIED"]["caseId"]
    # A referral's news names no actor: the title says who acted, the referral who takes part.
    assert nodes["REFERRAL_ACCEPTED"]["actor"] is None and nodes["REFERRAL_ACCEPTED"]["caseId"] is None
    assert nodes["REFERRAL_ACCEPTED"]["referral"]["status"] == "REQUESTED"
    assert nodes["REFERRAL_ACCEPTED"]["referral"]["requester"]["id"] == gid("Doctor", peer.public_id)

    text = json.dumps(data, ensure_ascii=False).lower()
    for clinical in CLINICAL_TEXT:
        assert clinical.lower() not in text


def test_newest_first_with_cursor_pagination_and_unread_only(graphql, viewer, peer):
    first, second, third = (
        notify(viewer, NotificationKind.MENTIONED, f"Nhắc đến bạn {n}", actor=peer) for n in range(3)
    )
    Notification.objects.filter(pk=second.pk).update(read_at=timezone.now())
    graphql.login(viewer)

    page = listed(graphql, first=2)["notifications"]
    assert [edge["node"]["title"] for edge in page["edges"]] == [third.title, second.title]
    assert page["pageInfo"]["hasNextPage"] is True
    rest = listed(graphql, first=2, after=page["pageInfo"]["endCursor"])["notifications"]
    assert [edge["node"]["title"] for edge in rest["edges"]] == [first.title]
    assert rest["pageInfo"]["hasNextPage"] is False

    unread = listed(graphql, unreadOnly=True)
    assert [edge["node"]["title"] for edge in unread["notifications"]["edges"]] == [third.title, first.title]
    assert unread["unreadNotificationCount"] == unread["notifications"]["totalCount"] == 2


def test_a_doctor_sees_only_their_own_notifications_also_by_node_id(graphql, viewer, peer):
    theirs = notify(peer, NotificationKind.MENTIONED, "Nhắc đến bạn", actor=viewer)
    mine = notify(viewer, NotificationKind.MENTIONED, "Nhắc đến bạn", actor=peer)
    graphql.login(viewer)

    assert listed(graphql)["notifications"]["totalCount"] == 1
    assert data_of(graphql(NODE, {"id": gid("Notification", mine.public_id)}))["node"]["kind"] == "MENTIONED"
    assert data_of(graphql(NODE, {"id": gid("Notification", theirs.public_id)}))["node"] is None


# --- What notify skips ----------------------------------------------------------------------


def test_notify_skips_the_actor_themselves(viewer):
    assert notify(viewer, NotificationKind.CASE_COMMENTED, "Bình luận", actor=viewer) is None
    assert not Notification.objects.exists()


def test_notify_skips_a_doctor_blocked_either_way(viewer, peer):
    block(viewer, peer)
    assert notify(viewer, NotificationKind.MENTIONED, "Nhắc đến bạn", actor=peer) is None
    assert notify(peer, NotificationKind.MENTIONED, "Nhắc đến bạn", actor=viewer) is None
    assert not Notification.objects.exists()


def test_notify_skips_a_case_the_recipient_may_not_see(viewer, peer):
    third = factories.doctor()
    private = published_case(peer, visibility=Case.Visibility.NAMED, audience=(third,))
    comment = comment_on(private, peer)
    assert notify(viewer, NotificationKind.MENTIONED, "Nhắc đến bạn", actor=peer, case=private) is None
    # Given only the comment, its case decides.
    assert notify(viewer, NotificationKind.MENTIONED, "Nhắc đến bạn", actor=peer, comment=comment) is None
    assert notify(third, NotificationKind.MENTIONED, "Nhắc đến bạn", actor=peer, comment=comment) is not None
    assert list(Notification.objects.values_list("recipient_id", "case_id")) == [(third.pk, private.pk)]


def test_notify_skips_a_referral_the_recipient_may_not_see(viewer, peer):
    """The referrals' rule: its requester, consultant, named doctor and queue members only."""
    referral = referral_to(peer, viewer)
    stranger = doctor_named("Phạm Thu")
    for doctor in (stranger, viewer, peer):
        notify(doctor, NotificationKind.REFERRAL_ESCALATED, "Chuyển cấp", referral_id=referral.pk)
    assert sorted(Notification.objects.values_list("recipient_id", flat=True)) == sorted([viewer.pk, peer.pk])


def test_notify_skips_a_recipient_who_is_not_a_verified_doctor(viewer, peer):
    User.objects.filter(pk=viewer.pk).update(verification_status=VerificationStatus.REVOKED)
    viewer.refresh_from_db()
    assert notify(viewer, NotificationKind.CONNECTION_REQUESTED, "Kết nối", actor=peer) is None
    assert not Notification.objects.exists()


def test_a_moderation_decision_reaches_the_author_of_the_hidden_content_only(viewer, peer):
    case = published_case(viewer)
    comment = comment_on(published_case(peer), viewer)
    Case.objects.filter(pk=case.pk).update(hidden_at=timezone.now())
    Comment.objects.filter(pk=comment.pk).update(hidden_at=timezone.now())
    case.refresh_from_db()
    comment.refresh_from_db()

    for content in ({"case": case}, {"comment": comment}):
        assert notify(viewer, NotificationKind.CONTENT_MODERATED, "Nội dung của bạn đã bị ẩn", **content)
        # Anyone else's notification about hidden content is not sent.
        assert notify(peer, NotificationKind.CONTENT_MODERATED, "Nội dung đã bị ẩn", **content) is None
        assert notify(viewer, NotificationKind.MENTIONED, "Nhắc đến bạn", actor=peer, **content) is None
    assert [n.kind for n in shown(viewer)] == [NotificationKind.CONTENT_MODERATED] * 2
    assert unread_count(viewer) == 2


def test_a_long_title_is_cut_to_fit(viewer, peer):
    notification = notify(viewer, NotificationKind.MENTIONED, "BS. " + "Nguyễn " * 60, actor=peer)
    notification.refresh_from_db()
    assert len(notification.title) == 200 and notification.title.endswith("…")


# --- Notifications about what the viewer may no longer see ---------------------------------


def delete_case(case: Case, viewer: User) -> None:
    Case.objects.filter(pk=case.pk).update(deleted_at=timezone.now())


def hide_case(case: Case, viewer: User) -> None:
    Case.objects.filter(pk=case.pk).update(hidden_at=timezone.now(), hidden_reason="Lộ danh tính bệnh nhân")


def make_case_named_for_others(case: Case, viewer: User) -> None:
    Case.objects.filter(pk=case.pk).update(visibility=Case.Visibility.NAMED)
    CaseAudience.objects.create(case=case, doctor=factories.doctor())


def make_case_for_connections(case: Case, viewer: User) -> None:
    Case.objects.filter(pk=case.pk).update(visibility=Case.Visibility.CONNECTIONS)


def viewer_blocks_case_author(case: Case, viewer: User) -> None:
    block(viewer, case.author)


def case_author_blocks_viewer(case: Case, viewer: User) -> None:
    block(case.author, viewer)


@pytest.mark.parametrize(
    "change",
    [
        delete_case,
        hide_case,
        make_case_named_for_others,
        make_case_for_connections,
        viewer_blocks_case_author,
        case_author_blocks_viewer,
    ],
)
def test_a_notification_about_a_case_the_viewer_may_no_longer_see_disappears(graphql, viewer, peer, change):
    author = doctor_named("Phạm Quốc Bảo")
    case = published_case(author)
    reply = comment_on(case, peer, parent=comment_on(case, viewer))
    about_case = notify(viewer, NotificationKind.COMMENT_REPLIED, "Trả lời bạn", actor=peer, comment=reply)
    unrelated = notify(viewer, NotificationKind.CONNECTION_REQUESTED, "Kết nối", actor=peer)
    graphql.login(viewer)
    assert listed(graphql)["unreadNotificationCount"] == 2

    change(case, viewer)

    data = listed(graphql)
    assert [edge["node"]["id"] for edge in data["notifications"]["edges"]] == [
        gid("Notification", unrelated.public_id)
    ]
    assert data["unreadNotificationCount"] == data["notifications"]["totalCount"] == 1
    assert data_of(graphql(NODE, {"id": gid("Notification", about_case.public_id)}))["node"] is None
    result = graphql(MARK_READ, {"id": gid("Notification", about_case.public_id)})
    assert [e["code"] for e in result["data"]["markNotificationRead"]["errors"]] == ["NOT_FOUND"]


def test_a_case_made_private_comes_back_when_the_viewer_is_named(viewer, peer):
    case = published_case(peer)
    notify(viewer, NotificationKind.MENTIONED, "Nhắc đến bạn", actor=peer, case=case)
    make_case_named_for_others(case, viewer)
    assert shown(viewer) == []
    CaseAudience.objects.create(case=case, doctor=viewer)
    assert [n.case_id for n in shown(viewer)] == [case.pk]


def test_a_notification_about_a_case_for_connections_stays_while_connected(viewer, peer):
    connect(viewer, peer)
    case = published_case(peer, visibility=Case.Visibility.CONNECTIONS)
    notify(viewer, NotificationKind.MENTIONED, "Nhắc đến bạn", actor=peer, case=case)
    assert unread_count(viewer) == 1
    Connection.objects.filter(doctor__in=(viewer, peer)).delete()
    assert unread_count(viewer) == 0


def test_a_notification_about_a_removed_comment_disappears(viewer, peer):
    case = published_case(viewer)
    comment = comment_on(case, peer)
    notify(viewer, NotificationKind.CASE_COMMENTED, "Bình luận mới", actor=peer, comment=comment)
    assert unread_count(viewer) == 1
    Comment.objects.filter(pk=comment.pk).update(deleted_at=timezone.now())
    assert (shown(viewer), unread_count(viewer)) == ([], 0)


@pytest.mark.parametrize("blocker", ["viewer", "actor"])
def test_a_notification_from_a_doctor_blocked_either_way_disappears_until_unblocked(
    graphql, viewer, peer, blocker
):
    request = ConnectionRequest.objects.create(sender=peer, recipient=viewer)
    notify(viewer, NotificationKind.CONNECTION_REQUESTED, "Kết nối", actor=peer, connection_request=request)
    graphql.login(viewer)
    (block(viewer, peer) if blocker == "viewer" else block(peer, viewer))

    data = listed(graphql)
    assert (data["notifications"]["totalCount"], data["unreadNotificationCount"]) == (0, 0)
    Block.objects.all().delete()
    assert listed(graphql)["unreadNotificationCount"] == 1


def test_an_actor_no_longer_verified_is_shown_as_no_one(graphql, viewer, peer):
    notify(viewer, NotificationKind.MENTIONED, "Nhắc đến bạn", actor=peer)
    User.objects.filter(pk=peer.pk).update(verification_status=VerificationStatus.REVOKED)
    graphql.login(viewer)
    [edge] = listed(graphql)["notifications"]["edges"]
    assert edge["node"]["actor"] is None
    assert edge["node"]["title"] == "Nhắc đến bạn"


# --- Only verified doctors have notifications -----------------------------------------------


def test_a_doctor_no_longer_verified_has_none_and_cannot_change_them(graphql, viewer, peer):
    notification = notify(viewer, NotificationKind.MENTIONED, "Nhắc đến bạn", actor=peer)
    User.objects.filter(pk=viewer.pk).update(verification_status=VerificationStatus.EXPIRED)
    graphql.login(viewer)

    data = listed(graphql)
    assert (data["notifications"]["totalCount"], data["unreadNotificationCount"]) == (0, 0)
    assert data_of(graphql(PREFERENCES))["notificationPreferences"] == []
    assert data_of(graphql(NODE, {"id": gid("Notification", notification.public_id)}))["node"] is None
    for mutation, variables, name in (
        (MARK_READ, {"id": gid("Notification", notification.public_id)}, "markNotificationRead"),
        (MARK_ALL_READ, None, "markAllNotificationsRead"),
        (SET_PREFERENCE, {"kind": "MENTIONED", "muted": True}, "setNotificationPreference"),
    ):
        errors = data_of(graphql(mutation, variables))[name]["errors"]
        assert [error["code"] for error in errors] == ["NOT_VERIFIED"]
    assert Notification.objects.get().read_at is None
    assert not NotificationMute.objects.exists()

    # Verified again (a renewed licence): what was sent meanwhile is there.
    User.objects.filter(pk=viewer.pk).update(verification_status=VerificationStatus.VERIFIED)
    assert listed(graphql)["unreadNotificationCount"] == 1


def test_an_anonymous_visitor_has_none(graphql):
    data = listed(graphql)
    assert (data["notifications"]["totalCount"], data["unreadNotificationCount"]) == (0, 0)
    errors = data_of(graphql(MARK_ALL_READ))["markAllNotificationsRead"]["errors"]
    assert [error["code"] for error in errors] == ["NOT_AUTHENTICATED"]


# --- Marking read ---------------------------------------------------------------------------


def test_marking_one_read(graphql, viewer, peer):
    notification = notify(viewer, NotificationKind.MENTIONED, "Nhắc đến bạn", actor=peer)
    notify(viewer, NotificationKind.CONNECTION_REQUESTED, "Kết nối", actor=peer)
    graphql.login(viewer)

    payload = data_of(graphql(MARK_READ, {"id": gid("Notification", notification.public_id)}))[
        "markNotificationRead"
    ]
    assert payload["errors"] == []
    assert payload["notification"]["isRead"] is True
    assert payload["unreadCount"] == 1
    read_at = Notification.objects.get(pk=notification.pk).read_at
    assert read_at is not None

    # Again: nothing changes, not even the time it was read.
    again = data_of(graphql(MARK_READ, {"id": gid("Notification", notification.public_id)}))
    assert again["markNotificationRead"]["errors"] == []
    assert Notification.objects.get(pk=notification.pk).read_at == read_at


def test_marking_someone_elses_notification_is_not_found(graphql, viewer, peer):
    theirs = notify(peer, NotificationKind.MENTIONED, "Nhắc đến bạn", actor=viewer)
    graphql.login(viewer)
    errors = data_of(graphql(MARK_READ, {"id": gid("Notification", theirs.public_id)}))[
        "markNotificationRead"
    ]["errors"]
    assert [(error["field"], error["code"]) for error in errors] == [("id", "NOT_FOUND")]
    assert Notification.objects.get().read_at is None

    with pytest.raises(ServiceError) as refused:
        services.mark_read(viewer, theirs.public_id)
    assert refused.value.code == "NOT_FOUND"


def test_marking_read_with_an_id_of_another_type_is_invalid(graphql, viewer):
    graphql.login(viewer)
    errors = data_of(graphql(MARK_READ, {"id": gid("Doctor", viewer.public_id)}))["markNotificationRead"][
        "errors"
    ]
    assert [(error["field"], error["code"]) for error in errors] == [("id", "INVALID")]


def test_marking_all_read(graphql, viewer, peer):
    for n in range(3):
        notify(viewer, NotificationKind.MENTIONED, f"Nhắc đến bạn {n}", actor=peer)
    someone_else = notify(peer, NotificationKind.MENTIONED, "Nhắc đến bạn", actor=viewer)
    graphql.login(viewer)

    payload = data_of(graphql(MARK_ALL_READ))["markAllNotificationsRead"]
    assert payload == {"markedCount": 3, "unreadCount": 0, "errors": []}
    assert listed(graphql, unreadOnly=True)["notifications"]["totalCount"] == 0
    assert Notification.objects.get(pk=someone_else.pk).read_at is None
    assert services.mark_all_read(viewer) == 0


def test_marking_all_read_leaves_what_the_viewer_is_not_shown(viewer, peer):
    """Read means seen: a notification left out of the list (here, its actor blocked) is not
    marked, and shows up unread if it is shown again."""
    notify(viewer, NotificationKind.MENTIONED, "Nhắc đến bạn", actor=peer)
    block(viewer, peer)
    assert services.mark_all_read(viewer) == 0
    Block.objects.all().delete()
    assert unread_count(viewer) == 1


# --- Muting kinds ---------------------------------------------------------------------------


def test_muted_kinds_are_not_created_until_unmuted(graphql, viewer, peer):
    graphql.login(viewer)
    preferences = data_of(graphql(PREFERENCES))["notificationPreferences"]
    assert [(p["kind"], p["muted"]) for p in preferences] == [(kind.name, False) for kind in NotificationKind]
    with translation.override(settings.LANGUAGE_CODE):
        assert preferences[0]["label"] == str(NotificationKind.CONNECTION_REQUESTED.label)

    payload = data_of(graphql(SET_PREFERENCE, {"kind": "MENTIONED", "muted": True}))[
        "setNotificationPreference"
    ]
    assert payload["errors"] == []
    assert {p["kind"] for p in payload["preferences"] if p["muted"]} == {"MENTIONED"}
    assert notify(viewer, NotificationKind.MENTIONED, "Nhắc đến bạn", actor=peer) is None
    assert notify(viewer, NotificationKind.CASE_COMMENTED, "Bình luận mới", actor=peer) is not None
    # Muting twice is muting once.
    assert (
        data_of(graphql(SET_PREFERENCE, {"kind": "MENTIONED", "muted": True}))["setNotificationPreference"][
            "errors"
        ]
        == []
    )
    assert NotificationMute.objects.filter(doctor=viewer).count() == 1

    data_of(graphql(SET_PREFERENCE, {"kind": "MENTIONED", "muted": False}))
    assert notify(viewer, NotificationKind.MENTIONED, "Nhắc đến bạn", actor=peer) is not None
    assert sorted(n.kind for n in shown(viewer)) == [
        NotificationKind.CASE_COMMENTED,
        NotificationKind.MENTIONED,
    ]


def test_a_muted_kind_mutes_only_that_doctor(viewer, peer):
    services.mute_kind(viewer, NotificationKind.MENTIONED)
    assert notify(peer, NotificationKind.MENTIONED, "Nhắc đến bạn", actor=viewer) is not None


def test_setting_all_preferences_at_once(viewer):
    services.mute_kind(viewer, NotificationKind.CASE_COMMENTED)
    preferences = services.set_notification_preferences(
        viewer, [NotificationKind.MENTIONED, NotificationKind.CONNECTION_REQUESTED]
    )
    assert {p.kind for p in preferences if p.muted} == {
        NotificationKind.MENTIONED,
        NotificationKind.CONNECTION_REQUESTED,
    }
    assert set(NotificationMute.objects.values_list("kind", flat=True)) == {
        "mentioned",
        "connection_requested",
    }


def test_an_unknown_kind_is_refused(viewer):
    with pytest.raises(ServiceError) as refused:
        services.set_notification_preferences(viewer, ["mentioned", "gossip"])
    assert (refused.value.code, refused.value.errors[0].field) == ("INVALID", "muted")
    with pytest.raises(ServiceError):
        services.mute_kind(viewer, "gossip")
    assert not NotificationMute.objects.exists()


# --- Query counts ---------------------------------------------------------------------------


def test_the_list_costs_the_same_for_2_and_50_notifications(graphql, viewer, django_assert_max_num_queries):
    """Whatever each is about: a comment, a connection request, a referral (each its own)."""
    own_case = published_case(viewer)
    for n in range(50):
        actor = doctor_named(f"Đỗ Văn {n}")
        actor.specialties.add(factories.specialty(code=f"s{n}", name_vi=f"Chuyên khoa {n}", name_en=f"S {n}"))
        if n % 5 == 4:
            referral = referral_to(viewer, actor)
            notify(viewer, NotificationKind.REFERRAL_REQUESTED, f"Chuyển tuyến {n}", referral_id=referral.pk)
        elif n % 2:
            comment = comment_on(own_case, actor)
            notify(viewer, NotificationKind.CASE_COMMENTED, f"Bình luận {n}", actor=actor, comment=comment)
        else:
            request = ConnectionRequest.objects.create(sender=actor, recipient=viewer)
            notify(
                viewer,
                NotificationKind.CONNECTION_REQUESTED,
                f"Kết nối {n}",
                actor=actor,
                connection_request=request,
            )
    graphql.login(viewer)

    with CaptureQueriesContext(connection) as small:
        data = listed(graphql, first=2)
    # The newest two (n = 49, 48): a referral, and a request from an actor whose card loads.
    [referral, request] = [edge["node"] for edge in data["notifications"]["edges"]]
    assert referral["referral"] is not None and request["actor"] is not None
    with django_assert_max_num_queries(len(small)):
        data = listed(graphql, first=50)
    edges = data["notifications"]["edges"]
    assert len(edges) == 50
    referrals = [edge["node"]["referral"] for edge in edges if edge["node"]["referral"]]
    assert len(referrals) == 10
    assert all(len(referral["requester"]["specialties"]) == 2 for referral in referrals)
    assert all(len(edge["node"]["actor"]["specialties"]) == 2 for edge in edges if edge["node"]["actor"])
    assert sum(edge["node"]["caseId"] is not None for edge in edges) == 20


# --- Through the services that notify -------------------------------------------------------


def test_a_connection_request_and_its_acceptance_notify_each_side(graphql, viewer, peer):
    request = send_connection_request(peer, viewer.pk, "Chào chị, mình cùng chuyên khoa tim mạch")
    graphql.login(viewer)
    [edge] = listed(graphql)["notifications"]["edges"]
    assert edge["node"]["kind"] == "CONNECTION_REQUESTED"
    assert edge["node"]["connectionRequestId"] == gid("ConnectionRequest", request.pk)
    assert edge["node"]["actor"]["id"] == gid("Doctor", peer.public_id)
    assert "Trần Minh" in edge["node"]["title"]

    accept_connection_request(viewer, request.pk)
    graphql.login(peer)
    [edge] = listed(graphql)["notifications"]["edges"]
    assert edge["node"]["kind"] == "CONNECTION_ACCEPTED"
    assert edge["node"]["actor"]["id"] == gid("Doctor", viewer.public_id)


def test_a_moderator_hiding_a_case_tells_its_author_and_hides_what_others_were_told(graphql, viewer, peer):
    moderator = factories.doctor()
    moderator.user_permissions.add(Permission.objects.get(codename="moderate_content"))
    moderator = User.objects.get(pk=moderator.pk)  # fresh permission cache
    case = published_case(viewer)
    notify(peer, NotificationKind.MENTIONED, "Nhắc đến bạn", actor=viewer, case=case)

    moderation.hide_case(moderator, case.pk, "Ảnh chụp còn thấy tên bệnh nhân")

    graphql.login(viewer)
    [edge] = listed(graphql)["notifications"]["edges"]
    assert (edge["node"]["kind"], edge["node"]["caseId"], edge["node"]["actor"]) == (
        "CONTENT_MODERATED",
        gid("Case", case.public_id),
        None,
    )
    assert "bệnh nhân" not in edge["node"]["title"]  # the reason stays out of the title
    assert (shown(peer), unread_count(peer)) == ([], 0)
