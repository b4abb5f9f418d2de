"""A referral's news reaches the network's notifications: every step notifies the other side
(never the actor) with a short, non-clinical title and the referral itself, which only those
who may see the referral are shown; muted kinds are not sent."""

from __future__ import annotations

import pytest

from facilities.models import Tier
from network.models import Notification, NotificationKind
from network.services.notifications import mute_kind
from referrals.services import referrals as services
from referrals.services.alerts import alert
from tests.graphql import conftest as graphql_conftest
from tests.graphql.conftest import data_of, gid
from tests.referrals.conftest import complete, doctor_with_specialty, refer

pytestmark = pytest.mark.django_db
graphql = graphql_conftest.graphql

NOTIFICATIONS = """{
    unreadNotificationCount
    notifications(first: 20) { totalCount edges { node {
        id kind title actor { id } referral { id status question requester { id } }
    } } }
}"""
NODE = "query ($id: ID!) { node(id: $id) { ... on Notification { id referral { id } } } }"

# Clinical text the steps below carry: it must never reach a title.
QUESTION = "Kết quả siêu âm tim gần nhất?"
ANSWER = "EF 45%, giảm vận động thành dưới."


class Told:
    """The notifications written since it last looked, as (recipient, kind) pairs."""

    def __init__(self) -> None:
        self.seen = 0

    def __call__(self) -> set[tuple[int, str]]:
        new = list(Notification.objects.filter(pk__gt=self.seen).order_by("pk"))
        self.seen = max([self.seen, *(n.pk for n in new)])
        return {(n.recipient_id, n.kind) for n in new}


def titles() -> list[str]:
    return list(Notification.objects.values_list("title", flat=True))


def test_each_step_notifies_the_other_side_never_the_actor(requester, consultant, case):
    told = Told()
    referral = refer(requester, case, consultant)
    key = referral.public_id
    assert told() == {(consultant.pk, NotificationKind.REFERRAL_REQUESTED)}
    services.accept_referral(consultant, key)
    assert told() == {(requester.pk, NotificationKind.REFERRAL_ACCEPTED)}
    services.start_referral(consultant, key)
    assert told() == set()
    services.request_information(consultant, key, question=QUESTION)
    assert told() == {(requester.pk, NotificationKind.REFERRAL_INFORMATION_REQUESTED)}
    services.give_information(requester, key, answer=ANSWER)
    assert told() == {(consultant.pk, NotificationKind.REFERRAL_INFORMATION_GIVEN)}
    complete(consultant, referral)
    assert told() == {(requester.pk, NotificationKind.REFERRAL_COMPLETED)}

    declined = refer(requester, case, consultant)
    told()
    services.reject_referral(consultant, declined.public_id, reason="Ngoài chuyên môn của tôi.")
    assert told() == {(requester.pk, NotificationKind.REFERRAL_REJECTED)}
    withdrawn = refer(requester, case, consultant)
    told()
    services.cancel_referral(requester, withdrawn.public_id)
    assert told() == {(consultant.pk, NotificationKind.REFERRAL_CANCELLED)}

    assert set(Notification.objects.values_list("referral_id", flat=True)) == {
        referral.pk,
        declined.pk,
        withdrawn.pk,
    }
    for title in titles():
        assert consultant.full_name in title or requester.full_name in title
        assert not any(text in title for text in (QUESTION, ANSWER, case.title, referral.question))


def test_a_queued_referral_notifies_each_member_of_the_queue(requester, consultant, case):
    colleague = doctor_with_specialty(Tier.PROVINCIAL, facility=consultant.facility)
    refer(requester, case, facility_id=consultant.facility_id)
    assert sorted(Notification.objects.values_list("recipient_id", "kind")) == sorted(
        [
            (consultant.pk, NotificationKind.REFERRAL_REQUESTED),
            (colleague.pk, NotificationKind.REFERRAL_REQUESTED),
        ]
    )


def test_it_is_listed_with_its_referral_and_counted_in_the_badge(graphql, requester, consultant, case):
    referral = refer(requester, case, consultant)
    graphql.login(consultant)
    data = data_of(graphql(NOTIFICATIONS))
    [edge] = data["notifications"]["edges"]
    assert data["unreadNotificationCount"] == 1
    assert edge["node"]["kind"] == "REFERRAL_REQUESTED"
    assert requester.full_name in edge["node"]["title"]
    assert edge["node"]["actor"] is None
    assert edge["node"]["referral"] == {
        "id": gid("Referral", referral.public_id),
        "status": "REQUESTED",
        "question": referral.question,  # the referral itself, to whoever may see it
        "requester": {"id": gid("Doctor", requester.public_id)},
    }
    graphql.login(requester)
    assert data_of(graphql(NOTIFICATIONS))["notifications"]["totalCount"] == 0


def test_a_muted_kind_is_not_sent_and_the_others_still_are(requester, consultant, case):
    mute_kind(consultant, NotificationKind.REFERRAL_REQUESTED)
    referral = refer(requester, case, consultant)
    assert not Notification.objects.filter(recipient=consultant).exists()

    services.accept_referral(consultant, referral.public_id)
    assert list(Notification.objects.values_list("recipient_id", "kind")) == [
        (requester.pk, NotificationKind.REFERRAL_ACCEPTED)
    ]


def test_a_doctor_who_may_not_see_the_referral_is_never_shown_it(graphql, requester, consultant, case):
    """Claimed by one member, a queued referral leaves the others' sight, and their notification
    with it; a doctor who never could see it is not even notified."""
    colleague = doctor_with_specialty(Tier.PROVINCIAL, facility=consultant.facility)
    referral = refer(requester, case, facility_id=consultant.facility_id)
    colleagues = Notification.objects.get(recipient=colleague)
    graphql.login(colleague)
    listed = data_of(graphql(NOTIFICATIONS))["notifications"]["edges"]
    assert [edge["node"]["referral"]["id"] for edge in listed] == [gid("Referral", referral.public_id)]

    services.accept_referral(consultant, referral.public_id)

    data = data_of(graphql(NOTIFICATIONS))
    assert (data["unreadNotificationCount"], data["notifications"]["edges"]) == (0, [])
    assert data_of(graphql(NODE, {"id": gid("Notification", colleagues.public_id)}))["node"] is None
    graphql.login(consultant)
    [edge] = data_of(graphql(NOTIFICATIONS))["notifications"]["edges"]
    assert edge["node"]["referral"]["status"] == "ACCEPTED"

    stranger = doctor_with_specialty(Tier.CENTRAL)
    assert alert([stranger], referral, NotificationKind.REFERRAL_ESCALATED, "Chuyển cấp") == 0
    assert not Notification.objects.filter(recipient=stranger).exists()


def test_opening_the_notification_on_the_web_marks_it_read_and_shows_the_referral(
    client, requester, consultant, case
):
    referral = refer(requester, case, consultant)
    [notification] = Notification.objects.filter(recipient=consultant)
    client.force_login(consultant)
    assert (
        f"/network/notifications/{notification.public_id}/open/"
        in client.get("/network/notifications/").content.decode()
    )
    response = client.post(f"/network/notifications/{notification.public_id}/open/")
    assert response.status_code == 302
    assert response["Location"] == f"/referrals/{referral.public_id}/"
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_each_recipient_is_told_once(requester, consultant, case):
    referral = refer(requester, case, consultant)
    Notification.objects.all().delete()
    sent = alert([consultant, None, consultant], referral, NotificationKind.REFERRAL_ESCALATED, "Chuyển cấp")
    assert sent == 1
    assert list(Notification.objects.values_list("recipient_id", flat=True)) == [consultant.pk]
