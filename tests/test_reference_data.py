"""Reference data: administrative units from vietnam-provinces and the specialties catalogue.

`manage.py load_reference_data` runs on every `make run`: it must load the post-2025 map (34
provinces, 3,321 commune-level units), be safe to repeat, and update renamed rows in place.
"""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils.text import slugify

from facilities import services
from facilities.models import Commune, Province, Specialty

pytestmark = pytest.mark.django_db


def load() -> str:
    out = StringIO()
    call_command("load_reference_data", stdout=out)
    return out.getvalue()


def test_loads_the_34_provinces_and_3321_communes_of_the_2025_map():
    output = load()

    assert Province.objects.count() == 34
    assert Commune.objects.count() == 3321
    hanoi = Province.objects.get(code=1)
    assert (hanoi.name, hanoi.codename, hanoi.division_type, hanoi.phone_code) == (
        "Thành phố Hà Nội",
        "ha_noi",
        "thành phố trung ương",
        24,
    )
    hoan_kiem = Commune.objects.get(code=70)
    assert (hoan_kiem.name, hoan_kiem.province_id, hoan_kiem.division_type) == (
        "Phường Hoàn Kiếm",
        1,
        "phường",
    )
    assert set(Commune.objects.values_list("division_type", flat=True)) == {"xã", "phường", "đặc khu"}
    assert "34 provinces, 3321 communes" in output


def test_loads_the_specialties_catalogue_with_vietnamese_and_english_names():
    load()

    catalogue = services.read_specialties_catalogue()
    assert Specialty.objects.count() == len(catalogue) >= 30
    expected = {
        "cardiology": "Tim mạch",
        "internal-medicine": "Nội khoa",
        "paediatrics": "Nhi khoa",
        "obstetrics-gynaecology": "Sản phụ khoa",
        "general-surgery": "Ngoại tổng quát",
        "emergency-medicine": "Cấp cứu",
        "infectious-diseases": "Truyền nhiễm",
        "oncology": "Ung bướu",
        "neurology": "Thần kinh",
        "family-medicine": "Y học gia đình",
        "traditional-medicine": "Y học cổ truyền",
    }
    assert dict(Specialty.objects.filter(code__in=expected).values_list("code", "name_vi")) == expected
    assert Specialty.objects.get(code="cardiology").name_en == "Cardiology"


def test_the_catalogue_codes_are_unique_slugs_and_every_entry_is_named_in_both_languages():
    entries = services.read_specialties_catalogue()

    codes = [entry.code for entry in entries]
    assert len(codes) == len(set(codes))
    assert all(code == slugify(code) for code in codes)
    assert all(entry.name_vi and entry.name_en for entry in entries)


def test_a_second_load_creates_nothing_and_keeps_the_rows():
    load()
    before = (
        list(Province.objects.order_by("code").values_list("code", "name")),
        Commune.objects.count(),
        list(Specialty.objects.order_by("code").values_list("pk", "code")),
    )

    load()

    after = (
        list(Province.objects.order_by("code").values_list("code", "name")),
        Commune.objects.count(),
        list(Specialty.objects.order_by("code").values_list("pk", "code")),
    )
    assert after == before


def test_a_load_restores_names_changed_since_in_place():
    load()
    cardiology = Specialty.objects.get(code="cardiology")
    Province.objects.filter(code=1).update(name="Hà Nội (cũ)", phone_code=None)
    Commune.objects.filter(code=70).update(name="Phường cũ", province_id=4)
    Specialty.objects.filter(pk=cardiology.pk).update(name_vi="Tim", name_en="Heart")

    load()

    assert Province.objects.values_list("name", "phone_code").get(code=1) == ("Thành phố Hà Nội", 24)
    assert Commune.objects.values_list("name", "province_id").get(code=70) == ("Phường Hoàn Kiếm", 1)
    assert Specialty.objects.values_list("pk", "name_vi", "name_en").get(code="cardiology") == (
        cardiology.pk,
        "Tim mạch",
        "Cardiology",
    )
    assert Specialty.objects.filter(code="cardiology").count() == 1


def test_a_renamed_catalogue_entry_updates_its_row_and_a_new_one_is_added(tmp_path):
    load()
    cardiology = Specialty.objects.get(code="cardiology")
    raw = json.loads(services.SPECIALTIES_CATALOGUE.read_text(encoding="utf-8"))
    for item in raw:
        if item["code"] == "cardiology":
            item["name_vi"] = "Tim mạch can thiệp"
    raw.append({"code": "sports-medicine", "name_vi": "Y học thể thao", "name_en": "Sports medicine"})
    catalogue = tmp_path / "specialties.json"
    catalogue.write_text(json.dumps(raw, ensure_ascii=False), encoding="utf-8")

    counts = services.load_reference_data(catalogue)

    assert Specialty.objects.values_list("pk", "name_vi").get(code="cardiology") == (
        cardiology.pk,
        "Tim mạch can thiệp",
    )
    assert Specialty.objects.get(code="sports-medicine").name_vi == "Y học thể thao"
    assert counts.specialties == len(raw)


@pytest.mark.parametrize(
    "entries",
    [
        [{"code": "cardiology", "name_vi": "Tim mạch", "name_en": "Cardiology"}] * 2,
        [{"code": "Tim mạch", "name_vi": "Tim mạch", "name_en": "Cardiology"}],
        [{"code": "cardiology", "name_vi": " ", "name_en": "Cardiology"}],
    ],
    ids=["duplicate code", "code not a slug", "blank name"],
)
def test_a_malformed_catalogue_is_refused_before_anything_is_written(tmp_path, entries):
    catalogue = tmp_path / "specialties.json"
    catalogue.write_text(json.dumps(entries, ensure_ascii=False), encoding="utf-8")

    with pytest.raises(ValueError, match="specialty"):
        services.load_reference_data(catalogue)

    assert not Specialty.objects.exists()
    assert not Province.objects.exists()
