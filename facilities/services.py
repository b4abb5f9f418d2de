"""Loading reference data: administrative units from ``vietnam-provinces`` and the specialties
catalogue kept in ``facilities/data/specialties.json``.

Loading is an upsert keyed on the stable codes, so it is safe to run on every start: a re-run
creates nothing twice and updates in place whatever the source renamed. Units the source no
longer lists are kept, because facilities refer to them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from django.utils.text import slugify
from vietnam_provinces import Province as SourceProvince
from vietnam_provinces import Ward as SourceWard

from facilities.models import Commune, Province, Specialty

SPECIALTIES_CATALOGUE = Path(__file__).resolve().parent / "data" / "specialties.json"
BATCH_SIZE = 1000


@dataclass(frozen=True)
class SpecialtyEntry:
    code: str
    name_vi: str
    name_en: str


@dataclass(frozen=True)
class ReferenceDataCounts:
    """How many rows each table holds after a load."""

    provinces: int
    communes: int
    specialties: int


def read_specialties_catalogue(path: Path = SPECIALTIES_CATALOGUE) -> list[SpecialtyEntry]:
    """The catalogue's entries; a malformed file is a programming error and fails loudly."""
    raw = json.loads(path.read_text(encoding="utf-8"))
    entries = [SpecialtyEntry(item["code"], item["name_vi"].strip(), item["name_en"].strip()) for item in raw]
    codes = [entry.code for entry in entries]
    duplicates = sorted({code for code in codes if codes.count(code) > 1})
    if duplicates:
        raise ValueError(f"{path}: duplicate specialty codes {duplicates}")
    for entry in entries:
        if entry.code != slugify(entry.code) or not entry.name_vi or not entry.name_en:
            raise ValueError(f"{path}: bad specialty entry {entry}")
    return entries


def load_administrative_units() -> tuple[int, int]:
    """Upsert the 34 provinces and 3,321 commune-level units; return their counts."""
    provinces = [
        Province(
            code=int(source.code),
            name=source.name,
            codename=source.codename,
            division_type=source.division_type.value,
            phone_code=source.phone_code,
        )
        for source in sorted(SourceProvince.iter_all(), key=lambda item: int(item.code))
    ]
    Province.objects.bulk_create(
        provinces,
        batch_size=BATCH_SIZE,
        update_conflicts=True,
        unique_fields=["code"],
        update_fields=["name", "codename", "division_type", "phone_code"],
    )
    communes = [
        Commune(
            code=int(source.code),
            province_id=int(source.province_code),
            name=source.name,
            codename=source.codename,
            division_type=source.division_type.value,
        )
        for source in sorted(SourceWard.iter_all(), key=lambda item: int(item.code))
    ]
    Commune.objects.bulk_create(
        communes,
        batch_size=BATCH_SIZE,
        update_conflicts=True,
        unique_fields=["code"],
        update_fields=["province", "name", "codename", "division_type"],
    )
    return len(provinces), len(communes)


def load_specialties(entries: Iterable[SpecialtyEntry] | None = None) -> int:
    """Upsert the specialties catalogue (by code); return how many entries it has."""
    specialties = [
        Specialty(code=entry.code, name_vi=entry.name_vi, name_en=entry.name_en)
        for entry in (read_specialties_catalogue() if entries is None else entries)
    ]
    Specialty.objects.bulk_create(
        specialties,
        batch_size=BATCH_SIZE,
        update_conflicts=True,
        unique_fields=["code"],
        update_fields=["name_vi", "name_en"],
    )
    return len(specialties)


@transaction.atomic
def load_reference_data(specialties_catalogue: Path = SPECIALTIES_CATALOGUE) -> ReferenceDataCounts:
    """Load everything the product needs before the first user signs up."""
    specialties = read_specialties_catalogue(specialties_catalogue)  # a bad file changes nothing
    load_administrative_units()
    load_specialties(specialties)
    return ReferenceDataCounts(
        provinces=Province.objects.count(),
        communes=Commune.objects.count(),
        specialties=Specialty.objects.count(),
    )


def reference_data_loaded() -> bool:
    return Province.objects.exists() and Commune.objects.exists() and Specialty.objects.exists()
