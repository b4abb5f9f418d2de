"""Reads of reference data (public): facilities, provinces, specialties."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from common.errors import CommonErrorCode, ServiceError
from facilities.models import Facility, Province, Specialty

# A name search is a few words; more is abuse (each word is one more ILIKE over the table).
MAX_SEARCH_WORDS = 8
MAX_SEARCH_LENGTH = 100


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
    words = (search or "").split()
    if len(search or "") > MAX_SEARCH_LENGTH or len(words) > MAX_SEARCH_WORDS:
        raise ServiceError(
            CommonErrorCode.INVALID,
            _("Search with at most %(words)d words and %(length)d characters.")
            % {"words": MAX_SEARCH_WORDS, "length": MAX_SEARCH_LENGTH},
            "search",
        )
    for word in words:
        facilities = facilities.filter(name__icontains=word)
    return facilities.order_by("name", "id")


def provinces() -> QuerySet[Province]:
    return Province.objects.order_by("name")


def specialties() -> QuerySet[Specialty]:
    return Specialty.objects.order_by("name_vi")
