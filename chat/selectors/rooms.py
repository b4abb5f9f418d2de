"""Who may use a room, decided from the source of truth on every request, and the room list.

A room is usable by a doctor who joined it (a ``RoomMember`` row) and still has access:

* case room: the case is in ``network.selectors.cases.cases_visible_to``;
* direct room: the two doctors are connected, both verified, and neither blocked the other;
* mentorship room: the mentorship is active;
* mentor's circle: the viewer is the mentor, or one of their mentees in an active mentorship;
* referral room: the viewer is the requester or the consultant of a referral that has one
  (and was not cancelled).

Only active verified doctors use rooms. Nothing else in the app decides access.

The rule takes two forms here, sharing their fragments: a filter over every kind at once, for
lists (``rooms_accessible_to``), and one small query of the room's kind for one known room
(``_admits``: what sends, pages and live subscriptions check, without planning the union).
``tests/chat/test_rooms.py`` checks that they agree for every kind and every way of losing access.
"""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, Exists, F, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.selectors import verified_doctors_q, with_profile
from accounts.services import is_verified_doctor
from chat.errors import ChatErrorCode
from chat.models import Message, Room, RoomMember
from chat.selectors.cards import with_message_data
from common.errors import ServiceError
from mentorship.models import Mentorship
from network.selectors.cases import can_see_case, cases_visible_to
from network.selectors.connections import blocked_either_way_ids, peer_ids
from referrals.models import Referral

Viewer = AbstractBaseUser | AnonymousUser | None

# A referral whose room is closed (its history stays for compliance exports).
CLOSED_REFERRALS = (Referral.Status.CANCELLED, Referral.Status.REJECTED)


def _usable_peers(doctor_id: int) -> QuerySet[User]:
    """The doctor's connections who are verified and not blocked either way (direct rooms)."""
    return User.objects.filter(verified_doctors_q(), pk__in=peer_ids(doctor_id)).exclude(
        pk__in=blocked_either_way_ids(doctor_id)
    )


def _active_mentorship_q(doctor_id: int, prefix: str = "") -> Q:
    """An active mentorship the doctor is mentor or mentee of (``prefix``: the path to it)."""
    return Q(**{f"{prefix}status": Mentorship.Status.ACTIVE}) & (
        Q(**{f"{prefix}mentor_id": doctor_id}) | Q(**{f"{prefix}mentee_id": doctor_id})
    )


def _open_referral_q(doctor_id: int, prefix: str = "") -> Q:
    """A referral with a consultant, not closed, the doctor requested or consults on."""
    return (
        Q(**{f"{prefix}consultant__isnull": False})
        & ~Q(**{f"{prefix}status__in": CLOSED_REFERRALS})
        & (Q(**{f"{prefix}requester_id": doctor_id}) | Q(**{f"{prefix}consultant_id": doctor_id}))
    )


def rooms_accessible_to(viewer: Viewer) -> QuerySet[Room]:
    """The rooms ``viewer`` may use now, whether or not they joined them (every kind at once, for
    lists; ``_admits`` decides the same for one known room, more cheaply)."""
    if not is_verified_doctor(viewer):
        return Room.objects.none()
    assert isinstance(viewer, User)
    me = viewer.pk
    peers = _usable_peers(me).values("pk")
    my_mentors = Mentorship.objects.filter(status=Mentorship.Status.ACTIVE, mentee_id=me).values("mentor_id")
    admitted = (
        Q(kind=Room.Kind.CASE, case_id__in=cases_visible_to(viewer).values("pk"))
        | Q(kind=Room.Kind.DIRECT, first_doctor_id=me, second_doctor_id__in=peers)
        | Q(kind=Room.Kind.DIRECT, second_doctor_id=me, first_doctor_id__in=peers)
        | (Q(kind=Room.Kind.MENTORSHIP) & _active_mentorship_q(me, "mentorship__"))
        | (Q(kind=Room.Kind.REFERRAL) & _open_referral_q(me, "referral__"))
        | Q(kind=Room.Kind.MENTOR_CIRCLE, circle_mentor_id=me)
        | Q(kind=Room.Kind.MENTOR_CIRCLE, circle_mentor_id__in=my_mentors)
    )
    return Room.objects.filter(admitted)


def _admits(viewer: User, room: Room) -> bool:
    """Whether ``room``'s source of truth admits the verified doctor ``viewer``: the rule of
    ``rooms_accessible_to`` for one room, in one small query of its kind (no union to plan).
    (A room's subject is always set for its kind: the ``chat_room_subject`` constraint.)"""
    me = viewer.pk
    match room.kind:
        case Room.Kind.CASE:
            return room.case_id is not None and can_see_case(viewer, room.case_id)
        case Room.Kind.DIRECT:
            if me not in (room.first_doctor_id, room.second_doctor_id):
                return False
            other = room.second_doctor_id if room.first_doctor_id == me else room.first_doctor_id
            return other is not None and _usable_peers(me).filter(pk=other).exists()
        case Room.Kind.MENTORSHIP:
            mentorship = room.mentorship_id
            return (
                mentorship is not None
                and Mentorship.objects.filter(_active_mentorship_q(me), pk=mentorship).exists()
            )
        case Room.Kind.MENTOR_CIRCLE:
            return room.circle_mentor_id == me or (
                Mentorship.objects.filter(
                    status=Mentorship.Status.ACTIVE, mentee_id=me, mentor_id=room.circle_mentor_id
                ).exists()
            )
        case Room.Kind.REFERRAL:
            referral = room.referral_id
            return (
                referral is not None and Referral.objects.filter(_open_referral_q(me), pk=referral).exists()
            )
    return False


def rooms_of(viewer: Viewer) -> QuerySet[Room]:
    """The rooms ``viewer`` joined and may still use."""
    rooms = rooms_accessible_to(viewer)
    if viewer is None or not viewer.is_authenticated:
        return rooms
    return rooms.filter(_joined_by(viewer.pk))


def _joined_by(doctor_id: int) -> Exists:
    return Exists(RoomMember.objects.filter(room_id=OuterRef("pk"), doctor_id=doctor_id))


def joined_room(viewer: Viewer, room_id: int, rooms: QuerySet[Room] | None = None) -> Room | None:
    """The room, if ``viewer`` is a verified doctor who joined it and may use it now: two small
    queries (the room with the membership, then its kind's check). ``rooms``: where to read it
    from (a locking queryset, say; all rooms by default)."""
    if not is_verified_doctor(viewer):
        return None
    assert isinstance(viewer, User)
    room = (Room.objects.all() if rooms is None else rooms).filter(_joined_by(viewer.pk), pk=room_id).first()
    return room if room is not None and _admits(viewer, room) else None


def usable_room(
    viewer: Viewer, room_id: int, field: str = "roomId", rooms: QuerySet[Room] | None = None
) -> Room:
    """The room, if ``viewer`` joined it and may use it; else NOT_FOUND (a room one may not use
    and one that does not exist are indistinguishable on purpose)."""
    room = joined_room(viewer, room_id, rooms)
    if room is None:
        raise ServiceError(ChatErrorCode.NOT_FOUND, _("No such conversation."), field)
    return room


def may_use_room(doctor_id: int, room_id: int) -> bool:
    """Whether the doctor, as stored now (not as a long-lived socket remembers them), may use the
    room: the backstop of live subscriptions."""
    # The membership with its room and doctor in one query, then the kind's check.
    member = (
        RoomMember.objects.select_related("room", "doctor")
        .filter(room_id=room_id, doctor_id=doctor_id)
        .first()
    )
    return member is not None and is_verified_doctor(member.doctor) and _admits(member.doctor, member.room)


def room_ids_of_doctors(doctor_ids: list[int]) -> QuerySet[RoomMember, int]:
    """Rooms any of the doctors joined (those whose access a change of theirs may affect)."""
    return RoomMember.objects.filter(doctor_id__in=doctor_ids).values_list("room_id", flat=True).distinct()


# --- The room list ------------------------------------------------------------------------------


def with_room_data(rooms: QuerySet[Room], viewer: User) -> QuerySet[Room]:
    """Rooms with what the room list shows, in a fixed number of queries: the viewer's
    ``viewer_last_read_seq`` and ``unread_count`` (others' live messages after it), the last
    message (``latest``, with its sender) and the doctors a title names."""
    read_seq = RoomMember.objects.filter(room_id=OuterRef("pk"), doctor_id=viewer.pk).values("last_read_seq")[
        :1
    ]
    unread = (
        Message.objects.filter(
            room_id=OuterRef("pk"), seq__gt=OuterRef("viewer_last_read_seq"), deleted_at__isnull=True
        )
        .exclude(sender_id=viewer.pk)
        .order_by()
        .values("room_id")
        .annotate(total=Count("pk"))
        .values("total")
    )
    doctors = with_profile(User.objects.all())
    latest = with_message_data(Message.objects.filter(seq=F("room__last_seq")))
    return (
        rooms.annotate(viewer_last_read_seq=Coalesce(Subquery(read_seq), Value(0)))
        .annotate(unread_count=Coalesce(Subquery(unread, output_field=IntegerField()), Value(0)))
        .select_related("case", "mentorship", "referral")
        .prefetch_related(
            Prefetch("messages", queryset=latest, to_attr="latest"),
            Prefetch("first_doctor", queryset=doctors),
            Prefetch("second_doctor", queryset=doctors),
            Prefetch("circle_mentor", queryset=doctors),
            Prefetch("mentorship__mentor", queryset=doctors),
            Prefetch("mentorship__mentee", queryset=doctors),
            Prefetch("referral__requester", queryset=doctors),
            Prefetch("referral__consultant", queryset=doctors),
        )
    )


def room_list(viewer: Viewer) -> QuerySet[Room]:
    """The viewer's rooms, latest activity first, with what the list shows."""
    if not is_verified_doctor(viewer):
        return Room.objects.none()
    assert isinstance(viewer, User)
    return with_room_data(rooms_of(viewer), viewer).order_by("-last_activity_at", "-id")


def room_for(viewer: User, room_id: int) -> Room:
    """One usable room with what the list shows (mutation payloads); NOT_FOUND otherwise."""
    usable_room(viewer, room_id)
    return with_room_data(Room.objects.filter(pk=room_id), viewer).get()


def peer_of(room: Room, viewer_id: int) -> User | None:
    """The other doctor of a direct, mentorship or referral room."""
    if room.kind == Room.Kind.DIRECT:
        return room.second_doctor if room.first_doctor_id == viewer_id else room.first_doctor
    if room.kind == Room.Kind.MENTORSHIP and room.mentorship is not None:
        mentorship = room.mentorship
        return mentorship.mentee if mentorship.mentor_id == viewer_id else mentorship.mentor
    if room.kind == Room.Kind.REFERRAL and room.referral is not None:
        referral = room.referral
        return referral.consultant if referral.requester_id == viewer_id else referral.requester
    return None


def room_title(room: Room, viewer_id: int) -> str:
    """What a room is called for the viewer: the case, the other doctor, or the mentor's circle."""
    if room.kind == Room.Kind.CASE:
        assert room.case is not None, "a case room has its case (chat_room_subject)"
        return room.case.title
    if room.kind == Room.Kind.MENTOR_CIRCLE:
        assert room.circle_mentor is not None, "a circle has its mentor (chat_room_subject)"
        return _("%(mentor)s's mentoring circle") % {"mentor": room.circle_mentor.full_name}
    peer = peer_of(room, viewer_id)
    return peer.full_name if peer is not None else ""
