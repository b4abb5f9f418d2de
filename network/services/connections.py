"""Connection requests, connections and blocks.

A connection is mutual: accepting a request writes both ``Connection`` rows in one transaction.
Writes that depend on the state of a pair of doctors (send, accept, decline, cancel, block)
first lock both doctors' rows in id order, before any other row: a request racing the reverse
request, an accept racing a block or another accept, or the sender's own other requests (the
daily cap) are decided one at a time, without deadlocks. The unique constraints stay as the
last line of defence.

When the recipient already asked the sender, a new request is refused with
REQUEST_ALREADY_PENDING and a message pointing at theirs: a connection is only ever made by the
recipient's explicit accept, never as a side effect of another action.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import User
from accounts.selectors import verified_doctors_q
from accounts.services import require_verified_doctor
from common.errors import ServiceError
from network.errors import NetworkErrorCode
from network.models import Block, Connection, ConnectionRequest, NotificationKind
from network.selectors.connections import are_connected, is_blocked_either_way
from network.services.notifications import notify

MESSAGE_MAX_LENGTH = ConnectionRequest._meta.get_field("message").max_length or 300
DAILY_WINDOW = timedelta(hours=24)


def _verified_doctor(doctor_id: int, field: str = "doctorId") -> User:
    """The other party: an active verified doctor, else NOT_FOUND (others are out of the network)."""
    other = User.objects.filter(verified_doctors_q(), pk=doctor_id).first()
    if other is None:
        raise ServiceError(NetworkErrorCode.NOT_FOUND, _("No such doctor."), field)
    return other


def lock_pair(first_id: int, second_id: int) -> None:
    """Lock two doctors' rows, in id order: every service deciding something about a pair
    (connections here, mentorships) takes this lock first, inside its transaction."""
    # FOR NO KEY UPDATE: excludes the same lock taken by another of these services, but not
    # inserts that merely reference the doctors.
    list(
        User.objects.select_for_update(no_key=True)
        .filter(pk__in=(first_id, second_id))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _refuse_if_blocked(doctor_id: int, other_id: int) -> None:
    if is_blocked_either_way(doctor_id, other_id):
        # The same answer whoever blocked whom: a block is never revealed to the blocked doctor.
        raise ServiceError(NetworkErrorCode.BLOCKED, _("You cannot connect with this doctor."), "doctorId")


REQUESTED_TITLE = gettext_noop("%(name)s wants to connect")
ACCEPTED_TITLE = gettext_noop("%(name)s accepted your connection request")


def _title(message: str, actor: User) -> str:
    # Stored once and shown to the recipient, whose language is unknown here: the site's.
    with translation.override(settings.LANGUAGE_CODE):
        return _(message) % {"name": actor.full_name or _("A doctor")}


def send_connection_request(sender: User, recipient_id: int, message: str = "") -> ConnectionRequest:
    """Ask ``recipient_id`` to connect; they are notified."""
    sender = require_verified_doctor(sender)
    message = message.strip()
    if len(message) > MESSAGE_MAX_LENGTH:
        raise ServiceError(
            NetworkErrorCode.INVALID,
            _("Keep the message under %(limit)d characters.") % {"limit": MESSAGE_MAX_LENGTH},
            "message",
        )
    if recipient_id == sender.pk:
        raise ServiceError(NetworkErrorCode.SELF_ACTION, _("You cannot connect with yourself."), "doctorId")
    with transaction.atomic():
        recipient = _verified_doctor(recipient_id)
        lock_pair(sender.pk, recipient.pk)
        _refuse_if_blocked(sender.pk, recipient.pk)
        if are_connected(sender.pk, recipient.pk):
            raise ServiceError(
                NetworkErrorCode.ALREADY_CONNECTED, _("You are already connected."), "doctorId"
            )
        pending = ConnectionRequest.objects.filter(status=ConnectionRequest.Status.PENDING)
        if pending.filter(sender=sender, recipient=recipient).exists():
            raise ServiceError(
                NetworkErrorCode.REQUEST_ALREADY_PENDING,
                _("You already asked this doctor to connect; wait for their answer."),
                "doctorId",
            )
        if pending.filter(sender=recipient, recipient=sender).exists():
            raise ServiceError(
                NetworkErrorCode.REQUEST_ALREADY_PENDING,
                _("This doctor already asked to connect with you: accept their request instead."),
                "doctorId",
            )
        sent_today = ConnectionRequest.objects.filter(
            sender=sender, created_at__gte=timezone.now() - DAILY_WINDOW
        ).count()
        if sent_today >= settings.NETWORK_DAILY_CONNECTION_REQUESTS:
            raise ServiceError(
                NetworkErrorCode.DAILY_REQUEST_LIMIT,
                _("You have sent %(limit)d connection requests in the last 24 hours; try again later.")
                % {"limit": settings.NETWORK_DAILY_CONNECTION_REQUESTS},
            )
        request = ConnectionRequest.objects.create(sender=sender, recipient=recipient, message=message)
        notify(
            recipient,
            NotificationKind.CONNECTION_REQUESTED,
            _title(REQUESTED_TITLE, sender),
            actor=sender,
            connection_request=request,
        )
    return request


def _request_for(doctor: User, request_id: int, role: str) -> ConnectionRequest:
    """The request, with its pair of doctors locked, if ``doctor`` is its ``role`` ("sender" or
    "recipient") and it is still pending."""
    parties = (
        ConnectionRequest.objects.filter(Q(sender_id=doctor.pk) | Q(recipient_id=doctor.pk), pk=request_id)
        .values_list("sender_id", "recipient_id")
        .first()
    )
    if parties is None:
        raise ServiceError(NetworkErrorCode.NOT_FOUND, _("No such connection request."), "requestId")
    sender_id, recipient_id = parties
    _verified_doctor(recipient_id if sender_id == doctor.pk else sender_id, "requestId")
    # The same lock as send and block take: a concurrent accept, block or reverse request waits,
    # then sees this one's outcome.
    lock_pair(sender_id, recipient_id)
    request = ConnectionRequest.objects.select_related("sender", "recipient").get(pk=request_id)
    if getattr(request, f"{role}_id") != doctor.pk:
        message = (
            _("Only the doctor who received the request can answer it.")
            if role == "recipient"
            else _("Only the doctor who sent the request can cancel it.")
        )
        raise ServiceError(NetworkErrorCode.PERMISSION_DENIED, message, "requestId")
    if request.status != ConnectionRequest.Status.PENDING:
        raise ServiceError(
            NetworkErrorCode.REQUEST_NOT_PENDING,
            _("This request was already answered or cancelled."),
            "requestId",
        )
    return request


def _decide(request: ConnectionRequest, status: ConnectionRequest.Status) -> None:
    request.status = status
    request.decided_at = timezone.now()
    request.save(update_fields=["status", "decided_at"])


def accept_connection_request(recipient: User, request_id: int) -> ConnectionRequest:
    """Accept a request sent to you: you are connected both ways; the sender is notified."""
    recipient = require_verified_doctor(recipient)
    with transaction.atomic():
        request = _request_for(recipient, request_id, "recipient")
        sender = request.sender
        _refuse_if_blocked(recipient.pk, sender.pk)
        _decide(request, ConnectionRequest.Status.ACCEPTED)
        try:
            with transaction.atomic():
                Connection.objects.bulk_create(
                    [Connection(doctor=sender, peer=recipient), Connection(doctor=recipient, peer=sender)]
                )
        except IntegrityError:
            raise ServiceError(
                NetworkErrorCode.ALREADY_CONNECTED, _("You are already connected."), "requestId"
            ) from None
        notify(
            sender,
            NotificationKind.CONNECTION_ACCEPTED,
            _title(ACCEPTED_TITLE, recipient),
            actor=recipient,
            connection_request=request,
        )
    return request


def ensure_connected(first: User, second: User) -> bool:
    """Connect two doctors if they are not yet (accepting a mentorship does); any pending
    request between them is settled as accepted. The caller holds :func:`lock_pair`. Returns
    whether a new connection was made."""
    if are_connected(first.pk, second.pk):
        return False
    Connection.objects.bulk_create(
        [Connection(doctor=first, peer=second), Connection(doctor=second, peer=first)]
    )
    ConnectionRequest.objects.filter(
        Q(sender=first, recipient=second) | Q(sender=second, recipient=first),
        status=ConnectionRequest.Status.PENDING,
    ).update(status=ConnectionRequest.Status.ACCEPTED, decided_at=timezone.now())
    return True


def decline_connection_request(recipient: User, request_id: int) -> ConnectionRequest:
    """Decline a request sent to you (the sender is not notified)."""
    recipient = require_verified_doctor(recipient)
    with transaction.atomic():
        request = _request_for(recipient, request_id, "recipient")
        _decide(request, ConnectionRequest.Status.DECLINED)
    return request


def cancel_connection_request(sender: User, request_id: int) -> ConnectionRequest:
    """Withdraw a request you sent that is still pending."""
    sender = require_verified_doctor(sender)
    with transaction.atomic():
        request = _request_for(sender, request_id, "sender")
        _decide(request, ConnectionRequest.Status.CANCELLED)
    return request


def remove_connection(doctor: User, peer_id: int) -> None:
    """End a connection, for both doctors."""
    doctor = require_verified_doctor(doctor)
    with transaction.atomic():
        peer = _verified_doctor(peer_id)
        deleted, _rows = Connection.objects.filter(
            Q(doctor=doctor, peer=peer) | Q(doctor=peer, peer=doctor)
        ).delete()
        if not deleted:
            raise ServiceError(NetworkErrorCode.NOT_CONNECTED, _("You are not connected."), "doctorId")


def block_doctor(blocker: User, doctor_id: int) -> Block:
    """Block a doctor: any connection between you ends and pending requests either way are
    cancelled; neither of you can request again or see the other in lists."""
    blocker = require_verified_doctor(blocker)
    if doctor_id == blocker.pk:
        raise ServiceError(NetworkErrorCode.SELF_ACTION, _("You cannot block yourself."), "doctorId")
    with transaction.atomic():
        other = _verified_doctor(doctor_id)
        lock_pair(blocker.pk, other.pk)
        if Block.objects.filter(blocker=blocker, blocked=other).exists():
            raise ServiceError(
                NetworkErrorCode.ALREADY_BLOCKED, _("You already blocked this doctor."), "doctorId"
            )
        block = Block.objects.create(blocker=blocker, blocked=other)
        Connection.objects.filter(Q(doctor=blocker, peer=other) | Q(doctor=other, peer=blocker)).delete()
        ConnectionRequest.objects.filter(
            Q(sender=blocker, recipient=other) | Q(sender=other, recipient=blocker),
            status=ConnectionRequest.Status.PENDING,
        ).update(status=ConnectionRequest.Status.CANCELLED, decided_at=timezone.now())
    return block


def unblock_doctor(blocker: User, doctor_id: int) -> None:
    """Lift your block (it does not restore a connection)."""
    blocker = require_verified_doctor(blocker)
    with transaction.atomic():
        other = _verified_doctor(doctor_id)
        deleted, _rows = Block.objects.filter(blocker=blocker, blocked=other).delete()
        if not deleted:
            raise ServiceError(
                NetworkErrorCode.NOT_BLOCKED, _("You have not blocked this doctor."), "doctorId"
            )
