"""Granting and revoking the compliance-audit permission, with its scope (the whole country, one
province or one facility). Mentorship administrators only; each change is audited."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from audit.services import record
from common.errors import FieldError, ServiceError
from facilities.models import Facility, Province
from mentorship.errors import MentorshipErrorCode
from mentorship.models import AuditScope, ComplianceAuditor
from mentorship.services.permissions import require_mentorship_admin


def scope_problems(scope: str, province: Province | None, facility: Facility | None) -> list[FieldError]:
    """Why this scope cannot be granted (a province only for a provincial scope...), if at all."""
    if scope not in AuditScope.values:
        return [FieldError(MentorshipErrorCode.INVALID, _("Unknown audit scope."), "scope")]
    problems = []
    if scope == AuditScope.PROVINCE and province is None:
        problems.append(FieldError(MentorshipErrorCode.REQUIRED, _("Choose the province."), "province"))
    if scope == AuditScope.FACILITY and facility is None:
        problems.append(FieldError(MentorshipErrorCode.REQUIRED, _("Choose the facility."), "facility"))
    if scope != AuditScope.PROVINCE and province is not None:
        problems.append(
            FieldError(
                MentorshipErrorCode.INVALID, _("Only a provincial scope names a province."), "province"
            )
        )
    if scope != AuditScope.FACILITY and facility is not None:
        problems.append(
            FieldError(MentorshipErrorCode.INVALID, _("Only a facility scope names a facility."), "facility")
        )
    return problems


def _details(grant: ComplianceAuditor) -> dict[str, object]:
    return {"scope": grant.scope, "province_id": grant.province_id, "facility_id": grant.facility_id}


def grant_auditor(
    admin: User,
    user: User,
    scope: str,
    *,
    province: Province | None = None,
    facility: Facility | None = None,
) -> ComplianceAuditor:
    """Let ``user`` audit mentoring compliance within the scope (replacing any earlier scope)."""
    admin = require_mentorship_admin(admin)
    problems = scope_problems(scope, province, facility)
    if problems:
        raise ServiceError.many(problems)
    with transaction.atomic():
        previous = ComplianceAuditor.objects.select_for_update().filter(user=user).first()
        grant, _created = ComplianceAuditor.objects.update_or_create(
            user=user,
            defaults={"scope": scope, "province": province, "facility": facility, "granted_by": admin},
        )
        details = _details(grant)
        if previous is not None:
            details["previous"] = _details(previous)
        record("mentorship.auditor_granted", actor=admin, target=user, details=details)
    return grant


def revoke_auditor(admin: User, user: User) -> bool:
    """Withdraw ``user``'s audit permission; returns whether they had one."""
    admin = require_mentorship_admin(admin)
    with transaction.atomic():
        grant = ComplianceAuditor.objects.select_for_update().filter(user=user).first()
        if grant is None:
            return False
        record("mentorship.auditor_revoked", actor=admin, target=user, details=_details(grant))
        grant.delete()
    return True
