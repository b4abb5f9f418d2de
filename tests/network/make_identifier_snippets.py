"""Writes tests/network/identifier_snippets.jsonl: the labelled set the identifier guard is
measured on (synthetic; every name, number and address is made up).

    .venv/bin/python -m tests.network.make_identifier_snippets

Deterministic (seeded templates), so the committed file is exactly what this script writes; a
test checks that. Each line: {"id", "source": "generated"|"hand"|"holdout", "text", "spans":
[{"start", "end", "kind", "text"}]} with offsets into "text". Hand-written cases mark identifiers
inline as ``{{KIND:text}}``. Some snippets drop diacritics, some are decomposed (NFD) Unicode.
The "holdout" cases were written blind after the guard was tuned on the others, and scored once
before any fix (39/40 structured identifiers, 34/34 names and addresses, no false alarm).

What counts (and what does not) follows network/identifier_guard.py's docstring: every phone
number counts, hotlines do not; birth years, ages, admission dates, ICD-10 codes, doses, lab values,
provinces, facilities and doctors' names do not.
"""

from __future__ import annotations

import json
import random
import re
import unicodedata
from collections.abc import Callable
from pathlib import Path

OUTPUT = Path(__file__).with_name("identifier_snippets.jsonl")
SEED = 20260503
GENERATED = 620

Piece = str | tuple[str, str]  # plain text, or (kind, text) for an identifier

# --- Made-up values ------------------------------------------------------------------------------

_SURNAMES_WORDS = (
    "Nguyễn Trần Lê Phạm Hoàng Huỳnh Phan Vũ Võ Đặng Bùi Đỗ Hồ Ngô Dương Lý Đinh Trịnh Mai Trương "
    "Lương Hà Tạ Quách Lưu Đoàn Lâm Cao Tô"
)
SURNAMES = _SURNAMES_WORDS.split()
_MIDDLES_WORDS = (
    "Văn Thị Đức Minh Ngọc Hữu Thanh Quốc Xuân Thu Kim Hoài Bảo Gia Công Quang Thúy Mỹ Anh Phương"
)
MIDDLES = _MIDDLES_WORDS.split()
_GIVENS_WORDS = (
    "An Bình Cường Dũng Hoa Lan Hùng Tuấn Hương Mai Phúc Khánh Linh Trang Hải Sơn Long Nga Yến Thảo "
    "Vy Hiếu Tâm Nam Tùng Hạnh Loan Oanh Quyên Thắng Đạt Huy Khoa Nhung"
)
GIVENS = _GIVENS_WORDS.split()
INITIAL_GIVENS = list("ABCDEGHKLMNPQST")
EN_NAMES = [
    "John Smith",
    "Mary Johnson",
    "David Brown",
    "Sarah Miller",
    "Peter Wilson",
    "Emma Davis",
    "Robert Taylor",
    "Linda Anderson",
]
STREETS = [
    "Nguyễn Trãi",
    "Lê Lợi",
    "Trần Hưng Đạo",
    "Hai Bà Trưng",
    "Điện Biên Phủ",
    "Lý Thường Kiệt",
    "Cách Mạng Tháng Tám",
    "Võ Văn Tần",
    "Hùng Vương",
    "Nguyễn Văn Cừ",
    "Lê Duẩn",
    "Phan Đình Phùng",
    "Bạch Đằng",
    "Quang Trung",
    "Trường Chinh",
    "Giải Phóng",
    "Tôn Đức Thắng",
    "Nguyễn Chí Thanh",
]
ONE_WORD_STREETS = ["Huế", "Kim Mã", "Bạch Mai", "Hàng Bông", "Láng", "Vọng", "Minh Khai", "Chùa Bộc"]
VILLAGES = ["Đông", "Đoài", "Thượng", "Hạ", "Trung", "Tân Lập", "Phú Mỹ", "Lác", "Na Hang", "Yên Bình"]
COMMUNES = ["Tân Phú", "Yên Sở", "Hòa Bình", "Tân Lập", "Phước Long", "Chiềng Châu", "Đông Hải", "An Khánh"]
WARDS = ["Thượng Đình", "Bến Nghé", "Linh Trung", "Kim Liên", "Phú Hội", "Tân Định", "Hải Châu"]
DISTRICTS = ["Ba Vì", "Thanh Xuân", "Gò Vấp", "Hải Châu", "Mai Châu", "Củ Chi", "Đông Anh"]
PROVINCES = ["Hà Nội", "Nghệ An", "Thanh Hóa", "Đà Nẵng", "Cần Thơ", "Lâm Đồng", "Hải Phòng", "Sơn La", "Huế"]
PROVINCE_CODES = [
    1, 2, 4, 6, 8, 10, 11, 12, 14, 15, 17, 19, 20, 22, 24, 25, 26, 27, 30, 31, 33, 34, 35, 36, 37,
    38, 40, 42, 44, 45, 46, 48, 49, 51, 52, 54, 56, 58, 60, 62, 64, 66, 67, 68, 70, 72, 74, 75, 77,
    79, 80, 82, 83, 84, 86, 87, 89, 91, 92, 93, 94, 95, 96,
]  # fmt: skip
MOBILE_PREFIXES = ["32", "33", "34", "35", "36", "37", "38", "39", "56", "58", "70", "76", "77", "78", "79",
                   "81", "82", "83", "84", "85", "86", "88", "89", "90", "91", "93", "94", "96", "97", "98"]  # fmt: skip
AREA_CODES = [("24", 8), ("28", 8), ("236", 7), ("225", 7), ("238", 7), ("292", 7), ("263", 7), ("234", 7)]
BHYT_OBJECTS = [
    "DN",
    "HX",
    "CH",
    "NN",
    "HC",
    "XK",
    "HT",
    "TB",
    "CN",
    "HN",
    "TE",
    "GD",
    "HS",
    "SV",
    "CB",
    "KC",
    "QN",
    "TQ",
]
MAIL_DOMAINS = ["gmail.com", "yahoo.com.vn", "hotmail.com", "outlook.com", "benhvien.vn", "vnn.vn", "fpt.vn"]
COMPLAINTS = [
    "đau ngực trái",
    "sốt cao 3 ngày",
    "khó thở tăng dần",
    "đau bụng hố chậu phải",
    "nôn ra máu",
    "yếu nửa người phải",
    "ho kéo dài 2 tháng",
    "phù hai chân",
    "đau đầu dữ dội",
    "co giật",
    "vàng da",
    "tiêu chảy",
]
DIAGNOSES = [
    "nhồi máu cơ tim cấp (I21.4)",
    "viêm phổi cộng đồng (J18.9)",
    "đái tháo đường typ 2 (E11.9)",
    "suy tim NYHA III",
    "xơ gan Child-Pugh B",
    "đột quỵ nhồi máu não (I63.9)",
    "sốt xuất huyết Dengue",
    "lao phổi AFB (+)",
    "viêm ruột thừa cấp (K35.8)",
    "tăng huyết áp độ 2",
]


def mobile(r: random.Random) -> str:
    digits = "0" + r.choice(MOBILE_PREFIXES) + "".join(r.choice("0123456789") for _ in range(7))
    style = r.randrange(13)
    rest = digits[1:]
    if style == 0:
        return digits
    if style == 1:
        return f"{digits[:4]}.{digits[4:7]}.{digits[7:]}"
    if style == 2:
        return f"{digits[:4]} {digits[4:7]} {digits[7:]}"
    if style == 3:
        return f"{digits[:4]}-{digits[4:7]}-{digits[7:]}"
    if style == 4:
        return f"+84 {rest[:2]}{rest[2]} {rest[3:6]} {rest[6:]}"
    if style == 5:
        return f"+84{rest}"
    if style == 6:
        return f"84{rest}"
    if style == 7:
        return f"{digits[:3]} {digits[3:6]} {digits[6:]}"
    if style == 9:
        return f"{digits[:4]} {digits[4:6]} {digits[6:8]} {digits[8:]}"
    if style == 10:
        return " ".join(digits[i : i + 2] for i in range(0, 10, 2))
    if style == 11:
        return f"+84-{rest[:3]}-{rest[3:6]}-{rest[6:]}"
    if style == 12:
        return "01" + r.choice("2269") + "".join(r.choice("0123456789") for _ in range(8))  # old 11-digit
    return f"(+84) {rest[:3]} {rest[3:6]} {rest[6:]}"


def landline(r: random.Random) -> str:
    area, length = r.choice(AREA_CODES)
    local = "".join(r.choice("0123456789") for _ in range(length))
    local = r.choice("23456789") + local[1:]
    middle = len(local) - 4
    style = r.randrange(5)
    if style == 0:
        return f"(0{area}) {local[:middle]} {local[middle:]}"
    if style == 1:
        return f"0{area} {local[:middle]} {local[middle:]}"
    if style == 2:
        return f"0{area}.{local[:middle]}.{local[middle:]}"
    if style == 3:
        return f"0{area}{local}"
    return f"+84 {area} {local[:middle]} {local[middle:]}"


def phone(r: random.Random) -> str:
    return mobile(r) if r.random() < 0.75 else landline(r)


def citizen_id(r: random.Random) -> str:
    digits = f"{r.choice(PROVINCE_CODES):03d}{r.choice('0123')}{r.randrange(100):02d}" + "".join(
        r.choice("0123456789") for _ in range(6)
    )
    style = r.randrange(6)
    if style == 1:
        return " ".join(digits[i : i + 3] for i in range(0, 12, 3))
    if style == 2:
        return " ".join(digits[i : i + 4] for i in range(0, 12, 4))
    if style == 3:
        return ".".join(digits[i : i + 3] for i in range(0, 12, 3))
    return digits


def old_id(r: random.Random) -> str:
    digits = f"{r.randrange(1, 39):02d}" + "".join(r.choice("0123456789") for _ in range(7))
    if r.random() < 0.2:
        return " ".join(digits[i : i + 3] for i in range(0, 9, 3))
    return digits


def insurance_card(r: random.Random) -> str:
    head = r.choice(BHYT_OBJECTS) + r.choice("12345")
    province = f"{r.choice(PROVINCE_CODES):02d}"[-2:]
    number = "".join(r.choice("0123456789") for _ in range(10))
    style = r.randrange(6)
    if style == 1:
        return f"{head[:2]} {head[2]} {province} {number}"
    if style == 2:
        return f"{head} {province} {number[:5]} {number[5:]}"
    if style == 3:
        return f"{head}-{province}-{number}"
    if style == 4:
        return f"{head} {province} {number}"
    return f"{head}{province}{number}"


def social_insurance(r: random.Random) -> str:
    return f"{r.choice(PROVINCE_CODES):02d}"[-2:] + "".join(r.choice("0123456789") for _ in range(8))


def email(r: random.Random) -> str:
    surname, given = strip(r.choice(SURNAMES)).lower(), strip(r.choice(GIVENS)).lower()
    local = r.choice(
        [
            f"{given}{surname}{r.randrange(60, 99)}",
            f"{surname}.{given}",
            f"{given}_{surname}{r.randrange(1, 999)}",
            f"{surname}{given}{r.randrange(1950, 2005)}",
            f"bn.{given}{r.randrange(10, 99)}",
        ]
    )
    return f"{local}@{r.choice(MAIL_DOMAINS)}"


_MONTH_WORDS = "January February March April May June July August September October November December"
MONTH_NAMES = _MONTH_WORDS.split()


def birth_date(r: random.Random, *, english: bool = False, year: int | None = None) -> str:
    day, month = r.randrange(1, 29), r.randrange(1, 13)
    year = year if year is not None else r.randrange(1935, 2022)
    if english:
        return r.choice(
            [
                f"{day:02d}/{month:02d}/{year}",
                f"{day} {MONTH_NAMES[month - 1]} {year}",
                f"{MONTH_NAMES[month - 1]} {day}, {year}",
                f"{year}-{month:02d}-{day:02d}",
            ]
        )
    style = r.randrange(12)
    if style == 0:
        return f"{day:02d}/{month:02d}/{year}"
    if style == 1:
        return f"{day}/{month}/{year}"
    if style == 2:
        return f"{day:02d}-{month:02d}-{year}"
    if style == 3:
        return f"{day:02d}.{month:02d}.{year}"
    if style == 4:
        return f"{day} tháng {month} năm {year}"
    if style == 5:
        return f"{day:02d} tháng {month:02d} năm {year}"
    if style == 6:
        return f"{year}-{month:02d}-{day:02d}"
    if style == 8:
        return f"mùng {day} tháng {month} năm {year}"
    if style == 9:
        return f"{day:02d}/{month:02d}/{year % 100:02d}"
    if style == 10:
        return f"{day}.{month}.{year}"
    if style == 11:
        return f"{day:02d}-{MONTH_NAMES[month - 1][:3]}-{year}"
    return f"{day:02d}/{month:02d}/{year}"


def record_number(r: random.Random) -> str:
    year = r.randrange(2015, 2026)
    return r.choice(
        [
            f"{year}-{r.randrange(1, 99999):05d}",
            f"BN{year}{r.randrange(1, 999999):06d}",
            f"{r.randrange(1000, 99999)}",
            f"{year % 100}/{r.randrange(1000, 99999)}",
            f"{r.randrange(10**7):08d}",
            f"HS-{year}-{r.randrange(1, 9999)}",
            f"{r.randrange(1000, 9999)}/{year}",
            f"{year % 100}.{r.randrange(10**6):06d}",
            f"A{r.randrange(10000, 99999)}",
        ]
    )


def full_name(r: random.Random, *, initial: float = 0.25) -> str:
    given = r.choice(INITIAL_GIVENS) if r.random() < initial else r.choice(GIVENS)
    parts = [r.choice(SURNAMES), r.choice(MIDDLES)]
    if r.random() < 0.2:
        parts.append(r.choice(MIDDLES))
    return " ".join([*parts, given])


def address(r: random.Random) -> str:
    n, m, k = r.randrange(1, 300), r.randrange(1, 200), r.randrange(1, 20)
    return r.choice(
        [
            f"số {n} ngõ {m} phố {r.choice(ONE_WORD_STREETS)}",
            f"{n} {r.choice(STREETS)}",
            f"{n}/{k} {r.choice(STREETS)}, phường {k}, quận {r.randrange(1, 12)}",
            f"hẻm {m} đường {r.choice(STREETS)}",
            f"tổ {k}, thôn {r.choice(VILLAGES)}",
            f"ấp {k}, xã {r.choice(COMMUNES)}",
            f"xóm {k}, xã {r.choice(COMMUNES)}, huyện {r.choice(DISTRICTS)}",
            f"số nhà {n}, ngách {m}/{k}, ngõ {n + 3} {r.choice(STREETS)}",
            f"kiệt {m} {r.choice(STREETS)}",
            f"khu phố {k}, phường {r.choice(WARDS)}",
            f"bản {r.choice(VILLAGES)}, xã {r.choice(COMMUNES)}",
            f"thôn {r.choice(VILLAGES)}, xã {r.choice(COMMUNES)}, {r.choice(PROVINCES)}",
            f"số {n} đường {r.choice(STREETS)}, phường {r.choice(WARDS)}",
            f"{n}A {r.choice(STREETS)}, quận {r.choice(DISTRICTS)}",
            f"số {n}, ngõ {m}, phố {r.choice(ONE_WORD_STREETS)}",
            f"nhà số {n} {r.choice(STREETS)}",
            f"P.{r.randrange(101, 520)} nhà B{k} khu tập thể {r.choice(WARDS)}",
            f"ngõ {m} {r.choice(STREETS)}",
            f"ấp {r.choice(VILLAGES)}, xã {r.choice(COMMUNES)}",
            f"thôn {k} xã {r.choice(COMMUNES)}",
            f"{n} {r.choice(STREETS)}, Q.{r.randrange(1, 12)}, TP.HCM",
            f"căn hộ {r.randrange(101, 2500)} chung cư {r.choice(['HH2', 'CT1', 'Sky Garden', 'B4'])}",
            f"đường số {k}, khu dân cư {r.choice(VILLAGES)}",
        ]
    )


def admission_date(r: random.Random) -> str:
    day, month, year = r.randrange(1, 29), r.randrange(1, 13), r.randrange(2019, 2026)
    return r.choice(
        [f"{day}/{month}/{year}", f"{day:02d}/{month:02d}/{year}", f"{day} tháng {month} năm {year}"]
    )


# --- Clauses ------------------------------------------------------------------------------------

Clause = Callable[[random.Random], list[Piece]]


def _age(r: random.Random) -> str:
    return str(r.randrange(18, 92))


def _dated_by_age(r: random.Random) -> list[Piece]:
    """A bare date that the age next to it makes a date of birth (as of 2025)."""
    year = r.randrange(1935, 2015)
    age = 2025 - year - r.randrange(2)
    return [("DATE_OF_BIRTH", birth_date(r, year=year)), f" ({age} tuổi), {r.choice(COMPLAINTS)}."]


NAME_CLAUSES: list[Clause] = [
    lambda r: [
        "BN ",
        ("PATIENT_NAME", full_name(r)),
        f", {_age(r)} tuổi, vào viện vì {r.choice(COMPLAINTS)}.",
    ],
    lambda r: [
        "Bệnh nhân ",
        ("PATIENT_NAME", full_name(r)),
        f" ({r.choice(['nam', 'nữ'])}, {_age(r)} tuổi).",
    ],
    lambda r: [
        "Họ tên: ",
        ("PATIENT_NAME", full_name(r, initial=0).upper() if r.random() < 0.4 else full_name(r)),
        ".",
    ],
    lambda r: ["Người bệnh ", ("PATIENT_NAME", full_name(r)), " có tiền sử tăng huyết áp 10 năm."],
    lambda r: [
        "Bé ",
        ("PATIENT_NAME", r.choice(GIVENS) if r.random() < 0.5 else full_name(r)),
        f", {r.randrange(2, 11)} tuổi, sốt 3 ngày.",
    ],
    lambda r: ["Cháu ", ("PATIENT_NAME", full_name(r)), " nhập viện vì co giật."],
    lambda r: ["Sản phụ ", ("PATIENT_NAME", full_name(r)), ", PARA 1001, thai 38 tuần."],
    lambda r: [("PATIENT_NAME", full_name(r, initial=0.4)), f", {_age(r)} tuổi, {r.choice(COMPLAINTS)}."],
    lambda r: ["Bà ", ("PATIENT_NAME", full_name(r)), f" được chẩn đoán {r.choice(DIAGNOSES)}."],
    lambda r: ["Ông ", ("PATIENT_NAME", full_name(r)), " hút thuốc lá 20 bao-năm."],
    lambda r: ["Chị ", ("PATIENT_NAME", r.choice(GIVENS)), " kể đau từ 2 tuần nay."],
    lambda r: ["Tên BN: ", ("PATIENT_NAME", full_name(r)), "."],
    lambda r: ["bn ", ("PATIENT_NAME", full_name(r)), " tái khám sau 1 tháng."],
    lambda r: [
        "Patient ",
        ("PATIENT_NAME", full_name(r, initial=0)),
        f", a {_age(r)}-year-old man, presented with chest pain.",
    ],
    lambda r: [
        "Mr. ",
        ("PATIENT_NAME", r.choice(EN_NAMES)),
        " was admitted for community-acquired pneumonia.",
    ],
    lambda r: [
        "BN ",
        ("PATIENT_NAME", f"{r.choice(SURNAMES)[0]}.{r.choice(MIDDLES)[0]}.{r.choice(INITIAL_GIVENS)}"),
        f" {_age(r)} tuổi.",
    ],
    lambda r: ["BN tên là ", ("PATIENT_NAME", full_name(r)), ", làm giáo viên."],
    lambda r: ["BN ", ("PATIENT_NAME", full_name(r, initial=0).upper()), f" {_age(r)} tuổi."],
    lambda r: ["Bệnh nhân: ", ("PATIENT_NAME", full_name(r)), f" - {_age(r)}t - {r.choice(COMPLAINTS)}."],
    lambda r: ["Con gái BN là chị ", ("PATIENT_NAME", full_name(r, initial=0)), " chăm sóc."],
    lambda r: ["Ms. ", ("PATIENT_NAME", r.choice(GIVENS)), f", {_age(r)}, came back for follow-up."],
    lambda r: ["Bà cụ ", ("PATIENT_NAME", full_name(r)), " sống một mình."],
]

ADDRESS_CLAUSES: list[Clause] = [
    lambda r: ["Địa chỉ: ", ("STREET_ADDRESS", address(r)), "."],
    lambda r: ["BN sống tại ", ("STREET_ADDRESS", address(r)), ", làm nông."],
    lambda r: ["Nhà ở ", ("STREET_ADDRESS", address(r)), "."],
    lambda r: ["Trú tại ", ("STREET_ADDRESS", address(r)), f", {r.choice(PROVINCES)}."],
    lambda r: ["Người nhà đưa BN từ ", ("STREET_ADDRESS", address(r)), " đến viện."],
    lambda r: ["Thường trú: ", ("STREET_ADDRESS", address(r)), "."],
]

PHONE_CLAUSES: list[Clause] = [
    lambda r: ["SĐT ", ("PHONE_NUMBER", phone(r)), "."],
    lambda r: ["Liên hệ người nhà: ", ("PHONE_NUMBER", phone(r)), " (con gái)."],
    lambda r: ["sđt: ", ("PHONE_NUMBER", phone(r))],
    lambda r: ["Điện thoại ", ("PHONE_NUMBER", phone(r)), "."],
    lambda r: ["Gọi cho vợ BN theo số ", ("PHONE_NUMBER", phone(r)), " nếu cần."],
    lambda r: ["Người nhà (con trai) ", ("PHONE_NUMBER", mobile(r)), "."],
    lambda r: ["Zalo ", ("PHONE_NUMBER", mobile(r)), "."],
    lambda r: ["ĐT: ", ("PHONE_NUMBER", phone(r)), "."],
    lambda r: ["Contact the family at ", ("PHONE_NUMBER", phone(r)), "."],
    lambda r: ["Khoa đã liên lạc qua ", ("PHONE_NUMBER", phone(r)), " nhưng không được."],
    lambda r: ["BN cho số ", ("PHONE_NUMBER", mobile(r)), " để theo dõi."],
    lambda r: ["ĐT: ", ("PHONE_NUMBER", mobile(r)), " / ", ("PHONE_NUMBER", mobile(r)), "."],
    lambda r: [
        "SĐT",
        ("PHONE_NUMBER", "0" + r.choice(MOBILE_PREFIXES) + str(r.randrange(1000000, 9999999))),
        " (vợ).",
    ],
    lambda r: ["tel:", ("PHONE_NUMBER", mobile(r))],
    lambda r: ["Số di động của BN: ", ("PHONE_NUMBER", mobile(r)), "."],
    lambda r: [("PHONE_NUMBER", mobile(r)), " - số của con trai BN."],
]

CITIZEN_CLAUSES: list[Clause] = [
    lambda r: ["CCCD ", ("CITIZEN_ID", citizen_id(r)), "."],
    lambda r: ["Số CCCD: ", ("CITIZEN_ID", citizen_id(r)), "."],
    lambda r: ["căn cước công dân số ", ("CITIZEN_ID", citizen_id(r)), "."],
    lambda r: ["Số định danh cá nhân ", ("CITIZEN_ID", citizen_id(r)), "."],
    lambda r: ["Giấy tờ tùy thân: ", ("CITIZEN_ID", citizen_id(r)), "."],
    lambda r: ["National ID ", ("CITIZEN_ID", citizen_id(r)), "."],
    lambda r: ["BN xuất trình thẻ ", ("CITIZEN_ID", citizen_id(r)), " khi nhập viện."],
    lambda r: ["CCCD: ", ("CITIZEN_ID", citizen_id(r).replace(" ", "-")), f" cấp ngày {admission_date(r)}."],
    lambda r: ["Căn cước ", ("CITIZEN_ID", citizen_id(r)), ", nơi cấp Cục Cảnh sát."],
    lambda r: ["ID card ", ("CITIZEN_ID", citizen_id(r)), "."],
]

OLD_ID_CLAUSES: list[Clause] = [
    lambda r: ["CMND ", ("OLD_ID_NUMBER", old_id(r)), "."],
    lambda r: ["CMND số: ", ("OLD_ID_NUMBER", old_id(r)), "."],
    lambda r: ["chứng minh nhân dân ", ("OLD_ID_NUMBER", old_id(r)), " cấp năm 2010."],
    lambda r: ["CMT ", ("OLD_ID_NUMBER", old_id(r)), "."],
    lambda r: ["Giấy tờ cũ: ", ("OLD_ID_NUMBER", old_id(r)), "."],
    lambda r: ["Số CMTND ", ("OLD_ID_NUMBER", old_id(r)), " do CA tỉnh cấp."],
    lambda r: ["chung minh thu ", ("OLD_ID_NUMBER", old_id(r))],
]

INSURANCE_CLAUSES: list[Clause] = [
    lambda r: ["Thẻ BHYT ", ("HEALTH_INSURANCE_NUMBER", insurance_card(r)), "."],
    lambda r: ["Mã thẻ BHYT: ", ("HEALTH_INSURANCE_NUMBER", insurance_card(r)), ", hưởng 80%."],
    lambda r: ["BN có thẻ ", ("HEALTH_INSURANCE_NUMBER", insurance_card(r)), " còn hạn."],
    lambda r: ["Số thẻ bảo hiểm y tế ", ("HEALTH_INSURANCE_NUMBER", insurance_card(r)), "."],
    lambda r: ["Mã số BHXH: ", ("HEALTH_INSURANCE_NUMBER", social_insurance(r)), "."],
    lambda r: ["mã BHXH ", ("HEALTH_INSURANCE_NUMBER", social_insurance(r)), "."],
    lambda r: ["Health insurance card ", ("HEALTH_INSURANCE_NUMBER", insurance_card(r)), "."],
    lambda r: ["Thẻ BHYT mẫu mới, mã số ", ("HEALTH_INSURANCE_NUMBER", social_insurance(r)), "."],
    lambda r: ["BHYT số ", ("HEALTH_INSURANCE_NUMBER", insurance_card(r).lower()), "."],
    lambda r: ["Sổ BHXH số ", ("HEALTH_INSURANCE_NUMBER", social_insurance(r)), "."],
]

EMAIL_CLAUSES: list[Clause] = [
    lambda r: ["Email: ", ("EMAIL", email(r)), "."],
    lambda r: ["Gửi kết quả qua ", ("EMAIL", email(r)), " cho người nhà."],
    lambda r: ["Con BN (", ("EMAIL", email(r)), ") xin tư vấn thêm."],
    lambda r: ["Write to ", ("EMAIL", email(r)), " for the images."],
    lambda r: ["E-mail người nhà: ", ("EMAIL", email(r).replace("@", " [at] ")), "."],
    lambda r: ["mail ", ("EMAIL", email(r).capitalize())],
]

BIRTH_CLAUSES: list[Clause] = [
    lambda r: ["Sinh ngày ", ("DATE_OF_BIRTH", birth_date(r)), "."],
    lambda r: ["BN sinh ngày ", ("DATE_OF_BIRTH", birth_date(r)), f", vào viện ngày {admission_date(r)}."],
    lambda r: ["Ngày sinh: ", ("DATE_OF_BIRTH", birth_date(r)), "."],
    lambda r: ["NS: ", ("DATE_OF_BIRTH", birth_date(r)), "."],
    lambda r: ["DOB: ", ("DATE_OF_BIRTH", birth_date(r, english=True)), "."],
    lambda r: ["Date of birth ", ("DATE_OF_BIRTH", birth_date(r, english=True)), "."],
    lambda r: ["Born on ", ("DATE_OF_BIRTH", birth_date(r, english=True)), "."],
    lambda r: ["Ngày tháng năm sinh: ", ("DATE_OF_BIRTH", birth_date(r)), "."],
    lambda r: [
        "BN ",
        ("PATIENT_NAME", full_name(r, initial=0)),
        " (",
        ("DATE_OF_BIRTH", birth_date(r)),
        ").",
    ],
    lambda r: ["Bé sinh ", ("DATE_OF_BIRTH", birth_date(r)), ", cân nặng lúc sinh 2800 g."],
    lambda r: ["Ngày/tháng/năm sinh: ", ("DATE_OF_BIRTH", birth_date(r)), "."],
    lambda r: [f"{_age(r)} tuổi (SN ", ("DATE_OF_BIRTH", birth_date(r)), ")."],
    lambda r: _dated_by_age(r),
    lambda r: [
        "Ngày sinh: ",
        ("DATE_OF_BIRTH", f"{r.randrange(1, 29)}/{r.randrange(1, 13)}"),
        " (không nhớ năm).",
    ],
    lambda r: ["D.O.B.: ", ("DATE_OF_BIRTH", birth_date(r, english=True)), "."],
]

MRN_CLAUSES: list[Clause] = [
    lambda r: ["Mã BN ", ("MEDICAL_RECORD_NUMBER", record_number(r)), "."],
    lambda r: ["Số bệnh án: ", ("MEDICAL_RECORD_NUMBER", record_number(r)), "."],
    lambda r: ["mã bệnh nhân: ", ("MEDICAL_RECORD_NUMBER", record_number(r)), "."],
    lambda r: ["MRN ", ("MEDICAL_RECORD_NUMBER", record_number(r)), "."],
    lambda r: ["PID: ", ("MEDICAL_RECORD_NUMBER", record_number(r)), "."],
    lambda r: ["Số hồ sơ ", ("MEDICAL_RECORD_NUMBER", record_number(r)), "."],
    lambda r: ["Mã hồ sơ: ", ("MEDICAL_RECORD_NUMBER", record_number(r)), "."],
    lambda r: ["Số lưu trữ ", ("MEDICAL_RECORD_NUMBER", record_number(r)), "."],
    lambda r: ["Số vào viện: ", ("MEDICAL_RECORD_NUMBER", record_number(r)), "."],
    lambda r: ["Patient ID: ", ("MEDICAL_RECORD_NUMBER", record_number(r)), "."],
    lambda r: ["Hồ sơ (số bệnh án ", ("MEDICAL_RECORD_NUMBER", record_number(r)), ") đã chuyển."],
    lambda r: ["MSBN: ", ("MEDICAL_RECORD_NUMBER", record_number(r)), "."],
    lambda r: ["Mã tiếp nhận ", ("MEDICAL_RECORD_NUMBER", record_number(r)), "."],
    lambda r: ["MRN#", ("MEDICAL_RECORD_NUMBER", record_number(r))],
    lambda r: ["Mã số BN là ", ("MEDICAL_RECORD_NUMBER", record_number(r)), "."],
    lambda r: ["ID bệnh nhân: ", ("MEDICAL_RECORD_NUMBER", record_number(r)), "."],
]


def _lab(r: random.Random) -> str:
    return r.choice(
        [
            f"Hb {r.randrange(60, 160)} g/L",
            f"BC {r.randrange(3, 30)}.{r.randrange(10)} G/L",
            f"tiểu cầu {r.randrange(20, 450)} G/L",
            f"CRP {r.randrange(1, 300)} mg/L",
            f"creatinin {r.randrange(50, 900)} µmol/L",
            f"HbA1c {r.randrange(5, 14)},{r.randrange(10)}%",
            f"Troponin T {r.randrange(10, 3000)} ng/L",
            f"NT-proBNP {r.randrange(100, 35000)} pg/mL",
            f"Na+ {r.randrange(120, 150)} mmol/L",
            f"đường huyết {r.randrange(3, 30)}.{r.randrange(10)} mmol/L",
            f"bạch cầu {r.randrange(3000, 25000)}/mm3",
            f"AST {r.randrange(10, 2000)} U/L, ALT {r.randrange(10, 2000)} U/L",
        ]
    )


NEGATIVE_CLAUSES: list[Clause] = [
    lambda r: [f"Xét nghiệm: {_lab(r)}, {_lab(r)}."],
    lambda r: [f"Vào viện ngày {admission_date(r)} vì {r.choice(COMPLAINTS)}."],
    lambda r: [f"BN nam {_age(r)} tuổi, tiền sử {r.choice(DIAGNOSES)}."],
    lambda r: [f"BN Nam, {_age(r)} tuổi, chẩn đoán {r.choice(DIAGNOSES)}."],
    lambda r: [f"Bệnh nhân nữ, sinh năm {r.randrange(1940, 2005)}, {r.choice(COMPLAINTS)}."],
    lambda r: [
        f"Điều trị Amoxicillin {r.choice(['500', '875', '1000'])} mg x 2 lần/ngày trong {r.randrange(5, 15)} ngày."
    ],
    lambda r: [
        f"Huyết áp {r.randrange(80, 200)}/{r.randrange(40, 120)} mmHg, mạch {r.randrange(50, 150)} lần/phút."
    ],
    lambda r: [f"Chẩn đoán: {r.choice(DIAGNOSES)}."],
    lambda r: [f"Mổ ngày {admission_date(r)}, hậu phẫu ngày {r.randrange(1, 10)} ổn định."],
    lambda r: [f"Năm {r.randrange(2010, 2026)} phát hiện {r.choice(DIAGNOSES)}."],
    lambda r: [f"Chi phí điều trị khoảng {r.randrange(2, 300)}.000.000 đồng, BHYT chi trả 80%."],
    lambda r: [f"Chi phí {r.randrange(100, 999)}000000 đồng."],
    lambda r: [f"Chuyển từ Bệnh viện huyện {r.choice(DISTRICTS)} lên tuyến tỉnh."],
    lambda r: [f"BS {full_name(r, initial=0)} hội chẩn, đề nghị chụp CT."],
    lambda r: [f"Theo PGS.TS {full_name(r, initial=0)}, nên dùng kháng sinh sớm."],
    lambda r: [f"BN ở {r.choice(PROVINCES)}, làm ruộng."],
    lambda r: ["Gọi cấp cứu 115, hotline Bộ Y tế 1900 9095."],
    lambda r: [
        f"Truyền NaCl 0,9% {r.choice(['500', '1000'])} ml, insulin {r.randrange(4, 30)} UI tiêm dưới da."
    ],
    lambda r: [
        f"Đường huyết lúc đói {r.randrange(5, 20)},{r.randrange(10)} mmol/L, bệnh {r.randrange(2, 15)} năm."
    ],
    lambda r: [f"Trẻ {r.randrange(2, 11)} tháng tuổi, cân nặng {r.randrange(4, 11)} kg."],
    lambda r: [f"Sau sinh ngày thứ {r.randrange(2, 8)}, sản phụ sốt."],
    lambda r: [f"Nội soi ngày {admission_date(r)}: loét hành tá tràng."],
    lambda r: [f"ECG: nhịp xoang {r.randrange(60, 110)} lần/phút, ST chênh lên DII, DIII, aVF."],
    lambda r: [f"Giường số {r.randrange(1, 40)}, phòng {r.randrange(101, 520)}, khoa Nội tim mạch."],
    lambda r: [f"Số bệnh nhân tăng {r.randrange(10, 90)}% so với năm {r.randrange(2018, 2024)}."],
    lambda r: ["Tổ chức hội chẩn liên viện, văn bản gửi Sở Y tế."],
    lambda r: [f"Bà mẹ {_age(r)} tuổi, ông bà nội khỏe mạnh, anh chị em không ai mắc bệnh tương tự."],
    lambda r: [
        f"Bé trai {r.randrange(2, 11)} tuổi, nặng {r.randrange(10, 40)} kg, cao {r.randrange(80, 150)} cm."
    ],
    lambda r: [f"Chụp MRI 1.5T lúc 14h30 ngày {admission_date(r)}."],
    lambda r: [
        f"Type 2 Diabetes Mellitus for {r.randrange(2, 20)} years, HbA1c {r.randrange(6, 12)}.{r.randrange(10)}%."
    ],
    lambda r: [
        f"Admitted on {admission_date(r).replace(' tháng ', '/').replace(' năm ', '/')}, BP {r.randrange(90, 180)}/{r.randrange(50, 110)}."
    ],
    lambda r: [
        f"A {_age(r)}-year-old woman, born in {r.randrange(1940, 2000)}, with stage 3 chronic kidney disease."
    ],
    lambda r: [f"Tỷ lệ 1/{r.randrange(100, 10000)}, liều 0,{r.randrange(1, 9)} mg/kg/ngày."],
    lambda r: [f"WBC {r.randrange(4, 25)}.{r.randrange(10)} x 10^9/L, PLT {r.randrange(50, 400)} x 10^9/L."],
    lambda r: [f"Phẫu thuật theo kỹ thuật Tôn Thất Tùng, mất máu {r.randrange(100, 900)} ml."],
    lambda r: [
        f"Chuyển BV {r.choice(['Bạch Mai', 'Chợ Rẫy', 'Nguyễn Tri Phương', 'Hữu Nghị', 'Trung ương Huế'])} điều trị tiếp."
    ],
    lambda r: [f"Trạm y tế xã {r.choice(COMMUNES)} phát hiện và chuyển tuyến."],
    lambda r: [f"Đặt stent LAD đoạn {r.randrange(1, 4)}, hẹp {r.randrange(50, 99)}%."],
    lambda r: [f"Tiền sử mổ ruột thừa năm {r.randrange(1980, 2020)}, dị ứng penicillin."],
    lambda r: [
        f"PARA {r.randrange(1000, 3000)}, thai {r.randrange(20, 41)} tuần, ối vỡ {r.randrange(2, 24)} giờ."
    ],
    lambda r: [f"Liều tích lũy {r.randrange(100000000, 999999999)} đơn vị."],
    lambda r: [f"BN {_age(r)} tuổi, tăng huyết áp độ {r.randrange(1, 4)}, suy tim độ {r.randrange(1, 5)}."],
    lambda r: [f"Xquang: tràn dịch màng phổi {r.choice(['phải', 'trái'])}, đường cong Damoiseau."],
    lambda r: ["Phổ biến cho người nhà về chế độ ăn, tái khám sau 2 tuần."],
    lambda r: [f"Điểm Glasgow {r.randrange(3, 15)}, đồng tử 3 mm, phản xạ ánh sáng (+)."],
    lambda r: [
        f"Đến viện sau {r.randrange(2, 72)} giờ, chuyển từ huyện {r.choice(DISTRICTS)}, tỉnh {r.choice(PROVINCES)}."
    ],
    lambda r: [f"Kết quả giải phẫu bệnh số tiêu bản ngày {admission_date(r)} chưa có."],
    lambda r: [
        f"HIV RNA {r.randrange(100000000, 999999999)} copies/mL, CD4 {r.randrange(20, 900)} tế bào/µL."
    ],
    lambda r: [
        f"Tải lượng HBV DNA {r.randrange(1, 99)}.{r.randrange(100, 999)}.{r.randrange(100, 999)} IU/mL."
    ],
    lambda r: [
        f"Thuốc số đăng ký VD-{r.randrange(10000, 99999)}-{r.randrange(10, 24)}, lô SX {r.randrange(100000, 999999)}."
    ],
    lambda r: [f"Uống thuốc 1-0-1, tái khám sau {r.randrange(1, 12)} tháng; CCCD và BHYT đã kiểm tra."],
    lambda r: [f"BN THA, ĐTĐ, COPD; NMCT cũ năm {r.randrange(2005, 2024)}."],
    lambda r: ["Mua thuốc ở chợ Bà Chiểu, khám ở phòng khám Bà Triệu."],
    lambda r: [
        f"Chụp CT lúc 08:{r.randrange(10, 59)}:{r.randrange(10, 59)}, thuốc cản quang {r.randrange(50, 120)} ml."
    ],
    lambda r: [f"BN ở phường {r.choice(WARDS)}, quận {r.choice(DISTRICTS)}, làm công nhân."],
    lambda r: [
        f"Patient Safety Committee reviewed the case on {admission_date(r).replace(' tháng ', '/').replace(' năm ', '/')}."
    ],
    lambda r: [
        f"Sinh mổ lần {r.randrange(1, 4)} năm {r.randrange(2005, 2024)}, con nặng {r.randrange(2500, 4000)} g."
    ],
    lambda r: [
        f"Ngày {r.randrange(1, 29)}/{r.randrange(1, 13)} BN sốt lại, ngày {r.randrange(1, 29)}/{r.randrange(1, 13)} cấy máu dương tính."
    ],
    lambda r: [f"Đường huyết {r.randrange(100, 400)} mg/dL, lúc {r.randrange(1, 12)} giờ sáng."],
    lambda r: [
        f"Cấp cứu 115 đến sau {r.randrange(10, 60)} phút, tổng đài {r.choice(['1900 9095', '1800 1234', '1900.1234'])}."
    ],
    lambda r: [f"BN THA ĐTĐ {r.randrange(2, 20)} năm, HIV (-), HBsAg (-)."],
    lambda r: [
        f"Số tài liệu tham khảo {r.randrange(10, 60)}, trang {r.randrange(100, 999)}-{r.randrange(100, 999)}."
    ],
]

POSITIVE_GROUPS = [
    NAME_CLAUSES,
    ADDRESS_CLAUSES,
    PHONE_CLAUSES,
    CITIZEN_CLAUSES,
    OLD_ID_CLAUSES,
    INSURANCE_CLAUSES,
    EMAIL_CLAUSES,
    BIRTH_CLAUSES,
    MRN_CLAUSES,
]


# --- Hand-written cases: {{KIND:text}} marks each identifier -------------------------------------

HAND = [
    # Names, in the ways people actually write them.
    "BN {{PATIENT_NAME:Nguyễn Văn A}}, 65 tuổi, vào viện ngày 12/3/2024 vì đau ngực.",
    "bệnh nhân {{PATIENT_NAME:Trần Thị B}} được chẩn đoán viêm phổi.",
    "benh nhan {{PATIENT_NAME:Le Minh C}} vao vien vi sot cao",
    "bé {{PATIENT_NAME:Lê Minh C}} 3 tuổi, cháu {{PATIENT_NAME:Hùng}} 5 tuổi.",
    "Họ và tên: {{PATIENT_NAME:PHẠM THỊ LAN}}, giới: nữ.",
    "Ông {{PATIENT_NAME:Hoàng Văn Tâm}} bị đột quỵ lần 2.",
    "{{PATIENT_NAME:Nguyễn Thị Hoa}}, 72 tuổi, đái tháo đường.",
    "BN {{PATIENT_NAME:N.V.A}} 45 tuổi, nghiện rượu.",
    "Mrs. {{PATIENT_NAME:Mary Johnson}}, 54, presented with jaundice.",
    "Name: {{PATIENT_NAME:Peter Wilson}}.",
    "BN: {{PATIENT_NAME:Đỗ Quang Huy}} - 30t - sốt 5 ngày.",
    "Người bệnh {{PATIENT_NAME:Ngô Thị Thu Trang}} có thai 12 tuần.",
    "Chồng BN là anh {{PATIENT_NAME:Bùi Văn Long}}, {{PHONE_NUMBER:0983 456 789}}.",
    # Negatives that look like names.
    "BN nam 45 tuổi, tiền sử THA, ĐTĐ typ 2.",
    "Bệnh nhân Nữ, 30 tuổi, đau bụng kinh.",
    "BS Trần Văn B và ThS Lê Thị C hội chẩn.",
    "Chuyển BV Nguyễn Tri Phương, sau đó BV Trần Hưng Đạo.",
    "BN quê Bà Rịa - Vũng Tàu, làm ngư dân.",
    "Bà mẹ và chị gái của BN đều khỏe mạnh.",
    "Bé trai 2 tuổi, bé gái 5 tuổi, cả hai sốt.",
    "Theo Nguyễn Văn Thành (2019), tỷ lệ biến chứng là 12%.",
    "BN THA 10 năm, ĐTĐ 5 năm, không hút thuốc.",
    # Phones.
    "SĐT: {{PHONE_NUMBER:0912345678}}; số bàn {{PHONE_NUMBER:(024) 3869 3731}}.",
    "Liên hệ {{PHONE_NUMBER:+84 912 345 678}} hoặc {{PHONE_NUMBER:84912345678}}.",
    "Người nhà: {{PHONE_NUMBER:0912.345.678}}",
    "gọi {{PHONE_NUMBER:0236.3821.118}} (phòng khám) hoặc di động {{PHONE_NUMBER:0905-123-456}}",
    "Số máy bàn nhà BN {{PHONE_NUMBER:3869 3731}}.",
    "{{PHONE_NUMBER:0987654321}} là số của con BN.",
    "Tel {{PHONE_NUMBER:+84 28 3855 4269}}",
    "Hotline 1900 9095 và cấp cứu 115 không phải số cá nhân.",
    "Phone {{PHONE_NUMBER:+84912345678}}, email {{EMAIL:tran.binh@gmail.com}}.",
    # Citizen and old ID numbers.
    "CCCD {{CITIZEN_ID:001089012345}}, CMND cũ {{OLD_ID_NUMBER:012345678}}.",
    "Số CCCD: {{CITIZEN_ID:079 185 001 234}}.",
    "căn cước {{CITIZEN_ID:036.090.123.456}}",
    "BN mang theo thẻ căn cước công dân số {{CITIZEN_ID:001201009876}} và CMT {{OLD_ID_NUMBER:162 345 678}}.",
    "Giấy tờ: {{CITIZEN_ID:038195004321}}.",
    "Số định danh {{CITIZEN_ID:001089012345}}",
    "Tiểu cầu 9 triệu? Không, 90 G/L; hồng cầu 4,5 T/L.",
    "BN vay 9 triệu đồng để chữa bệnh, nợ 150000000 đồng.",
    "Theo dõi 9 tháng, tái phát sau 12 tháng.",
    "Số lượng bạch cầu 12000/mm3, tiểu cầu 250000/mm3.",
    "CMND {{OLD_ID_NUMBER:285123456}}",
    # Health insurance.
    "Thẻ BHYT {{HEALTH_INSURANCE_NUMBER:DN4010123456789}}, mã số BHXH: {{HEALTH_INSURANCE_NUMBER:0123456789}}.",
    "BHYT: {{HEALTH_INSURANCE_NUMBER:HS 4 79 7912345678}}",
    "mã thẻ {{HEALTH_INSURANCE_NUMBER:TE1 01 01234 56789}} (trẻ dưới 6 tuổi)",
    "BN có BHYT 80%, BHXH chi trả phần còn lại.",
    "The BHYT {{HEALTH_INSURANCE_NUMBER:gd4 48 4812345678}} het han",
    # E-mails.
    "Email {{EMAIL:nguyenvana@gmail.com}}",
    "Gửi phim qua {{EMAIL:bn.lan1985@yahoo.com.vn}}.",
    "(liên hệ: {{EMAIL:hoa_tran22@outlook.com}})",
    # Dates of birth.
    "bệnh nhân {{PATIENT_NAME:Trần Thị B}} sinh ngày {{DATE_OF_BIRTH:12/03/1958}}, SĐT {{PHONE_NUMBER:0912.345.678}}.",
    "Sinh ngày {{DATE_OF_BIRTH:12 tháng 3 năm 1980}} tại Hà Nội.",
    "NS: {{DATE_OF_BIRTH:05/06/1950}}, vào viện ngày 12/3/2024.",
    "DOB {{DATE_OF_BIRTH:1980-03-12}}, admitted 2024-03-12.",
    "{{PATIENT_NAME:Lê Văn Hùng}}, {{DATE_OF_BIRTH:02/09/1945}}, khó thở.",
    "Ngày sinh {{DATE_OF_BIRTH:3-4-1977}}.",
    "BN sinh năm 1958, 65 tuổi, vào viện ngày 12/3/2023.",
    "Vào viện ngày 12/3/2024, ra viện ngày 20/3/2024, tái khám ngày 20/4/2024.",
    "ngày 12 tháng 3 năm 2024 BN được nội soi dạ dày.",
    "{{DATE_OF_BIRTH:12/05/1961}} (62 tuổi), nam, đau thượng vị.",
    "sinh ngay {{DATE_OF_BIRTH:15/08/1990}}",
    "NS {{DATE_OF_BIRTH:1/1/1949}}",
    "Born on {{DATE_OF_BIRTH:March 12, 1980}}; admitted on 12 March 2024.",
    "Năm 2023 mổ thay khớp háng, năm 2024 tái khám.",
    "Sau sinh ngày thứ 3 sản phụ sốt 39 độ.",
    # Medical record numbers.
    "Mã BN {{MEDICAL_RECORD_NUMBER:2023-00123}}, số bệnh án: {{MEDICAL_RECORD_NUMBER:12345}}.",
    "MRN {{MEDICAL_RECORD_NUMBER:00123456}}; PID {{MEDICAL_RECORD_NUMBER:7788991}}",
    "số hồ sơ: {{MEDICAL_RECORD_NUMBER:HS-2023-456}}",
    "Mã y tế {{MEDICAL_RECORD_NUMBER:79012345}}",
    "So benh an {{MEDICAL_RECORD_NUMBER:23/045678}}",
    "Số bệnh nhân nhập viện tăng 20% so với năm 2022.",
    "Mã ICD-10: I21.4; E11.9; J18.9.",
    # Addresses.
    "dia chi {{STREET_ADDRESS:so 12 ngo 34 pho Hue, Ha Noi}}",
    "Nhà ở {{STREET_ADDRESS:123 Nguyễn Trãi, phường Thượng Đình}}.",
    "Địa chỉ: {{STREET_ADDRESS:số 12 ngõ 34 phố Huế, Hà Nội}}.",
    "{{STREET_ADDRESS:hẻm 45 đường Lê Lợi}} gần chợ.",
    "BN ở {{STREET_ADDRESS:tổ 3, thôn Đông}}, làm nông; con gái ở {{STREET_ADDRESS:ấp 2}}.",
    "Trú tại {{STREET_ADDRESS:xóm 5, xã Tân Phú, huyện Ba Vì}}.",
    "Huyết áp 120/80 mmHg, đường huyết 7,8 mmol/L, áp lực tĩnh mạch trung tâm 12 cmH2O.",
    "Tổ chức tiến hành hội chẩn; văn bản ghi rõ; bản thân BN đồng ý.",
    "BN ở Hà Nội, chuyển từ bệnh viện huyện Ba Vì.",
    "NYHA 3, Killip 2, giai đoạn 3; phân loại Forrest IIb.",
    "Stage 2 Heart Failure with reduced ejection fraction.",
    # Mixed, English.
    "Patient {{PATIENT_NAME:Nguyen Van Binh}}, DOB {{DATE_OF_BIRTH:03/12/1980}}, phone {{PHONE_NUMBER:0912 345 678}}, MRN {{MEDICAL_RECORD_NUMBER:5566778}}.",
    "A 65-year-old man with BP 150/90 and HbA1c 8.5%, admitted on 12/03/2024.",
    # Harder shapes, written after the first detector: glued, slashed, spelled-out months.
    "SĐT{{PHONE_NUMBER:0912345678}} (vợ); ĐT {{PHONE_NUMBER:0912345678}}/{{PHONE_NUMBER:0987654321}}.",
    "CCCD:{{CITIZEN_ID:001089012345}} cấp ngày 10/10/2021.",
    "BN {{PATIENT_NAME:Nguyễn Văn An}}, sinh ngày {{DATE_OF_BIRTH:5/3/1960}}, ở {{STREET_ADDRESS:số 7 ngõ 2 Trần Duy Hưng}}, SĐT {{PHONE_NUMBER:0904 123 456}}, CCCD {{CITIZEN_ID:001060012345}}, BHYT {{HEALTH_INSURANCE_NUMBER:HT3 01 0123456789}}: xin ý kiến hội chẩn.",
    "Họ tên BN: {{PATIENT_NAME:NGUYỄN THỊ MAI}}",
    "BN nữ {{PATIENT_NAME:Lê Thị Hồng}} 45 tuổi, đau khớp.",
    "Mẹ bé là chị {{PATIENT_NAME:Hoa}}, làm công nhân.",
    "tên: {{PATIENT_NAME:Nguyễn Văn Tư}}",
    "NS:{{DATE_OF_BIRTH:12/3/1970}}",
    "sinh ngày {{DATE_OF_BIRTH:mồng 2 tháng 9 năm 1945}}",
    "Ngày sinh {{DATE_OF_BIRTH:12 - 03 - 1958}}.",
    "DOB {{DATE_OF_BIRTH:12-Mar-1980}}",
    "email: {{EMAIL:abc.def@bv108.vn}}",
    "BHYT {{HEALTH_INSURANCE_NUMBER:DN 4 01 01 234 567 89}}",
    "MSBN {{MEDICAL_RECORD_NUMBER:23-004567}}; mã BN: {{MEDICAL_RECORD_NUMBER:BN-23-004567}}.",
    "Địa chỉ liên hệ: {{STREET_ADDRESS:12 Lê Lợi, TP Huế}}.",
    "BN ở {{STREET_ADDRESS:số 8 hẻm 12/5 Phan Đăng Lưu}}.",
    "Nhà ở {{STREET_ADDRESS:ấp Bình Hòa, xã Tân Phú}}.",
    "Address: {{STREET_ADDRESS:221B Baker Street, London}}.",
    "She lives at {{STREET_ADDRESS:12 Nguyen Trai Street}}, District 1.",
    "Khoa Hồi sức, BV Chợ Rẫy, {{STREET_ADDRESS:201B Nguyễn Chí Thanh}}, quận 5.",
    "Con trai BN: anh {{PATIENT_NAME:Trần Quốc Bảo}}, {{PHONE_NUMBER:0903.111.222}}.",
    "bn {{PATIENT_NAME:ĐINH VĂN HÙNG}}, 58t",
    "Gửi ảnh qua {{EMAIL:bs.lan [at] gmail.com}} giúp em.",
    # Harder negatives.
    "Penicillin G 1 triệu UI x 4 lần, liều 9 triệu UI/ngày.",
    "Dùng 2 ống Nexium 40 mg, 3 viên Panadol 500 mg.",
    "Suy thận giai đoạn 3 Bệnh Thận Mạn theo KDIGO.",
    "Năm 2020 chẩn đoán ung thư, 12/2021 hóa trị 6 đợt.",
    "PMID 12345678; DOI 10.1056/NEJMoa1234567.",
    "ISBN 978-604-1-12345-6, tái bản 2019.",
    "Khí máu: pH 7,32, pCO2 48, HCO3 22; lactat 0,9 1,2 2,4 mmol/L.",
    "Kháng sinh đồ ngày 12/03/2024, cấy máu ngày 13/03/2024.",
    "Vào viện 12/03/2024 (65 tuổi), chuyển khoa ngày 15/03/2024.",
    "BN từng sống ở Anh Quốc, về nước năm 2019.",
    "Trần nhà bị dột nên BN bị ngã.",
    "ThS.BS Nguyễn Văn Cường, BSCKII. Lê Văn Dũng và TS. BS. Hoàng Văn Phúc cùng hội chẩn.",
    "Bác sĩ Phạm Thị Hương nhận định; GS Đặng Văn Ngữ từng mô tả.",
    "Tiêm vắc xin 2 mũi, cách nhau 4 tuần; 0,5 ml/mũi.",
    "Số lượng tiểu cầu 1.234.567/mm3 là sai số.",
    "Mã ICD-10 I21.4, I10, E78.5; NYHA II.",
    "Tổng đài 1900 1234 và 1800 6868 miễn phí.",
    "BN nhập viện lần 3, lần 2 cách đây 6 tháng.",
]


# Written blind after the detector was tuned on the cases above, and scored once before any fix
# (figures in the guard's report); kept so later changes are judged on them too.
HOLDOUT = [
    "Em xin ý kiến các anh chị về ca BN {{PATIENT_NAME:Phan Thị Ngọc}} 34 tuổi, có thai 32 tuần, đau đầu, HA 170/110.",
    "Cháu {{PATIENT_NAME:Vũ Minh Khang}} (nam, 6 tuổi), sốt ngày thứ 5, tiểu cầu 45 G/L, Hct 48%.",
    "bn nam 67t, hút thuốc 40 bao-năm, ho ra máu 2 tuần, CT ngực: khối 4x5 cm thùy trên phải.",
    "Xin số BS trực: không cần, em đã gọi {{PHONE_NUMBER:0913 222 333}} rồi ạ.",
    "Người nhà BN để lại số {{PHONE_NUMBER:0868.123.999}} nhờ tư vấn chuyển tuyến.",
    "SĐT con gái: {{PHONE_NUMBER:0377 888 123}} - chị {{PATIENT_NAME:Thảo}}.",
    "Hb 78 g/L, MCV 65 fL, ferritin 8 ng/mL, sắt huyết thanh 5 µmol/L.",
    "BN {{PATIENT_NAME:Nguyễn Thị Kim Oanh}}, NS {{DATE_OF_BIRTH:20/10/1972}}, địa chỉ {{STREET_ADDRESS:thôn Hạ, xã Yên Sở}}.",
    "Vào viện lúc 22h ngày 3/9/2025, chẩn đoán nhồi máu não giờ thứ 3, tiêu sợi huyết alteplase 0,9 mg/kg.",
    "Mã bệnh án {{MEDICAL_RECORD_NUMBER:25.114527}} - khoa Hồi sức ngoại.",
    "BN tên {{PATIENT_NAME:Lò Văn Páo}} ở {{STREET_ADDRESS:bản Nà Sản, xã Chiềng Mung}}, nói tiếng Thái.",
    "Thẻ BHYT {{HEALTH_INSURANCE_NUMBER:CK2 14 1412345678}} (hộ cận nghèo).",
    "CCCD của BN: {{CITIZEN_ID:014082001234}}, em che rồi mà quên ảnh thứ 3.",
    "Bé gái {{PATIENT_NAME:Trịnh Ngọc Hân}} sinh ngày {{DATE_OF_BIRTH:02/02/2023}}, 31 tháng tuổi, chậm nói.",
    "Bệnh nhi 8 tháng, nặng 6,5 kg, SpO2 88%, thở rút lõm ngực.",
    "Case: nữ 45t, ĐTĐ typ 2 10 năm, HbA1c 11,2%, loét bàn chân Wagner 3.",
    "Liên lạc email {{EMAIL:tranvanhai.bn@gmail.com}} hoặc Zalo {{PHONE_NUMBER:0909 555 777}}.",
    "Chị {{PATIENT_NAME:Mai}} (vợ BN) cho biết BN uống rượu 500 ml/ngày x 15 năm.",
    "Mời các bác sĩ tham gia hội chẩn lúc 14h00 ngày 15/11/2025 tại phòng giao ban khoa Nội.",
    "PID {{MEDICAL_RECORD_NUMBER:2511004567}} - BN chuyển từ Trung tâm y tế khu vực Ba Vì.",
    "BN ông {{PATIENT_NAME:Đàm Văn Thước}}, 81 tuổi, {{STREET_ADDRESS:xóm Chùa, thôn Đông Lai}}, suy tim EF 25%.",
    "Cấy máu: E. coli sinh ESBL, nhạy Meropenem, Amikacin; kháng Ceftriaxone.",
    "BN khai sinh năm 1990 nhưng CCCD ghi 1989, không quan trọng về lâm sàng.",
    "Địa chỉ tạm trú: {{STREET_ADDRESS:phòng 302, nhà trọ số 15 ngõ 68 Cầu Giấy}}.",
    "Số CMND {{OLD_ID_NUMBER:013456789}}, BHYT hết hạn 31/12/2025.",
    "Tiền sử: mổ lấy thai 2 lần (2015, 2019), thắt ống dẫn trứng.",
    "Gửi các thầy ảnh MRI của bệnh nhân {{PATIENT_NAME:Hồ Thị Lệ}}.",
    "ECG: rung nhĩ đáp ứng thất nhanh 140 ck/p, trục trái; Holter 24h: 12.000 NTT thất.",
    "CMT: {{OLD_ID_NUMBER:241 567 890}} (Đắk Lắk cấp).",
    "Liều Vancomycin 15-20 mg/kg mỗi 8-12 giờ, nồng độ đáy 15-20 mg/L.",
    "DOB: {{DATE_OF_BIRTH:7 Jul 1955}}; MRN: {{MEDICAL_RECORD_NUMBER:HN-0045123}}; tel {{PHONE_NUMBER:+84 24 3576 5432}}.",
    "A 7-year-old boy with nephrotic syndrome, proteinuria 4.2 g/24h, albumin 18 g/L.",
    "Mother's email {{EMAIL:ngoc.anh.le@yahoo.com}}; father {{PATIENT_NAME:Le Van Duc}}.",
    "BN ở {{STREET_ADDRESS:tổ dân phố 7, phường Quang Trung}}, TP Thái Nguyên.",
    "Điều trị tại BV Đa khoa tỉnh Phú Thọ từ 01/10 đến 10/10/2025, không đỡ, xin chuyển tuyến.",
    "Chụp CT sọ ngày 05/10/2025 lúc 2h sáng: xuất huyết nhân bèo phải 30 ml.",
    "Cụ {{PATIENT_NAME:Bùi Thị Nhàn}} 92 tuổi, gãy cổ xương đùi trái sau ngã.",
    "Số thẻ BHYT của BN là {{HEALTH_INSURANCE_NUMBER:GD4 01 0198765432}}, mức hưởng 80%.",
    "Điện thoại bàn khoa: {{PHONE_NUMBER:0243 869 3731}}, máy lẻ 205.",
    "Phác đồ RHZE 2 tháng, sau đó RH 4 tháng; cân nặng 48 kg.",
    "Con trai BN (anh {{PATIENT_NAME:Tuấn}}) ký cam kết phẫu thuật.",
    "Ngày sinh bé: {{DATE_OF_BIRTH:15.06.2024}}, sinh non 34 tuần, cân nặng 2100 g.",
    "Nhờ các anh đọc giúp X-quang, BN 55 tuổi, nghề thợ mỏ 20 năm ở Quảng Ninh.",
    "Mã số BHXH của BN: {{HEALTH_INSURANCE_NUMBER:2219876543}}",
    "Em xin phép đăng ca bệnh, đã xin phép người nhà và che thông tin cá nhân.",
    "nhà bn ở {{STREET_ADDRESS:ấp Mỹ Thạnh, xã Mỹ An}}, cách BV 60 km.",
    "BN nữ, 28 tuổi, PARA 0000, thai 8 tuần, beta-hCG 12.500 mIU/mL, siêu âm không thấy túi thai.",
    "Anh {{PATIENT_NAME:Quàng Văn Sinh}}, 40 tuổi, ngộ độc nấm, ALT 2.300 U/L.",
    "CCCD {{CITIZEN_ID:034 195 012 678}} / BHYT {{HEALTH_INSURANCE_NUMBER:DN4 34 3412345678}}.",
    "Giờ thứ 6 sau nhập viện BN tụt HA 70/40, dùng noradrenalin 0,3 µg/kg/phút.",
    "Người bệnh {{PATIENT_NAME:N.T.H}}, 60 tuổi, ung thư vú T2N1M0.",
    "Hotline tư vấn chống độc 1900 1234 hoạt động 24/7.",
    "Họ và tên người bệnh: {{PATIENT_NAME:HOÀNG VĂN NAM}}.",
    "BN {{PATIENT_NAME:Kiều Thị Thanh}} - số nhà {{STREET_ADDRESS:12B, hẻm 34 Lý Tự Trọng}}, Cần Thơ.",
    "Bé 3 tuổi nuốt pin cúc áo, XQ thấy dị vật thực quản đoạn 1/3 trên.",
    "Tổng phân tích nước tiểu: protein 3+, hồng cầu 250/µL, bạch cầu 500/µL.",
    "Mã tiếp nhận: {{MEDICAL_RECORD_NUMBER:TN2510-0042}}, khám lúc 9h15.",
    "So dien thoai nguoi nha {{PHONE_NUMBER:0982 111 444}}, benh nhan {{PATIENT_NAME:Nguyen Thi Lan}}",
    "Dia chi: {{STREET_ADDRESS:so 45 duong Tran Phu, phuong 4}}, Vung Tau",
    "ngay sinh {{DATE_OF_BIRTH:03/03/1966}}, vao vien 03/03/2025 vi dau bung",
    "BN dc chan doan viem tuy cap, lipase 1200 U/L, CT Balthazar E.",
    "Sinh con lần 2 ngày 12/8/2025 tại TTYT huyện, băng huyết sau sinh.",
    "Số hồ sơ bệnh án: {{MEDICAL_RECORD_NUMBER:K2-2025/1187}}",
    "Anh chị cho em hỏi liều Enoxaparin cho BN suy thận, ClCr 25 ml/phút, nặng 60 kg.",
    "Ông {{PATIENT_NAME:Hứa Văn Lợi}} 70 tuổi người Hoa, sống ở {{STREET_ADDRESS:số 9 Hải Thượng Lãn Ông}}, quận 5.",
    "Email bệnh viện tuyến dưới gửi: {{EMAIL:khthbvdkhuyen@gmail.com}}.",
    "Bệnh nhân có số điện thoại {{PHONE_NUMBER:03 9876 5432}}.",
    "Chỉ số Glasgow 8 điểm (E2V2M4), đồng tử 2 bên 3 mm.",
    "Hội chứng Guillain-Barré, dịch não tủy: protein 1,2 g/L, tế bào 3/mm3.",
    "Năm sinh 1985, quê Thái Bình, làm công nhân KCN Bắc Thăng Long.",
    "BN sinh ngày {{DATE_OF_BIRTH:30 tháng 4 năm 1975}}, ngày giải phóng.",
    "Bé {{PATIENT_NAME:Su}} (tên ở nhà), 4 tuổi, viêm phổi thùy.",
    "Số vào viện {{MEDICAL_RECORD_NUMBER:2506789}}, giường 15, phòng 4 khoa Nhi.",
    "Chụp mạch vành: hẹp 90% LAD I, 70% RCA II; đặt 2 stent.",
    "Trao đổi với BS gia đình qua số máy {{PHONE_NUMBER:(0236) 3 650 676}}.",
    "Nồng độ paracetamol 4h sau uống: 250 mg/L, trên đường điều trị của nomogram.",
    "Chồng BN là ông {{PATIENT_NAME:Lương Văn Cừ}}, {{PHONE_NUMBER:0912 00 11 22}}.",
    "mã BN: {{MEDICAL_RECORD_NUMBER:240012345}}",
    "BN có CMND số {{OLD_ID_NUMBER:186543210}} và thẻ BHYT {{HEALTH_INSURANCE_NUMBER:HN2 40 4012349876}}.",
    "Xét nghiệm HBsAg (+), HBV DNA 2,3 x 10^6 IU/mL, ALT 85 U/L.",
    "Siêu âm tim: EF 35%, hở van hai lá 3/4, áp lực ĐMP 55 mmHg.",
    "Patient {{PATIENT_NAME:Tran Quoc Viet}}, DOB {{DATE_OF_BIRTH:1949-11-02}}, lives at {{STREET_ADDRESS:78 Ly Thuong Kiet}}.",
    "Bà ngoại {{PATIENT_NAME:Lê Thị Sáu}} chăm sóc bé từ nhỏ.",
    "Số ĐT: {{PHONE_NUMBER:0965-432-100}}",
    "BN đã tiêm 3 mũi vắc xin dại vào các ngày 0, 3, 7.",
    "Thường trú tại {{STREET_ADDRESS:kiệt 41 Ông Ích Khiêm}}, Đà Nẵng.",
    "Bé {{PATIENT_NAME:Nguyễn Hoàng Bảo An}}, mã BN {{MEDICAL_RECORD_NUMBER:NHI-25-00871}}.",
    "Chẩn đoán: Lupus ban đỏ hệ thống (M32.1), viêm thận lupus class IV.",
    "Lịch tái khám: 3 tháng/lần, xét nghiệm creatinin, điện giải đồ.",
    "HA 90/60, M 120 l/p, NĐ 39,5 độ, NT 28 l/p.",
    "Hồ sơ chuyển viện số {{MEDICAL_RECORD_NUMBER:125/CV-BV}} ngày 02/10/2025.",
]

NFD_HAND = [
    "bệnh nhân {{PATIENT_NAME:Trần Thị Bình}} sinh ngày {{DATE_OF_BIRTH:12/03/1958}}, địa chỉ {{STREET_ADDRESS:số 5 ngõ 12 phố Huế}}.",
    "SĐT người nhà {{PHONE_NUMBER:0912 345 678}}, thẻ BHYT {{HEALTH_INSURANCE_NUMBER:DN4010123456789}}.",
]


# --- Rendering ----------------------------------------------------------------------------------


def strip(text: str) -> str:
    """Vietnamese without diacritics, one character for one (as typed on a phone without IME)."""
    text = text.replace("đ", "d").replace("Đ", "D")
    return "".join(
        "".join(c for c in unicodedata.normalize("NFD", char) if not unicodedata.combining(c))
        for char in text
    )


def render(pieces: list[Piece], transform: Callable[[str], str]) -> tuple[str, list[dict[str, object]]]:
    text = ""
    spans: list[dict[str, object]] = []
    for piece in pieces:
        if isinstance(piece, tuple):
            kind, value = piece
            value = transform(value)
            spans.append({"start": len(text), "end": len(text) + len(value), "kind": kind, "text": value})
            text += value
        else:
            text += transform(piece)
    return text, spans


_MARK = re.compile(r"\{\{([A-Z_]+):(.+?)\}\}")


def parse_hand(line: str) -> list[Piece]:
    pieces: list[Piece] = []
    position = 0
    for match in _MARK.finditer(line):
        pieces.append(line[position : match.start()])
        pieces.append((match.group(1), match.group(2)))
        position = match.end()
    pieces.append(line[position:])
    return pieces


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


def same(text: str) -> str:
    return text


def generate() -> list[dict[str, object]]:
    r = random.Random(SEED)
    records: list[dict[str, object]] = []
    for index in range(GENERATED):
        clauses: list[list[Piece]] = []
        if r.random() < 0.65:
            for group in r.sample(POSITIVE_GROUPS, r.choice([1, 1, 2, 2, 3])):
                clauses.append(r.choice(group)(r))
        for _ in range(r.choice([0, 1, 1, 2]) if clauses else r.choice([1, 2, 3])):
            clauses.append(r.choice(NEGATIVE_CLAUSES)(r))
        r.shuffle(clauses)
        pieces: list[Piece] = []
        for clause in clauses:
            if pieces:
                pieces.append(" ")
            pieces.extend(clause)
        roll = r.random()
        transform = strip if roll < 0.2 else nfd if roll < 0.25 else same
        text, spans = render(pieces, transform)
        records.append({"id": f"gen-{index:04d}", "source": "generated", "text": text, "spans": spans})
    for index, line in enumerate(HAND):
        text, spans = render(parse_hand(line), same)
        records.append({"id": f"hand-{index:03d}", "source": "hand", "text": text, "spans": spans})
    for index, line in enumerate(HOLDOUT):
        text, spans = render(parse_hand(line), same)
        records.append({"id": f"holdout-{index:03d}", "source": "holdout", "text": text, "spans": spans})
    for index, line in enumerate(NFD_HAND):
        text, spans = render(parse_hand(line), nfd)
        records.append({"id": f"hand-nfd-{index:03d}", "source": "hand", "text": text, "spans": spans})
    return records


def dumps(records: list[dict[str, object]]) -> str:
    return "".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records)


if __name__ == "__main__":
    OUTPUT.write_text(dumps(generate()), encoding="utf-8")
    print(f"Wrote {OUTPUT}")
