"""Rooms: who may open and use them, decided from the source of truth every time."""

from __future__ import annotations

import pytest
from django.utils import timezone

from accounts.models import User, VerificationStatus
from chat import services
from chat.models import Room, RoomMember
from chat.selectors.rooms import joined_room, may_use_room, room_list, usable_room
from common.errors import ServiceError
from facilities.models import Tier
from mentorship.services.mentorships import end_mentorship
from network.models import Case, CaseAudience, Connection
from network.services.connections import block_doctor, remove_connection
from referrals.models import Referral
from tests import factories
from tests.chat.builders import case_room, connected_pair, direct_room, mentee, send
from tests.network.test_cases_builders import published_case
from tests.referrals.conftest import advance, doctor_with_specialty, refer
from tests.referrals.conftest import published_case as referral_case

pytestmark = pytest.mark.django_db


def refusal(call, *args) -> tuple[str, str | None]:
    with pytest.raises(ServiceError) as caught:
        call(*args)
    return str(caught.value.code), caught.value.errors[0].field


def test_opening_a_room_is_idempotent_and_joins_the_doctor():
    room, case = case_room()
    reader = factories.doctor()
    assert services.open_case_room(reader, case.pk) == room
    assert services.open_case_room(reader, case.pk) == room
    assert Room.objects.filter(case=case).count() == 1
    assert RoomMember.objects.filter(room=room).count() == 2


def test_a_case_room_follows_the_cases_visibility():
    author, named, other = factories.doctor(), factories.doctor(), factories.doctor()
    case = published_case(author, visibility=Case.Visibility.NAMED, audience=(named,))
    room = services.open_case_room(named, case.pk)
    assert refusal(services.open_case_room, other, case.pk) == ("NOT_FOUND", "caseId")
    assert usable_room(named, room.pk) == room

    CaseAudience.objects.filter(case=case, doctor=named).delete()
    assert refusal(usable_room, named, room.pk) == ("NOT_FOUND", "roomId")
    assert not may_use_room(named.pk, room.pk)


def test_a_member_who_never_joined_cannot_use_the_room():
    room, _case = case_room()
    assert refusal(usable_room, factories.doctor(), room.pk) == ("NOT_FOUND", "roomId")


def test_direct_rooms_need_a_connection_and_no_block():
    first, second = factories.doctor(), factories.doctor()
    assert refusal(services.open_direct_room, first, second.pk) == ("NOT_CONNECTED", "doctorId")
    assert refusal(services.open_direct_room, first, first.pk) == ("SELF_ACTION", "doctorId")
    pending = factories.doctor(status=VerificationStatus.PENDING)
    assert refusal(services.open_direct_room, first, pending.pk) == ("NOT_FOUND", "doctorId")

    room, first, second = direct_room()
    assert services.open_direct_room(second, first.pk) == room  # one room per pair, either way
    assert set(RoomMember.objects.filter(room=room).values_list("doctor_id", flat=True)) == {
        first.pk,
        second.pk,
    }

    remove_connection(first, second.pk)
    assert not may_use_room(first.pk, room.pk) and not may_use_room(second.pk, room.pk)
    assert refusal(services.open_direct_room, first, second.pk) == ("NOT_CONNECTED", "doctorId")


def test_a_block_ends_the_direct_room_for_both():
    room, first, second = direct_room()
    block_doctor(second, first.pk)
    assert not may_use_room(first.pk, room.pk) and not may_use_room(second.pk, room.pk)
    assert refusal(services.open_direct_room, first, second.pk) == ("BLOCKED", "doctorId")


def test_a_doctor_who_loses_verification_loses_every_room():
    room, first, second = direct_room()
    assert may_use_room(first.pk, room.pk)
    first.verification_status = VerificationStatus.REVOKED
    first.save(update_fields=["verification_status"])
    assert not may_use_room(first.pk, room.pk)
    # The other doctor is no longer a usable peer either: nobody is left to talk to.
    assert not may_use_room(second.pk, room.pk)


def test_a_lapsed_licence_counts_as_unverified():
    room, first, _second = direct_room()
    first.licence_expires_on = timezone.localdate() - timezone.timedelta(days=1)
    first.save(update_fields=["licence_expires_on"])
    assert not may_use_room(first.pk, room.pk)


def test_mentorship_rooms_last_while_the_mentorship_is_active():
    mentor, learner, stranger = factories.doctor(), mentee(), factories.doctor()
    mentorship = factories.mentorship(mentor, learner)
    room = services.open_mentorship_room(learner, mentorship.pk)
    assert refusal(services.open_mentorship_room, stranger, mentorship.pk) == ("NOT_FOUND", "mentorshipId")
    assert may_use_room(mentor.pk, room.pk) and may_use_room(learner.pk, room.pk)

    end_mentorship(mentor, mentorship.public_id, reason="Kết thúc chương trình")
    assert not may_use_room(mentor.pk, room.pk) and not may_use_room(learner.pk, room.pk)
    assert refusal(services.open_mentorship_room, mentor, mentorship.pk) == (
        "MENTORSHIP_NOT_ACTIVE",
        "mentorshipId",
    )


def test_a_mentors_circle_holds_the_mentor_and_active_mentees():
    mentor, first, second, outsider = factories.doctor(), mentee(), mentee(), mentee()
    factories.mentorship(mentor, first)
    ended = factories.mentorship(mentor, second)
    room = services.open_mentor_circle_room(mentor)
    assert services.open_mentor_circle_room(first, mentor.pk) == room
    assert {first.pk, second.pk, mentor.pk} <= set(
        RoomMember.objects.filter(room=room).values_list("doctor_id", flat=True)
    )
    assert refusal(services.open_mentor_circle_room, outsider, mentor.pk) == (
        "MENTORSHIP_NOT_ACTIVE",
        "mentorId",
    )
    assert refusal(services.open_mentor_circle_room, outsider) == ("MENTORSHIP_NOT_ACTIVE", "mentorId")

    end_mentorship(mentor, ended.public_id, reason="Kết thúc chương trình")
    assert may_use_room(mentor.pk, room.pk) and may_use_room(first.pk, room.pk)
    assert not may_use_room(second.pk, room.pk)


def test_only_verified_doctors_open_rooms():
    pending = factories.doctor(status=VerificationStatus.PENDING)
    _room, case = case_room()
    assert refusal(services.open_case_room, pending, case.pk) == ("NOT_VERIFIED", None)


def test_the_room_list_shows_usable_rooms_latest_first_with_unread_counts():
    first, second = connected_pair()
    direct = services.open_direct_room(first, second.pk)
    room, _case = case_room(second, first)
    send(second, direct)
    send(second, room)
    send(first, room)  # what you send, you have read
    send(second, room)
    send(second, room)
    listed = list(room_list(first))
    assert [r.pk for r in listed] == [room.pk, direct.pk]
    assert [r.unread_count for r in listed] == [2, 1]
    assert [r.viewer_last_read_seq for r in listed] == [2, 0]
    assert listed[0].latest[0].seq == 4

    Connection.objects.filter(doctor__in=(first, second)).delete()
    assert [r.pk for r in room_list(first)] == [room.pk]


# --- One room's check and the list decide alike -------------------------------------------------
# Each scenario builds a room, the doctors concerned (members, and someone who never joined) and
# a way of losing access already tested above; ``who_keeps`` are those still admitted after it.


def _case_audience_removed():
    author, named, other = factories.doctor(), factories.doctor(), factories.doctor()
    case = published_case(author, visibility=Case.Visibility.NAMED, audience=(named,))
    room = services.open_case_room(named, case.pk)
    services.open_case_room(author, case.pk)
    return room, (author, named, other), lambda: CaseAudience.objects.filter(case=case).delete(), {author}


def _case_deleted():
    author, reader = factories.doctor(), factories.doctor()
    room, case = case_room(author, reader)
    return (
        room,
        (author, reader),
        lambda: Case.objects.filter(pk=case.pk).update(deleted_at=timezone.now()),
        set(),
    )


def _case_author_blocked():
    author, reader = factories.doctor(), factories.doctor()
    room, _case = case_room(author, reader)
    return room, (author, reader), lambda: block_doctor(reader, author.pk), {author}


def _direct_disconnected():
    room, first, second = direct_room()
    return room, (first, second, factories.doctor()), lambda: remove_connection(first, second.pk), set()


def _direct_blocked():
    room, first, second = direct_room()
    return room, (first, second), lambda: block_doctor(second, first.pk), set()


def _direct_unverified():
    room, first, second = direct_room()

    def revoke() -> None:
        first.verification_status = VerificationStatus.REVOKED
        first.save(update_fields=["verification_status"])

    return room, (first, second), revoke, set()


def _direct_licence_lapsed():
    room, first, second = direct_room()

    def lapse() -> None:
        first.licence_expires_on = timezone.localdate() - timezone.timedelta(days=1)
        first.save(update_fields=["licence_expires_on"])

    return room, (first, second), lapse, set()


def _mentorship_ended():
    mentor, learner = factories.doctor(), mentee()
    mentorship = factories.mentorship(mentor, learner)
    room = services.open_mentorship_room(learner, mentorship.pk)
    services.open_mentorship_room(mentor, mentorship.pk)
    end = lambda: end_mentorship(mentor, mentorship.public_id, reason="Kết thúc chương trình")  # noqa: E731
    return room, (mentor, learner, factories.doctor()), end, set()


def _circle_mentee_ended():
    mentor, kept, leaving = factories.doctor(), mentee(), mentee()
    factories.mentorship(mentor, kept)
    ended = factories.mentorship(mentor, leaving)
    room = services.open_mentor_circle_room(mentor)
    for learner in (kept, leaving):
        services.open_mentor_circle_room(learner, mentor.pk)
    end = lambda: end_mentorship(mentor, ended.public_id, reason="Kết thúc chương trình")  # noqa: E731
    return room, (mentor, kept, leaving), end, {mentor, kept}


def _referral_cancelled():
    requester, consultant = doctor_with_specialty(Tier.DISTRICT), doctor_with_specialty(Tier.PROVINCIAL)
    referral = advance(
        refer(requester, referral_case(requester), consultant),
        Referral.Status.ACCEPTED,
        requester,
        consultant,
    )
    room = Room.objects.get(kind=Room.Kind.REFERRAL, referral=referral)
    cancel = lambda: advance(referral, Referral.Status.CANCELLED, requester, consultant)  # noqa: E731
    return room, (requester, consultant, factories.doctor()), cancel, set()


def _who_may_use(room: Room, doctors) -> dict[str, set[int]]:
    """Who may use the room, by each way of asking; all must agree."""
    return {
        "one room": {d.pk for d in doctors if joined_room(User.objects.get(pk=d.pk), room.pk) is not None},
        "backstop": {d.pk for d in doctors if may_use_room(d.pk, room.pk)},
        "list": {d.pk for d in doctors if room_list(User.objects.get(pk=d.pk)).filter(pk=room.pk).exists()},
    }


@pytest.mark.parametrize(
    "scenario",
    [
        _case_audience_removed,
        _case_deleted,
        _case_author_blocked,
        _direct_disconnected,
        _direct_blocked,
        _direct_unverified,
        _direct_licence_lapsed,
        _mentorship_ended,
        _circle_mentee_ended,
        _referral_cancelled,
    ],
)
def test_one_rooms_check_and_the_room_list_agree(scenario):
    room, doctors, lose_access, who_keeps = scenario()
    members = set(RoomMember.objects.filter(room=room).values_list("doctor_id", flat=True))
    before = _who_may_use(room, doctors)
    assert before == {key: members & {d.pk for d in doctors} for key in before}
    assert before["one room"], "somebody may use the room before the change"

    lose_access()
    after = _who_may_use(room, doctors)
    assert after == {key: {d.pk for d in who_keeps} for key in after}
