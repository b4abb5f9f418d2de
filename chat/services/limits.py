"""The per-doctor send rate: a token bucket kept in PostgreSQL.

Kept in the database, updated under a row lock inside the sending transaction, it is exact
across processes and keeps working when Redis is down (when chat needs it most: sends still
succeed then). A refused send rolls back and takes nothing.
"""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from chat.errors import ChatErrorCode
from chat.models import SendAllowance
from common.errors import ServiceError


def take_send_token(doctor_id: int) -> None:
    """Spend one send of the doctor's allowance (call inside the sending transaction): a burst
    of ``CHAT_SEND_BURST``, refilled at ``CHAT_SEND_PER_MINUTE``; RATE_LIMITED when empty."""
    burst = float(settings.CHAT_SEND_BURST)
    per_second = settings.CHAT_SEND_PER_MINUTE / 60
    now = timezone.now()
    allowance, _created = SendAllowance.objects.select_for_update().get_or_create(
        doctor_id=doctor_id, defaults={"tokens": burst, "refilled_at": now}
    )
    elapsed = max((now - allowance.refilled_at).total_seconds(), 0.0)
    tokens = min(burst, allowance.tokens + elapsed * per_second)
    if tokens < 1:
        raise ServiceError(
            ChatErrorCode.RATE_LIMITED, _("You are sending too fast: wait a moment and send again.")
        )
    allowance.tokens = tokens - 1
    allowance.refilled_at = now
    allowance.save(update_fields=["tokens", "refilled_at"])
