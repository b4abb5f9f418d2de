"""Who may call a resolver: the one place GraphQL checks the viewer.

Each check takes the resolver's ``info``, returns the acting user, or raises
:class:`~common.errors.ServiceError` with a stable code. Mutations name one of them in
``Meta.permission`` (the refusal becomes errors as data); query resolvers call one directly
(the refusal becomes a top-level error with the same code). The rules themselves live in the
services; these functions only find the viewer and call them.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext as _
from graphql import GraphQLResolveInfo

from accounts import services
from accounts.models import User
from common.errors import CommonErrorCode, ServiceError
from mentorship.services.permissions import require_mentorship_admin


def viewer(info: GraphQLResolveInfo) -> User | None:
    """The signed-in user making the request, or None for an anonymous one."""
    user = getattr(info.context, "user", None)
    if user is None or isinstance(user, AnonymousUser) or not user.is_authenticated:
        return None
    return user


def allow_any(info: GraphQLResolveInfo) -> User | None:
    """No check: for operations open to anonymous visitors. Returns the viewer, if any."""
    return viewer(info)


def login_required(info: GraphQLResolveInfo) -> User:
    user = viewer(info)
    if user is None:
        raise ServiceError(CommonErrorCode.NOT_AUTHENTICATED, _("Sign in first."))
    if not user.is_active:
        raise ServiceError(CommonErrorCode.ACCOUNT_INACTIVE, _("This account is deactivated."))
    return user


def verified_doctor_required(info: GraphQLResolveInfo) -> User:
    """Posting, commenting, connecting, mentoring, referring, chatting: see
    ``accounts.services.require_verified_doctor``."""
    return services.require_verified_doctor(viewer(info))


def verifier_required(info: GraphQLResolveInfo) -> User:
    """Reviewing doctors' licences: see ``accounts.services.require_verifier``."""
    return services.require_verifier(viewer(info))


def mentorship_admin_required(info: GraphQLResolveInfo) -> User:
    """Publishing policies, planning, proposing for others: see
    ``mentorship.services.permissions.require_mentorship_admin``."""
    return require_mentorship_admin(viewer(info))
