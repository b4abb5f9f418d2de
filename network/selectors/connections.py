"""Who is connected to whom, and who blocked whom: the relations other rules build on."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet

from accounts.models import User
from network.models import Block, Connection


def peer_ids(doctor_id: int) -> QuerySet[Connection, int]:
    """Ids of the doctor's connections, as a subquery."""
    return Connection.objects.filter(doctor_id=doctor_id).values_list("peer_id", flat=True)


def are_connected(doctor_id: int, other_id: int) -> bool:
    return Connection.objects.filter(doctor_id=doctor_id, peer_id=other_id).exists()


def blocked_either_way_ids(doctor_id: int) -> QuerySet[User, int]:
    """Ids of everyone the doctor blocked or was blocked by, as a subquery."""
    return User.objects.filter(
        Exists(Block.objects.filter(blocker_id=doctor_id, blocked_id=OuterRef("pk")))
        | Exists(Block.objects.filter(blocker_id=OuterRef("pk"), blocked_id=doctor_id))
    ).values_list("pk", flat=True)


def is_blocked_either_way(doctor_id: int, other_id: int) -> bool:
    return Block.objects.filter(
        Q(blocker_id=doctor_id, blocked_id=other_id) | Q(blocker_id=other_id, blocked_id=doctor_id)
    ).exists()
