"""Who is connected to whom, and who blocked whom: the relations other rules build on, and the
lists a doctor sees of their own network.

Every list shows only active verified doctors (others are out of the network until verified
again) and never a doctor blocked either way: block_doctor removes connections and pending
requests, and the lists filter again so a blocked doctor cannot reappear through a race.
"""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import Case, F, Prefetch, Q, QuerySet, When

from accounts.models import User
from accounts.selectors import verified_doctors_q, with_profile
from accounts.services import is_verified_doctor, require_verified_doctor
from facilities.models import Specialty
from network.models import Block, Connection, ConnectionRequest, SpecialtyFollow

Viewer = AbstractBaseUser | AnonymousUser | None


def peer_ids(doctor_id: int) -> QuerySet[Connection, int]:
    """Ids of the doctor's connections, as a subquery."""
    return Connection.objects.filter(doctor_id=doctor_id).values_list("peer_id", flat=True)


def are_connected(doctor_id: int, other_id: int) -> bool:
    return Connection.objects.filter(doctor_id=doctor_id, peer_id=other_id).exists()


def blocked_either_way_ids(doctor_id: int) -> QuerySet[Block, int]:
    """Ids of everyone the doctor blocked or was blocked by, as a subquery.

    Read from the block table alone (two index scans), never by scanning every doctor."""
    return (
        Block.objects.filter(Q(blocker_id=doctor_id) | Q(blocked_id=doctor_id))
        .annotate(other_id=Case(When(blocker_id=doctor_id, then=F("blocked_id")), default=F("blocker_id")))
        .values_list("other_id", flat=True)
    )


def is_blocked_either_way(doctor_id: int, other_id: int) -> bool:
    return Block.objects.filter(
        Q(blocker_id=doctor_id, blocked_id=other_id) | Q(blocker_id=other_id, blocked_id=doctor_id)
    ).exists()


def verified_doctor_ids() -> QuerySet[User, int]:
    """Ids of the active verified doctors, as a subquery."""
    return User.objects.filter(verified_doctors_q()).values_list("pk", flat=True)


def _profiles(field: str) -> Prefetch:
    """Load the doctor behind ``field`` with what a doctor card shows, in constant queries."""
    return Prefetch(field, queryset=with_profile(User.objects.all()))


def connections_of(viewer: Viewer) -> QuerySet[Connection]:
    """The viewer's own connections, newest first, each with the peer's profile."""
    doctor = require_verified_doctor(viewer)
    return (
        Connection.objects.filter(doctor_id=doctor.pk, peer_id__in=verified_doctor_ids())
        .exclude(peer_id__in=blocked_either_way_ids(doctor.pk))
        .prefetch_related(_profiles("peer"))
        .order_by("-created_at", "-id")
    )


def mutual_connections(viewer: Viewer, other_id: int) -> QuerySet[User]:
    """Doctors connected to both the viewer and ``other_id``, by name; none when the two are
    blocked either way."""
    doctor = require_verified_doctor(viewer)
    if other_id == doctor.pk or is_blocked_either_way(doctor.pk, other_id):
        return User.objects.none()
    return with_profile(
        User.objects.filter(verified_doctors_q(), pk__in=peer_ids(doctor.pk))
        .filter(pk__in=peer_ids(other_id))
        .exclude(pk__in=blocked_either_way_ids(doctor.pk))
        .order_by("full_name", "id")
    )


def _pending_requests(doctor: User, *, party: str, other: str) -> QuerySet[ConnectionRequest]:
    return (
        ConnectionRequest.objects.filter(
            **{party: doctor.pk, f"{other}_id__in": verified_doctor_ids()},
            status=ConnectionRequest.Status.PENDING,
        )
        .exclude(**{f"{other}_id__in": blocked_either_way_ids(doctor.pk)})
        .prefetch_related(_profiles("sender"), _profiles("recipient"))
        .order_by("-created_at", "-id")
    )


def incoming_requests(viewer: Viewer) -> QuerySet[ConnectionRequest]:
    """Pending requests other doctors sent the viewer, newest first, with both doctors' profiles."""
    return _pending_requests(require_verified_doctor(viewer), party="recipient", other="sender")


def outgoing_requests(viewer: Viewer) -> QuerySet[ConnectionRequest]:
    """Pending requests the viewer sent, newest first, with both doctors' profiles."""
    return _pending_requests(require_verified_doctor(viewer), party="sender", other="recipient")


def requests_visible_to(
    viewer: Viewer, requests: QuerySet[ConnectionRequest] | None = None
) -> QuerySet[ConnectionRequest]:
    """Requests (any status) the viewer sent or received whose other party is still a verified
    doctor not blocked either way: what a request node lookup may return. None for anyone who
    is not a verified doctor."""
    requests = ConnectionRequest.objects.all() if requests is None else requests
    if not is_verified_doctor(viewer):
        return requests.none()
    assert isinstance(viewer, User)
    blocked = blocked_either_way_ids(viewer.pk)
    verified = verified_doctor_ids()
    return requests.filter(
        Q(sender_id=viewer.pk, recipient_id__in=verified) | Q(recipient_id=viewer.pk, sender_id__in=verified)
    ).exclude(Q(sender_id__in=blocked) | Q(recipient_id__in=blocked))


def blocked_doctors(viewer: Viewer) -> QuerySet[User]:
    """Doctors the viewer blocked (so they can unblock them), by name."""
    doctor = require_verified_doctor(viewer)
    return with_profile(
        User.objects.filter(
            verified_doctors_q(), pk__in=Block.objects.filter(blocker_id=doctor.pk).values("blocked_id")
        ).order_by("full_name", "id")
    )


def followed_specialty_ids(doctor_id: int) -> QuerySet[SpecialtyFollow, int]:
    """Ids of the specialties the doctor follows, as a subquery (the feed uses it)."""
    return SpecialtyFollow.objects.filter(doctor_id=doctor_id).values_list("specialty_id", flat=True)


def followed_specialties(viewer: Viewer) -> QuerySet[Specialty]:
    """The specialties the viewer follows, by name."""
    doctor = require_verified_doctor(viewer)
    return Specialty.objects.filter(pk__in=followed_specialty_ids(doctor.pk)).order_by("name_vi", "id")
