"""Closing live subscriptions when access to a room is lost.

Access is decided by the source of truth on every request; these listeners only make live
``roomEvents`` subscriptions notice at once: when something access depends on changes (a case's
visibility or audience, a connection, a block, a mentorship, a doctor's standing), the rooms it
may affect are told, after the commit, to have their subscribers check again. As a backstop for
a change no listener sees (a bulk ``update()``), each subscription also checks every
``CHAT_ACCESS_RECHECK_SECONDS`` (``chat.schema.subscriptions``).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from chat.events import announce_access_changed
from chat.models import Room
from chat.selectors.rooms import room_ids_of_doctors


def rooms_of_doctors_changed(*doctor_ids: int) -> None:
    """Something about these doctors is changing: once it commits, every room they joined
    checks them again (looked up then, so the changing transaction runs no extra query)."""

    def announce() -> None:
        announce_access_changed(room_ids_of_doctors(list(doctor_ids)), doctor_ids)

    transaction.on_commit(announce)


def case_changed(case_id: int) -> None:
    """A case's visibility, audience or state is changing: once it commits, its room's
    subscribers all check again."""

    def announce() -> None:
        rooms = Room.objects.filter(kind=Room.Kind.CASE, case_id=case_id).values_list("pk", flat=True)
        announce_access_changed(rooms)

    transaction.on_commit(announce)


# --- Signal receivers (connected in chat.apps) --------------------------------------------------


def on_case_saved(sender: Any, instance: Any, created: bool = False, **kwargs: Any) -> None:
    if not created:
        case_changed(instance.pk)


def on_audience_changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    case_changed(instance.case_id)


def on_connection_removed(sender: Any, instance: Any, **kwargs: Any) -> None:
    rooms_of_doctors_changed(instance.doctor_id, instance.peer_id)


def on_block(sender: Any, instance: Any, created: bool = False, **kwargs: Any) -> None:
    if created:
        rooms_of_doctors_changed(instance.blocker_id, instance.blocked_id)


def on_mentorship_saved(sender: Any, instance: Any, **kwargs: Any) -> None:
    rooms_of_doctors_changed(instance.mentor_id, instance.mentee_id)


def on_referral_saved(sender: Any, instance: Any, **kwargs: Any) -> None:
    doctor_ids = [pk for pk in (instance.requester_id, instance.consultant_id) if pk is not None]
    rooms_of_doctors_changed(*doctor_ids)


def on_standing_changed(sender: Any, doctor: Any, **kwargs: Any) -> None:
    rooms_of_doctors_changed(doctor.pk)
