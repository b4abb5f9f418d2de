"""Who may administer mentorships and who may audit compliance (and where): checked here once,
for GraphQL, the web pages, the CSV export and the commands alike."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.services import has_totp
from common.errors import CommonErrorCode, ServiceError
from mentorship.errors import MentorshipErrorCode
from mentorship.models import AuditScope, ComplianceAuditor

MANAGE_PERMISSION = "mentorship.manage_mentorships"


def _signed_in(user: AbstractBaseUser | AnonymousUser | None) -> User:
    if user is None or not user.is_authenticated:
        raise ServiceError(CommonErrorCode.NOT_AUTHENTICATED, _("Sign in first."))
    assert isinstance(user, User)
    if not user.is_active:
        raise ServiceError(CommonErrorCode.ACCOUNT_INACTIVE, _("This account is deactivated."))
    return user


def is_mentorship_admin(user: AbstractBaseUser | AnonymousUser | None) -> bool:
    return isinstance(user, User) and user.is_active and user.has_perm(MANAGE_PERMISSION)


def require_mentorship_admin(user: AbstractBaseUser | AnonymousUser | None) -> User:
    """Publishing a policy, proposing or ending for others, planning: a permission and a second
    factor, as for verifiers."""
    user = _signed_in(user)
    if not user.has_perm(MANAGE_PERMISSION):
        raise ServiceError(MentorshipErrorCode.PERMISSION_DENIED, _("You may not administer mentorships."))
    if not has_totp(user):
        raise ServiceError(
            MentorshipErrorCode.MFA_REQUIRED,
            _("Set up two-factor authentication (an authenticator app) before administering mentorships."),
        )
    return user


@dataclass(frozen=True)
class Scope:
    """Where an auditor may look: everywhere, one province or one facility."""

    kind: str
    province_id: int | None = None
    facility_id: int | None = None

    @property
    def is_national(self) -> bool:
        return self.kind == AuditScope.NATIONAL


NATIONAL = Scope(AuditScope.NATIONAL)


def auditor_scope(user: AbstractBaseUser | AnonymousUser | None) -> Scope | None:
    """The user's audit scope, or None if they may not audit. Superusers audit nationally."""
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    grant = ComplianceAuditor.objects.filter(user_id=user.pk).first()
    if grant is not None:
        return Scope(grant.scope, grant.province_id, grant.facility_id)
    return NATIONAL if getattr(user, "is_superuser", False) else None


def require_auditor(user: AbstractBaseUser | AnonymousUser | None) -> Scope:
    """The scope every audit query, roll-up, export and dashboard is cut to."""
    user = _signed_in(user)
    scope = auditor_scope(user)
    if scope is None:
        raise ServiceError(
            MentorshipErrorCode.PERMISSION_DENIED, _("You may not audit mentoring compliance.")
        )
    return scope
