"""Rows the search tests look for."""

from __future__ import annotations

from typing import Any

from accounts.models import User
from facilities.models import Facility, Tier
from tests import factories


def hanoi() -> Any:
    return factories.province(1, "Thành phố Hà Nội")


def hue() -> Any:
    return factories.province(46, "Thành phố Huế")


def hospital(name: str, *, tier: str = Tier.CENTRAL, province: Any = None) -> Facility:
    return factories.facility(tier, name=name, province=province or hanoi())


def named_doctor(
    full_name: str, *, specialty: Any = None, facility: Facility | None = None, **extra: Any
) -> User:
    doctor = factories.doctor(
        full_name=full_name, facility=facility or hospital("Bệnh viện Bạch Mai"), **extra
    )
    doctor.specialties.add(specialty or factories.specialty())
    return doctor


def neurology() -> Any:
    return factories.specialty("neurology", "Thần kinh", "Neurology")


def searcher(**extra: Any) -> User:
    """A verified doctor whose own name matches none of the tests' queries."""
    return factories.doctor(full_name="Võ Thị Xuyến", **extra)
