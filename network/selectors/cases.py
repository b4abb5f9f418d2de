"""Which cases a doctor may see: the visibility rule, written once.

Every path that shows a case or anything about one (feed, case page, node lookup, comments,
notifications, search, chat rooms) filters through :func:`cases_visible_to`; nothing else
decides whether a case may be seen.
"""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import Exists, OuterRef, Q, QuerySet

from accounts.models import User
from accounts.services import is_verified_doctor
from network.models import Case, CaseAudience
from network.selectors.connections import blocked_either_way_ids, peer_ids

Viewer = AbstractBaseUser | AnonymousUser | None


# Neither deleted by its author nor hidden by a moderator: such a case shows nowhere.
NOT_REMOVED = Q(deleted_at__isnull=True, hidden_at__isnull=True)


def cases_visible_to(viewer: Viewer) -> QuerySet[Case]:
    """The cases ``viewer`` may open.

    Only verified doctors see cases. A doctor sees their own live cases and drafts, and other
    doctors' live cases whose visibility admits them (the whole network; connections of the
    author; the named audience), never a case of someone they blocked or who blocked them.
    """
    if not is_verified_doctor(viewer):
        return Case.objects.none()
    assert isinstance(viewer, User)
    admitted = (
        Q(visibility=Case.Visibility.NETWORK)
        | Q(visibility=Case.Visibility.CONNECTIONS, author_id__in=peer_ids(viewer.pk))
        | Q(
            Exists(CaseAudience.objects.filter(case_id=OuterRef("pk"), doctor_id=viewer.pk)),
            visibility=Case.Visibility.NAMED,
        )
    )
    others = Q(published_at__isnull=False) & admitted & ~Q(author_id__in=blocked_either_way_ids(viewer.pk))
    return Case.objects.filter(NOT_REMOVED & (Q(author_id=viewer.pk) | others))


def can_see_case(viewer: Viewer, case_id: int) -> bool:
    return cases_visible_to(viewer).filter(pk=case_id).exists()
