"""Signals other apps listen to (connected in their AppConfig.ready).

:data:`consultant_assigned` is sent inside the transaction that gives a referral its
consultant (the named doctor accepted, or a queue member claimed it), with ``referral_id``,
``requester_id`` and ``consultant_id``: chat opens the referral's room for the two of them.
"""

from __future__ import annotations

from django.dispatch import Signal

consultant_assigned = Signal()
