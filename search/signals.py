"""Receivers that keep search in step with the rows it indexes (connected in ``SearchConfig.ready``).

Search sits above accounts, facilities and network, so it learns of their changes through
Django's model signals, inside the transaction that made them: the PostgreSQL documents are
rewritten there and then, and an outbox row asks for the Elasticsearch document to follow after
commit (``search.outbox``). Connections and blocks need nothing: both backends read them at
query time.
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from accounts.models import User
from facilities.models import Commune, Facility, Province, Specialty
from network.models import Case, CaseAudience
from search import documents, outbox
from search.models import IndexKind

# What a doctor's document or Elasticsearch entry holds; saving other fields (last_login at
# every sign-in) changes nothing search shows.
_DOCTOR_FIELDS = {
    "full_name",
    "title",
    "position",
    "facility",
    "facility_id",
    "verification_status",
    "licence_expires_on",
    "is_active",
}


def changed(kind: str, ids: list[int]) -> None:
    """Rows of ``kind`` changed (or were deleted) in the current transaction."""
    if not ids:
        return
    documents.refresh(kind, ids)
    outbox.enqueue(kind, ids)


@receiver(post_save, sender=User, dispatch_uid="search_user_saved")
def _user_saved(sender: Any, instance: User, update_fields: Any = None, **kwargs: Any) -> None:
    if update_fields is None or _DOCTOR_FIELDS & set(update_fields):
        changed(IndexKind.DOCTOR, [instance.pk])


@receiver(m2m_changed, sender=User.specialties.through, dispatch_uid="search_user_specialties")
def _specialties_changed(
    sender: Any, instance: Any, action: str, reverse: bool, pk_set: set[int] | None, **kwargs: Any
) -> None:
    if action not in {"post_add", "post_remove", "post_clear"}:
        return
    if not reverse:
        changed(IndexKind.DOCTOR, [instance.pk])
    elif action == "post_clear":
        return  # a specialty cleared of all its doctors: not something the product does
    else:
        changed(IndexKind.DOCTOR, sorted(pk_set or ()))


@receiver(post_save, sender=Facility, dispatch_uid="search_facility_saved")
def _facility_saved(sender: Any, instance: Facility, **kwargs: Any) -> None:
    changed(IndexKind.FACILITY, [instance.pk])
    changed(IndexKind.DOCTOR, list(User.objects.filter(facility_id=instance.pk).values_list("pk", flat=True)))


@receiver(post_save, sender=Province, dispatch_uid="search_province_saved")
def _province_saved(sender: Any, instance: Province, created: bool, **kwargs: Any) -> None:
    if created:
        return  # no facility is in it yet
    facilities = Facility.objects.filter(province_id=instance.pk)
    changed(IndexKind.FACILITY, list(facilities.values_list("pk", flat=True)))
    changed(IndexKind.DOCTOR, list(User.objects.filter(facility__in=facilities).values_list("pk", flat=True)))


@receiver(post_save, sender=Commune, dispatch_uid="search_commune_saved")
def _commune_saved(sender: Any, instance: Commune, created: bool, **kwargs: Any) -> None:
    if created:
        return  # no facility is in it yet
    changed(
        IndexKind.FACILITY, list(Facility.objects.filter(commune_id=instance.pk).values_list("pk", flat=True))
    )


@receiver(post_save, sender=Specialty, dispatch_uid="search_specialty_saved")
def _specialty_saved(sender: Any, instance: Specialty, created: bool, **kwargs: Any) -> None:
    if created:
        return  # nobody and no case has it yet
    changed(IndexKind.DOCTOR, list(instance.doctors.values_list("pk", flat=True)))
    changed(IndexKind.CASE, list(instance.cases.values_list("pk", flat=True)))


@receiver(post_save, sender=Case, dispatch_uid="search_case_saved")
def _case_saved(sender: Any, instance: Case, **kwargs: Any) -> None:
    changed(IndexKind.CASE, [instance.pk])


@receiver(post_save, sender=CaseAudience, dispatch_uid="search_audience_saved")
@receiver(post_delete, sender=CaseAudience, dispatch_uid="search_audience_deleted")
def _audience_changed(sender: Any, instance: CaseAudience, **kwargs: Any) -> None:
    # The audience lives in the Elasticsearch entry only (PostgreSQL reads it at query time).
    outbox.enqueue(IndexKind.CASE, [instance.case_id])


@receiver(post_delete, sender=User, dispatch_uid="search_user_deleted")
@receiver(post_delete, sender=Facility, dispatch_uid="search_facility_deleted")
@receiver(post_delete, sender=Case, dispatch_uid="search_case_deleted")
def _deleted(sender: Any, instance: Any, **kwargs: Any) -> None:
    # The PostgreSQL document went with its row (cascade); Elasticsearch's follows.
    kind = {User: IndexKind.DOCTOR, Facility: IndexKind.FACILITY, Case: IndexKind.CASE}[sender]
    outbox.enqueue(kind, [instance.pk])
