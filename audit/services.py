"""Writing to the audit log: the one function every app calls."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import models

from audit.models import AuditEvent
from config.request_context import current_ip_address


def record(
    action: str,
    *,
    actor: AbstractBaseUser | None,
    target: models.Model,
    details: dict[str, Any] | None = None,
    ip_address: str | None = None,
) -> AuditEvent:
    """Append one event. ``ip_address`` defaults to that of the request being served."""
    return AuditEvent.objects.create(
        actor=actor,  # type: ignore[misc]  # AUTH_USER_MODEL or None
        action=action,
        target_type=target._meta.label_lower,
        target_id=str(target.pk),
        ip_address=ip_address or current_ip_address(),
        details=details or {},
    )


def record_many(
    action: str,
    *,
    actor: AbstractBaseUser | None,
    targets: Sequence[tuple[models.Model, dict[str, Any]]],
) -> None:
    """Append one event per (target, details), in one statement: for commands and bulk
    operations that change many rows at once."""
    ip_address = current_ip_address()
    AuditEvent.objects.bulk_create(
        AuditEvent(
            actor=actor,  # type: ignore[misc]  # AUTH_USER_MODEL or None
            action=action,
            target_type=target._meta.label_lower,
            target_id=str(target.pk),
            ip_address=ip_address,
            details=details,
        )
        for target, details in targets
    )
