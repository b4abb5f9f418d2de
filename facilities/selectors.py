"""Reads of reference data (public): facilities, provinces, specialties."""

from __future__ import annotations

from django.db.models import QuerySet

from facilities.models import Facility, Province, Specialty


def active_facilities(facilities: QuerySet[Facility] | None = None) -> QuerySet[Facility]:
    """Facilities anyone may pick or see, with what a facility row shows (province, commune)."""
    facilities = Facility.objects.all() if facilities is None else facilities
    return facilities.filter(is_active=True).select_related("province", "commune")


def search_facilities(
    *, tier: str | None = None, province_code: int | None = None, search: str | None = None
) -> QuerySet[Facility]:
    """Active facilities, optionally of one tier, in one province, whose name contains ``search``."""
    facilities = active_facilities()
    if tier:
        facilities = facilities.filter(tier=tier)
    if province_code is not None:
        facilities = facilities.filter(province_id=province_code)
    for word in (search or "").split():
        facilities = facilities.filter(name__icontains=word)
    return facilities.order_by("name", "id")


def provinces() -> QuerySet[Province]:
    return Province.objects.order_by("name")


def specialties() -> QuerySet[Specialty]:
    return Specialty.objects.order_by("name_vi")
