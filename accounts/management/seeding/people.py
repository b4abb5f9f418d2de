"""Drawing plausible Vietnamese health workers: names, titles, positions, specialties by tier.

Every draw takes the caller's ``random.Random`` so that the same seed yields the same people.
Weights are rough national proportions (family names from population surveys; titles and
specialties by level of care), good enough to make screens and benchmarks look like Vietnam.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass
from datetime import date
from itertools import accumulate

from facilities.models import Tier


class WeightedChoice:
    """``random.choices`` with the cumulative weights computed once (the hot path draws 10^6 times)."""

    def __init__(self, weighted: dict[str, float]) -> None:
        self.values = list(weighted)
        self.cumulative = list(accumulate(weighted.values()))

    def draw(self, rng: random.Random) -> str:
        return rng.choices(self.values, cum_weights=self.cumulative)[0]


# The demo doctors are drawn from these lists too: editing them renames the demo accounts
# (README.md quotes bacsi01's name).
# Percent of the population bearing each family name (Huỳnh is the southern Hoàng, Võ the southern Vũ).
FAMILY_NAMES = WeightedChoice(
    {
        "Nguyễn": 38.4, "Trần": 11.0, "Lê": 9.5, "Phạm": 7.0, "Hoàng": 3.0, "Huỳnh": 2.1, "Phan": 4.5,
        "Vũ": 2.0, "Võ": 1.9, "Đặng": 2.1, "Bùi": 2.0, "Đỗ": 1.4, "Hồ": 1.3, "Ngô": 1.3, "Dương": 1.0,
        "Lý": 0.5, "Đinh": 0.6, "Trịnh": 0.5, "Đoàn": 0.5, "Trương": 0.5, "Lâm": 0.4, "Mai": 0.4,
        "Lương": 0.3, "Hà": 0.3, "Cao": 0.3, "Tạ": 0.2, "Châu": 0.2, "Lưu": 0.2, "Quách": 0.1,
        "Tô": 0.1, "Kiều": 0.1, "Thái": 0.1, "Triệu": 0.1, "Vương": 0.1,
    }
)  # fmt: skip
MALE_MIDDLE_NAMES = WeightedChoice(
    {
        "Văn": 30, "Hữu": 8, "Đức": 8, "Minh": 9, "Quang": 7, "Thành": 5, "Công": 5, "Ngọc": 4,
        "Xuân": 4, "Anh": 3, "Trọng": 4, "Hoàng": 3, "Tuấn": 3, "Đình": 4, "Mạnh": 2, "Thế": 3,
    }
)  # fmt: skip
FEMALE_MIDDLE_NAMES = WeightedChoice(
    {
        "Thị": 40, "Ngọc": 8, "Thu": 7, "Thanh": 7, "Minh": 4, "Phương": 4, "Hồng": 5, "Bích": 3,
        "Kim": 4, "Mai": 3, "Thùy": 4, "Diệu": 2, "Khánh": 2, "Hải": 2, "Quỳnh": 2, "Hoài": 2,
    }
)  # fmt: skip
MALE_GIVEN_NAMES = (
    "Anh", "Bảo", "Bình", "Cường", "Dũng", "Duy", "Đạt", "Đức", "Dương", "Hải", "Hiếu", "Hòa",
    "Hoàng", "Hùng", "Huy", "Khang", "Khánh", "Khoa", "Kiên", "Lâm", "Long", "Luân", "Mạnh",
    "Minh", "Nam", "Nghĩa", "Nhân", "Phong", "Phúc", "Quân", "Quang", "Sơn", "Tài", "Tâm",
    "Thắng", "Thành", "Thịnh", "Toàn", "Trí", "Trung", "Tuấn", "Tùng", "Việt", "Vinh", "Vũ", "Đông",
)  # fmt: skip
FEMALE_GIVEN_NAMES = (
    "An", "Anh", "Chi", "Diệp", "Dung", "Giang", "Hà", "Hạnh", "Hằng", "Hiền", "Hoa", "Hương",
    "Huyền", "Lan", "Linh", "Loan", "Mai", "My", "Nga", "Ngân", "Ngọc", "Nhung", "Oanh", "Phương",
    "Quyên", "Quỳnh", "Tâm", "Thảo", "Thơ", "Thủy", "Trang", "Trâm", "Uyên", "Vân", "Yến", "Đào",
)  # fmt: skip

# Titles as printed before a name; "Y sĩ" (assistant physician) staff most commune stations.
TITLES = {
    Tier.CENTRAL: WeightedChoice(
        {
            "GS.TS.BS.": 0.5,
            "PGS.TS.BS.": 4.5,
            "TS.BS.": 12,
            "BS.CKII": 23,
            "ThS.BS.": 25,
            "BS.CKI": 15,
            "BS.": 20,
        }
    ),
    Tier.PROVINCIAL: WeightedChoice(
        {"PGS.TS.BS.": 0.5, "TS.BS.": 3, "BS.CKII": 15, "ThS.BS.": 14, "BS.CKI": 30, "BS.": 37.5}
    ),
    Tier.DISTRICT: WeightedChoice({"BS.CKII": 3, "ThS.BS.": 5, "BS.CKI": 30, "BS.": 57, "Y sĩ": 5}),
    Tier.COMMUNE: WeightedChoice({"BS.CKI": 5, "BS.": 45, "Y sĩ": 50}),
}
POSITIONS = {
    Tier.CENTRAL: WeightedChoice(
        {"Bác sĩ điều trị": 80, "Phó trưởng khoa": 10, "Trưởng khoa": 8, "Phó giám đốc": 1.5, "Giám đốc": 0.5}
    ),
    Tier.PROVINCIAL: WeightedChoice(
        {"Bác sĩ điều trị": 78, "Phó trưởng khoa": 11, "Trưởng khoa": 9, "Phó giám đốc": 1.5, "Giám đốc": 0.5}
    ),
    Tier.DISTRICT: WeightedChoice(
        {"Bác sĩ điều trị": 80, "Phó trưởng khoa": 9, "Trưởng khoa": 9, "Phó giám đốc": 1.5, "Giám đốc": 0.5}
    ),
    Tier.COMMUNE: WeightedChoice({"": 70, "Phó trạm trưởng": 12, "Trạm trưởng": 18}),
}

# How common each specialty is among the doctors of a tier (codes from the catalogue). A code not
# named here weighs UNNAMED_SPECIALTY_WEIGHT, so a specialty added to the catalogue still appears.
SPECIALTY_WEIGHTS: dict[Tier, dict[str, float]] = {
    Tier.CENTRAL: {
        "internal-medicine": 6, "general-surgery": 5, "cardiology": 4, "oncology": 4, "paediatrics": 4,
        "obstetrics-gynaecology": 4, "anaesthesiology": 4, "critical-care": 3, "emergency-medicine": 3,
        "neurology": 3, "diagnostic-imaging": 3, "infectious-diseases": 2, "neurosurgery": 2,
        "cardiothoracic-surgery": 2, "orthopaedics-traumatology": 3, "family-medicine": 0.5,
    },
    Tier.PROVINCIAL: {
        "internal-medicine": 8, "general-surgery": 6, "paediatrics": 5, "obstetrics-gynaecology": 5,
        "emergency-medicine": 4, "anaesthesiology": 4, "critical-care": 3, "orthopaedics-traumatology": 3,
        "traditional-medicine": 3, "cardiology": 3, "diagnostic-imaging": 3, "infectious-diseases": 2,
        "family-medicine": 1,
    },
    Tier.DISTRICT: {
        "internal-medicine": 10, "general-surgery": 6, "paediatrics": 6, "obstetrics-gynaecology": 6,
        "emergency-medicine": 5, "traditional-medicine": 4, "family-medicine": 4, "anaesthesiology": 3,
        "infectious-diseases": 3, "preventive-medicine": 3, "nuclear-medicine": 0, "neurosurgery": 0.3,
        "cardiothoracic-surgery": 0,
    },
    Tier.COMMUNE: {
        "family-medicine": 40, "internal-medicine": 20, "traditional-medicine": 15, "paediatrics": 8,
        "obstetrics-gynaecology": 8, "preventive-medicine": 8, "infectious-diseases": 2,
        "emergency-medicine": 2,
    },
}  # fmt: skip
UNNAMED_SPECIALTY_WEIGHT = {Tier.CENTRAL: 1.0, Tier.PROVINCIAL: 1.0, Tier.DISTRICT: 1.0, Tier.COMMUNE: 0.0}
SECOND_SPECIALTY_SHARE = 0.3


@dataclass(frozen=True)
class Person:
    full_name: str
    family_name: str
    given_name: str


def draw_person(rng: random.Random) -> Person:
    if rng.random() < 0.5:
        middle, given = MALE_MIDDLE_NAMES.draw(rng), rng.choice(MALE_GIVEN_NAMES)
    else:
        middle, given = FEMALE_MIDDLE_NAMES.draw(rng), rng.choice(FEMALE_GIVEN_NAMES)
    family = FAMILY_NAMES.draw(rng)
    return Person(f"{family} {middle} {given}", family, given)


def draw_title(rng: random.Random, tier: str) -> str:
    return TITLES[Tier(tier)].draw(rng)


def draw_position(rng: random.Random, tier: str) -> str:
    return POSITIONS[Tier(tier)].draw(rng)


class SpecialtyPicker:
    """Draws one or two specialty codes for a doctor of a given tier from a catalogue."""

    def __init__(self, catalogue_codes: list[str]) -> None:
        self.by_tier: dict[Tier, WeightedChoice] = {}
        for tier in Tier:
            named, default = SPECIALTY_WEIGHTS[tier], UNNAMED_SPECIALTY_WEIGHT[tier]
            weights = {code: named.get(code, default) for code in sorted(catalogue_codes)}
            self.by_tier[tier] = WeightedChoice({code: w for code, w in weights.items() if w > 0})

    def draw(self, rng: random.Random, tier: str) -> list[str]:
        choice = self.by_tier[Tier(tier)]
        first = choice.draw(rng)
        if rng.random() < SECOND_SPECIALTY_SHARE:
            second = choice.draw(rng)
            if second != first:
                return [first, second]
        return [first]


def ascii_fold(text: str) -> str:
    """Vietnamese text as plain lower-case ASCII ("Đặng Thu Hà" → "dang thu ha").

    NFKD leaves đ/Đ alone (it is a letter of its own, not d plus a mark): fold it explicitly.
    """
    decomposed = unicodedata.normalize("NFKD", text.replace("Đ", "D").replace("đ", "d"))
    return "".join(char for char in decomposed if not unicodedata.combining(char)).lower()


# --- Licences ----------------------------------------------------------------------------------

MINISTRY = "Bộ Y tế"
LICENCE_YEARS = 5  # practice licences issued since 2024 last five years


def short_province_name(name: str) -> str:
    """A city's name without "Thành phố" ("Hà Nội"); a province's name is already short."""
    return name.removeprefix("Thành phố ").strip()


def issuing_authority(tier: str, province_name: str) -> str:
    """Central hospitals' staff are licensed by the Ministry, everyone else by the province."""
    return MINISTRY if tier == Tier.CENTRAL else f"Sở Y tế {short_province_name(province_name)}"


def licence_number(serial: int, tier: str, province_codename: str) -> str:
    """Numbers as printed on licences since 2024: serial / issuer / GPHN ("000123/BYT-GPHN")."""
    if tier == Tier.CENTRAL:
        issuer = "BYT"
    else:
        parts = province_codename.split("_")
        issuer = "".join(part[0] for part in parts).upper() if len(parts) > 1 else parts[0][:3].upper()
    return f"{serial:06d}/{issuer}-GPHN"


def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)
