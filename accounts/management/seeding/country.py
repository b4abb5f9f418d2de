"""Country-scale synthetic data: every province's facilities and N doctors, for benchmarks.

The data set is built by a pipeline of steps (:data:`COUNTRY_PIPELINE`: :data:`PIPELINE`, i.e.
the people and their network, then the mentorships). Each step draws from its own
random generator, seeded from the run's seed and the step's name, so the same parameters give
the same rows and adding a step later does not change what earlier steps produce. A step that
a later feature needs (connections, mentorships...) is a class with ``name``, ``writes``,
``run(ctx)`` and ``delete(ctx)``, appended to :data:`PIPELINE`; it reads what earlier steps
left on the :class:`SeedContext` (``ctx.facilities``, ``ctx.doctors``).

Rows are written with PostgreSQL COPY and ids are reserved from the tables' own sequences, so
200,000 doctors load in a few minutes on a small machine. Synthetic rows are marked: facility
national codes start with ``SYN-`` and emails end with ``@synthetic.tuyen.test``; nothing else
is touched, and ``--reset`` deletes exactly those rows.
"""

from __future__ import annotations

import random
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import accumulate
from typing import Any, ClassVar, Protocol

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Permission
from django.core.files.base import ContentFile
from django.db import IntegrityError, connection, models, transaction
from django.db.models import Model
from django.db.models.deletion import ProtectedError, RestrictedError
from django.utils import timezone
from psycopg import sql

from accounts.management.seeding import people
from accounts.management.seeding.demo import DEMO_PASSWORD
from accounts.management.seeding.mentorships import mentorship_steps
from accounts.management.seeding.network import network_steps
from accounts.management.seeding.pdf import licence_scan_pdf
from accounts.management.seeding.referrals import ReferralsStep
from accounts.models import LicenceKind, LicenceSubmission, User, VerificationStatus
from common.storage import private_storage
from facilities.models import Commune, Facility, Province, Specialty, Tier
from facilities.services import load_reference_data, reference_data_loaded

SYNTHETIC_DOMAIN = "synthetic.tuyen.test"
FACILITY_CODE_PREFIX = "SYN-"
SCAN_NAME = "licences/synthetic/giay-phep-hanh-nghe.pdf"

# Share of doctors working at each tier.
DOCTORS_BY_TIER = {Tier.CENTRAL: 0.08, Tier.PROVINCIAL: 0.30, Tier.DISTRICT: 0.32, Tier.COMMUNE: 0.30}
STATUS_MIX = {
    VerificationStatus.VERIFIED: 0.90,
    VerificationStatus.PENDING: 0.04,
    VerificationStatus.UNVERIFIED: 0.03,
    VerificationStatus.REJECTED: 0.01,
    VerificationStatus.EXPIRED: 0.015,
    VerificationStatus.REVOKED: 0.005,
}
REGIONAL_HEALTH_CENTRES = 700  # nationwide, shared among provinces by their number of communes
PROVINCIAL_FACILITIES = (15, 25)  # per province; the two largest cities have more
LARGE_CITIES = {1: (30, 38), 79: (30, 38)}  # Hà Nội, TP Hồ Chí Minh

# Hospitals of the central tier (Ministry of Health, end-line), by province code.
CENTRAL_HOSPITALS = (
    (1, "Bệnh viện Bạch Mai"),
    (1, "Bệnh viện Hữu nghị Việt Đức"),
    (1, "Bệnh viện K"),
    (1, "Bệnh viện Nhi Trung ương"),
    (1, "Bệnh viện Phụ sản Trung ương"),
    (1, "Bệnh viện Mắt Trung ương"),
    (1, "Bệnh viện Tai Mũi Họng Trung ương"),
    (1, "Bệnh viện Răng Hàm Mặt Trung ương Hà Nội"),
    (1, "Bệnh viện Nội tiết Trung ương"),
    (1, "Bệnh viện Bệnh Nhiệt đới Trung ương"),
    (1, "Bệnh viện Lão khoa Trung ương"),
    (1, "Bệnh viện Phổi Trung ương"),
    (1, "Bệnh viện Da liễu Trung ương"),
    (1, "Bệnh viện Y học cổ truyền Trung ương"),
    (1, "Bệnh viện Châm cứu Trung ương"),
    (1, "Bệnh viện Hữu Nghị"),
    (1, "Bệnh viện E"),
    (1, "Bệnh viện Tâm thần Trung ương 1"),
    (1, "Bệnh viện Đại học Y Hà Nội"),
    (1, "Bệnh viện Trung ương Quân đội 108"),
    (1, "Viện Huyết học - Truyền máu Trung ương"),
    (79, "Bệnh viện Chợ Rẫy"),
    (79, "Bệnh viện Thống Nhất"),
    (79, "Bệnh viện Răng Hàm Mặt Trung ương Thành phố Hồ Chí Minh"),
    (79, "Bệnh viện Đại học Y Dược Thành phố Hồ Chí Minh"),
    (79, "Bệnh viện Quân y 175"),
    (79, "Bệnh viện Từ Dũ"),
    (79, "Bệnh viện Nhi Đồng 1"),
    (79, "Bệnh viện Nhi Đồng 2"),
    (79, "Bệnh viện Ung bướu Thành phố Hồ Chí Minh"),
    (79, "Bệnh viện Nhân dân 115"),
    (46, "Bệnh viện Trung ương Huế"),
    (46, "Bệnh viện Trường Đại học Y - Dược Huế"),
    (46, "Bệnh viện Trung ương Huế - Cơ sở 2"),
    (48, "Bệnh viện C Đà Nẵng"),
    (48, "Bệnh viện Đa khoa Trung ương Quảng Nam"),
    (92, "Bệnh viện Đa khoa Trung ương Cần Thơ"),
    (19, "Bệnh viện Trung ương Thái Nguyên"),
    (38, "Bệnh viện Phục hồi chức năng Trung ương"),
    (75, "Bệnh viện Tâm thần Trung ương 2"),
    (52, "Bệnh viện Phong - Da liễu Trung ương Quy Hòa"),
)
# Provincial hospitals, the general one first; "{}" is the province ("tỉnh Nghệ An", "Hà Nội").
PROVINCIAL_HOSPITALS = (
    "Bệnh viện Đa khoa {}",
    "Bệnh viện Sản - Nhi {}",
    "Bệnh viện Y học cổ truyền {}",
    "Bệnh viện Phục hồi chức năng {}",
    "Bệnh viện Lao và Bệnh phổi {}",
    "Bệnh viện Tâm thần {}",
    "Bệnh viện Mắt {}",
    "Bệnh viện Da liễu {}",
    "Bệnh viện Nội tiết {}",
    "Bệnh viện Ung bướu {}",
    "Bệnh viện Truyền nhiễm {}",
    "Bệnh viện Tim mạch {}",
)
PRIVATE_HOSPITAL_NAMES = (
    "An Phúc", "Hòa Bình", "Thiện Tâm", "Phúc An", "Bình An", "Tâm Đức", "Hồng Phúc", "Minh An",
    "Thái An", "Hưng Thịnh", "Việt Mỹ", "Hạnh Phúc", "Thành Tâm", "Đức Tâm", "An Khang", "Phương Nam",
)  # fmt: skip
PUBLIC, PRIVATE = Facility.Ownership.PUBLIC.value, Facility.Ownership.PRIVATE.value
PRIVATE_SHARE = 0.25  # of the provincial hospitals beyond the public specialist ones
REJECTION_REASONS = (
    "Ảnh chụp giấy phép bị mờ, không đọc được số giấy phép.",
    "Họ tên trên giấy phép không khớp với hồ sơ.",
    "Thiếu trang ghi phạm vi hoạt động chuyên môn.",
)
REVOCATION_REASON = "Sở Y tế thông báo thu hồi giấy phép hành nghề."


@dataclass(frozen=True)
class CountryParameters:
    doctors: int
    seed: int
    as_of: date


@dataclass(frozen=True)
class SeededFacility:
    id: int
    tier: Tier
    province_code: int
    weight: float  # relative number of doctors working there


@dataclass(frozen=True)
class SeededDoctor:
    id: int
    serial: int
    tier: Tier
    facility_id: int
    province_code: int
    status: str
    joined_at: datetime
    licence_kind: str
    issued_on: date
    expires_on: date | None


@dataclass
class SeedContext:
    """What a run knows: its parameters, and what earlier steps created."""

    parameters: CountryParameters
    log: Callable[[str], None] = print
    facilities: dict[Tier, list[SeededFacility]] = field(default_factory=dict)
    doctors: list[SeededDoctor] = field(default_factory=list)
    verifiers: dict[int, int] = field(default_factory=dict)  # province code → verifier id

    def rng(self, step: str) -> random.Random:
        return random.Random(f"tuyen-country:{self.parameters.seed}:{step}")

    def midnight(self, day: date) -> datetime:
        return timezone.make_aware(datetime.combine(day, datetime.min.time()))


class Step(Protocol):
    name: str
    writes: ClassVar[tuple[type[Model], ...]]  # whose tables it fills (analysed after the run)

    def run(self, ctx: SeedContext) -> None: ...

    def delete(self, ctx: SeedContext) -> None: ...


# --- Bulk writing --------------------------------------------------------------------------------


def reserve_ids(model: type[models.Model], count: int) -> list[int]:
    """``count`` fresh primary keys from the table's own sequence (safe beside other writers)."""
    if count == 0:
        return []
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [table, model._meta.pk.column, count],
        )
        return [row[0] for row in cursor.fetchall()]


def copy_rows(model: type[models.Model], rows: Iterable[dict[str, Any]]) -> int:
    """COPY ``rows`` (dicts keyed by field attname) into ``model``'s table; return the count.

    Fields a row leaves out get their model default, so a field added later with a default
    does not break the seeder.
    """
    iterator = iter(rows)
    first = next(iterator, None)
    if first is None:
        return 0
    fields = [f for f in model._meta.concrete_fields if f.attname in first or f.has_default()]
    missing = [f for f in fields if f.attname not in first]
    static = {
        f.attname: f.get_db_prep_save(f.get_default(), connection) for f in missing if not callable(f.default)
    }
    dynamic = [f for f in missing if callable(f.default)]
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(model._meta.db_table), sql.SQL(", ").join(sql.Identifier(f.column) for f in fields)
    )
    count = 0
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for row in _chain(first, iterator):
            for f in dynamic:
                row[f.attname] = f.get_db_prep_save(f.get_default(), connection)
            copy.write_row([row[f.attname] if f.attname in row else static[f.attname] for f in fields])
            count += 1
    return count


def _chain(first: dict[str, Any], rest: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    yield first
    yield from rest


def delete_rows(queryset: models.QuerySet[Any]) -> None:
    """Delete ``queryset``'s rows with one statement when no other row refers to them, else
    through the ORM in chunks: much slower, but it applies every CASCADE and PROTECT rule."""
    model = queryset.model
    subquery, params = queryset.order_by().values("pk").query.sql_with_params()
    table, pk = (
        connection.ops.quote_name(model._meta.db_table),
        connection.ops.quote_name(model._meta.pk.column),
    )
    with connection.cursor() as cursor:
        try:
            with transaction.atomic():
                # Django's foreign keys are deferred: check them now, so a reference fails here.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute(f"DELETE FROM {table} WHERE {pk} IN ({subquery})", params)  # noqa: S608
            return
        except IntegrityError:
            pass
        finally:
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    ids = list(queryset.order_by().values_list("pk", flat=True))
    for start in range(0, len(ids), 5000):
        model._default_manager.filter(pk__in=ids[start : start + 5000]).delete()


def synthetic_users() -> models.QuerySet[User]:
    return User.objects.filter(email__endswith=f"@{SYNTHETIC_DOMAIN}")


def synthetic_facilities() -> models.QuerySet[Facility]:
    return Facility.objects.filter(national_code__startswith=FACILITY_CODE_PREFIX)


# --- Steps ---------------------------------------------------------------------------------------


def _province_label(province: Province) -> str:
    """How a provincial hospital's name refers to its province: "tỉnh Nghệ An", "Hà Nội"."""
    short = people.short_province_name(province.name)
    return short if province.name != short else f"tỉnh {short}"


def _commune_short_name(commune: Commune) -> str:
    prefix = commune.division_type + " "
    return commune.name[len(prefix) :] if commune.name.lower().startswith(prefix) else commune.name


class FacilitiesStep:
    """Facilities of the four tiers in every province: ~40 central hospitals, 15-25 provincial
    ones per province, ~700 regional health centres and one health station per commune."""

    name = "facilities"
    writes: ClassVar[tuple[type[Model], ...]] = (Facility,)

    def run(self, ctx: SeedContext) -> None:
        rng = ctx.rng(self.name)
        provinces = list(Province.objects.order_by("code"))
        communes: dict[int, list[Commune]] = {province.code: [] for province in provinces}
        for unit in Commune.objects.order_by("code"):
            communes[unit.province_id].append(unit)
        total_communes = sum(len(units) for units in communes.values())
        planned: list[tuple[Tier, int, str, int | None, str, float]] = []
        for province_code, name in CENTRAL_HOSPITALS:
            if province_code in communes:
                planned.append((Tier.CENTRAL, province_code, name, None, PUBLIC, 1.0))
        for province in provinces:
            units = communes[province.code]
            label = _province_label(province)
            low, high = LARGE_CITIES.get(province.code, PROVINCIAL_FACILITIES)
            provincial = rng.randint(low, high)
            anchors = rng.sample(units, min(len(units), provincial))  # sites of the regional hospitals
            private_names = rng.sample(PRIVATE_HOSPITAL_NAMES, len(PRIVATE_HOSPITAL_NAMES))
            for index in range(provincial):
                if index < len(PROVINCIAL_HOSPITALS):
                    name, site_code, ownership = PROVINCIAL_HOSPITALS[index].format(label), None, PUBLIC
                elif rng.random() < PRIVATE_SHARE and private_names:
                    short = people.short_province_name(province.name)
                    name, site_code, ownership = (
                        f"Bệnh viện Đa khoa {private_names.pop()} {short}",
                        None,
                        PRIVATE,
                    )
                else:
                    site = anchors[index % len(anchors)]
                    name = f"Bệnh viện Đa khoa khu vực {_commune_short_name(site)}"
                    site_code, ownership = site.code, PUBLIC
                weight = 4.0 if index == 0 else 1.0
                planned.append((Tier.PROVINCIAL, province.code, name, site_code, ownership, weight))
            centres = max(3, round(REGIONAL_HEALTH_CENTRES * len(units) / total_communes))
            for site in rng.sample(units, min(len(units), centres)):
                name = f"Trung tâm Y tế khu vực {_commune_short_name(site)}"
                planned.append((Tier.DISTRICT, province.code, name, site.code, PUBLIC, 1.0))
            for unit in units:
                name = f"Trạm Y tế {unit.division_type} {_commune_short_name(unit)}"
                planned.append((Tier.COMMUNE, province.code, name, unit.code, PUBLIC, 1.0))

        ids = reserve_ids(Facility, len(planned))
        serials: Counter[Tier] = Counter()
        letters = {Tier.CENTRAL: "C", Tier.PROVINCIAL: "P", Tier.DISTRICT: "D", Tier.COMMUNE: "X"}
        rows = []
        for pk, (tier, province_code, name, commune_code, ownership, weight) in zip(
            ids, planned, strict=True
        ):
            serials[tier] += 1
            rows.append(
                {
                    "id": pk,
                    "name": name,
                    "tier": tier.value,
                    "province_id": province_code,
                    "commune_id": commune_code,
                    "ownership": ownership,
                    "is_active": True,
                    "national_code": f"{FACILITY_CODE_PREFIX}{letters[tier]}{serials[tier]:05d}",
                }
            )
            ctx.facilities.setdefault(tier, []).append(SeededFacility(pk, tier, province_code, weight))
        copy_rows(Facility, rows)
        ctx.log(f"  facilities: {', '.join(f'{serials[t]} {t.value}' for t in Tier)}")

    def delete(self, ctx: SeedContext) -> None:
        delete_rows(synthetic_facilities())


class PeopleStep:
    """One verifier per province and N doctors spread over the tiers, each with a verified
    primary email address (so any of them can sign in with the demo password)."""

    name = "people"
    writes: ClassVar[tuple[type[Model], ...]] = (User, EmailAddress, User.user_permissions.through)

    def run(self, ctx: SeedContext) -> None:
        rng = ctx.rng(self.name)
        parameters = ctx.parameters
        # One hash for everyone, salted from the seed so the data set is reproducible.
        password = make_password(DEMO_PASSWORD, salt=f"tuyensynthetic{parameters.seed}")
        today = ctx.midnight(parameters.as_of)
        provinces = {p.code: p for p in Province.objects.order_by("code")}
        statuses = people.WeightedChoice({str(status): share for status, share in STATUS_MIX.items()})
        tiers = [t for t in Tier if ctx.facilities.get(t)]
        counts = {t: int(parameters.doctors * DOCTORS_BY_TIER[t]) for t in tiers}
        counts[tiers[-1]] += parameters.doctors - sum(counts.values())
        choosers = {
            t: (ctx.facilities[t], list(accumulate(f.weight for f in ctx.facilities[t]))) for t in tiers
        }

        verifier_ids = reserve_ids(User, len(provinces))
        doctor_ids = reserve_ids(User, parameters.doctors)
        rows: list[dict[str, Any]] = []
        for pk, province in zip(verifier_ids, provinces.values(), strict=True):
            person = people.draw_person(rng)
            ctx.verifiers[province.code] = pk
            rows.append(
                self._user(
                    pk,
                    f"thamdinh.{province.codename.replace('_', '-')}@{SYNTHETIC_DOMAIN}",
                    person.full_name,
                    password,
                    rng,
                    joined_at=today - timedelta(days=4 * 365),
                    position=f"Chuyên viên thẩm định, Sở Y tế {people.short_province_name(province.name)}",
                )
            )
        serial = 0
        ids = iter(doctor_ids)
        for tier in tiers:
            facilities, weights = choosers[tier]
            for _ in range(counts[tier]):
                serial += 1
                pk = next(ids)
                facility = rng.choices(facilities, cum_weights=weights)[0]
                person = people.draw_person(rng)
                status = statuses.draw(rng)
                joined_at = today - timedelta(days=rng.randint(1, 3 * 365), seconds=rng.randint(0, 86399))
                kind, issued_on, expires_on = self._licence(rng, status, parameters.as_of)
                doctor = SeededDoctor(
                    id=pk,
                    serial=serial,
                    tier=tier,
                    facility_id=facility.id,
                    province_code=facility.province_code,
                    status=status,
                    joined_at=joined_at,
                    licence_kind=kind,
                    issued_on=issued_on,
                    expires_on=expires_on,
                )
                ctx.doctors.append(doctor)
                email = f"{people.ascii_fold(person.given_name)}.{people.ascii_fold(person.family_name)}"
                rows.append(
                    self._user(
                        pk,
                        f"{email}.{serial:06d}@{SYNTHETIC_DOMAIN}",
                        person.full_name,
                        password,
                        rng,
                        joined_at=joined_at,
                        title=people.draw_title(rng, tier),
                        position=people.draw_position(rng, tier),
                        facility_id=facility.id,
                        verification_status=status,
                        licence_expires_on=expires_on if status == VerificationStatus.VERIFIED else None,
                    )
                )
        copy_rows(User, rows)
        copy_rows(
            EmailAddress,
            (
                {"user_id": row["id"], "email": row["email"], "verified": True, "primary": True}
                for row in rows
            ),
        )
        permission = Permission.objects.get(content_type__app_label="accounts", codename="verify_doctor")
        User.user_permissions.through.objects.bulk_create(
            User.user_permissions.through(user_id=pk, permission_id=permission.pk) for pk in verifier_ids
        )
        by_status = Counter(doctor.status for doctor in ctx.doctors)
        ctx.log(
            f"  people: {len(verifier_ids)} verifiers, {len(ctx.doctors)} doctors "
            f"({', '.join(f'{n} {status}' for status, n in sorted(by_status.items()))})"
        )

    @staticmethod
    def _user(
        pk: int,
        email: str,
        full_name: str,
        password: str,
        rng: random.Random,
        joined_at: datetime,
        **extra: Any,
    ) -> dict[str, Any]:
        return {
            "id": pk,
            "password": password,
            "last_login": None,
            "is_superuser": False,
            "public_id": uuid.UUID(int=rng.getrandbits(128), version=4),
            "email": email,
            "full_name": full_name,
            "title": "",
            "position": "",
            "phone": f"09{rng.randint(0, 9)}{rng.randint(0, 9_999_999):07d}",
            "bio": "",
            "avatar": "",
            "facility_id": None,
            "verification_status": VerificationStatus.UNVERIFIED.value,
            "licence_expires_on": None,
            "is_active": True,
            "is_staff": False,
            "date_joined": joined_at,
            **extra,
        }

    @staticmethod
    def _licence(rng: random.Random, status: str, as_of: date) -> tuple[str, date, date | None]:
        """Kind, issue and expiry dates of the licence a doctor submitted, fitting the status.

        Certificates issued before 2024 never expire; licences last five years.
        """
        if status == VerificationStatus.EXPIRED:
            issued_on = people.add_years(as_of, -people.LICENCE_YEARS) - timedelta(days=rng.randint(1, 300))
            return (
                LicenceKind.PRACTICE_LICENCE.value,
                issued_on,
                people.add_years(issued_on, people.LICENCE_YEARS),
            )
        if rng.random() < 0.15:
            return (
                LicenceKind.PRACTICE_CERTIFICATE.value,
                as_of - timedelta(days=rng.randint(3 * 365, 25 * 365)),
                None,
            )
        issued_on = as_of - timedelta(days=rng.randint(30, 4 * 365))
        return LicenceKind.PRACTICE_LICENCE, issued_on, people.add_years(issued_on, people.LICENCE_YEARS)

    def delete(self, ctx: SeedContext) -> None:
        users = synthetic_users()
        delete_rows(EmailAddress.objects.filter(user__in=users))
        delete_rows(User.user_permissions.through.objects.filter(user__in=users))
        delete_rows(User.groups.through.objects.filter(user__in=users))
        delete_rows(users)


class SpecialtiesStep:
    """One specialty per doctor, a second for about a third, weighted by tier."""

    name = "specialties"
    writes: ClassVar[tuple[type[Model], ...]] = (User.specialties.through,)

    def run(self, ctx: SeedContext) -> None:
        rng = ctx.rng(self.name)
        ids = dict(Specialty.objects.values_list("code", "pk"))
        picker = people.SpecialtyPicker(list(ids))
        count = copy_rows(
            User.specialties.through,
            (
                {"user_id": doctor.id, "specialty_id": ids[code]}
                for doctor in ctx.doctors
                for code in picker.draw(rng, doctor.tier)
            ),
        )
        ctx.log(f"  specialties: {count} doctor-specialty links")

    def delete(self, ctx: SeedContext) -> None:
        delete_rows(User.specialties.through.objects.filter(user__in=synthetic_users()))


class LicencesStep:
    """The licence submission behind each doctor's status, reviewed by the province's
    verifier; every submission shows the same generated scan."""

    name = "licences"
    writes: ClassVar[tuple[type[Model], ...]] = (LicenceSubmission,)

    def run(self, ctx: SeedContext) -> None:
        rng = ctx.rng(self.name)
        if not private_storage.exists(SCAN_NAME):
            scan = licence_scan_pdf(["Giấy phép hành nghề", "Dữ liệu tổng hợp cho kiểm thử hiệu năng"])
            private_storage.save(SCAN_NAME, ContentFile(scan))
        provinces = {p.code: p for p in Province.objects.order_by("code")}
        as_of = ctx.midnight(ctx.parameters.as_of)

        def rows() -> Iterator[dict[str, Any]]:
            for doctor in ctx.doctors:
                if doctor.status == VerificationStatus.UNVERIFIED:
                    continue
                province = provinces[doctor.province_code]
                submitted_at = doctor.joined_at + timedelta(hours=rng.randint(1, 240))
                if doctor.status == VerificationStatus.PENDING:
                    submitted_at = max(doctor.joined_at, as_of - timedelta(hours=rng.randint(1, 24 * 20)))
                reviewed = doctor.status != VerificationStatus.PENDING
                reason = ""
                if doctor.status == VerificationStatus.REJECTED:
                    reason = rng.choice(REJECTION_REASONS)
                elif doctor.status == VerificationStatus.REVOKED:
                    reason = REVOCATION_REASON
                yield {
                    "doctor_id": doctor.id,
                    "kind": doctor.licence_kind,
                    "licence_number": people.licence_number(doctor.serial, doctor.tier, province.codename),
                    "issuing_authority": people.issuing_authority(doctor.tier, province.name),
                    "issued_on": doctor.issued_on,
                    "expires_on": doctor.expires_on,
                    "scan": SCAN_NAME,
                    "scan_content_type": "application/pdf",
                    "status": doctor.status,
                    "submitted_at": min(submitted_at, as_of),
                    # Lapsed licences are expired by the daily job, not by a person.
                    "reviewed_by_id": None
                    if doctor.status in (VerificationStatus.PENDING, VerificationStatus.EXPIRED)
                    else ctx.verifiers[doctor.province_code],
                    "reviewed_at": min(submitted_at, as_of) + timedelta(hours=rng.randint(1, 72))
                    if reviewed
                    else None,
                    "decision_reason": reason,
                }

        count = copy_rows(LicenceSubmission, rows())
        ctx.log(f"  licences: {count} submissions")

    def delete(self, ctx: SeedContext) -> None:
        delete_rows(LicenceSubmission.objects.filter(doctor__in=synthetic_users()))


# Steps run in this order and are deleted in the reverse one.
PIPELINE: list[Step] = [FacilitiesStep(), PeopleStep(), SpecialtiesStep(), LicencesStep(), *network_steps()]
# The whole data set, what `seed_country` builds: the mentorships after the network, because
# starting one connects its pair (the network steps alone, `seed_network`, rebuild PIPELINE's
# network); the referrals last, since they name cases and mentors.
COUNTRY_PIPELINE: list[Step] = [*PIPELINE, *mentorship_steps(), ReferralsStep()]


# --- Running -------------------------------------------------------------------------------------


class CountryDataError(Exception):
    """The country data set cannot be built as asked; nothing was changed."""


@dataclass
class CountryReport:
    doctors: int
    facilities: int
    seconds_by_step: dict[str, float]
    fingerprint: str


def country_data_count() -> tuple[int, int]:
    """How many synthetic facilities and users the database holds."""
    return synthetic_facilities().count(), synthetic_users().count()


def delete_country_data(ctx: SeedContext | None = None, pipeline: Sequence[Step] = COUNTRY_PIPELINE) -> None:
    ctx = ctx or SeedContext(CountryParameters(0, 0, timezone.localdate()))
    with transaction.atomic():
        for step in reversed(pipeline):
            started = time.perf_counter()
            step.delete(ctx)
            ctx.log(f"  deleted {step.name} ({time.perf_counter() - started:.1f} s)")


def seed_country(
    parameters: CountryParameters,
    *,
    reset: bool = False,
    log: Callable[[str], None] = print,
    pipeline: Sequence[Step] = COUNTRY_PIPELINE,
) -> CountryReport:
    """Build the synthetic country data set, all or nothing.

    Refuses if synthetic rows exist, unless ``reset`` asks to delete them first.
    """
    if parameters.doctors < 0:
        raise ValueError("The number of doctors cannot be negative.")
    if not reference_data_loaded():
        load_reference_data()
    ctx = SeedContext(parameters, log=log)
    timings: dict[str, float] = {}
    with transaction.atomic():
        facilities, users = country_data_count()
        if facilities or users:
            if not reset:
                raise CountryDataError(
                    f"Synthetic country data already exists ({facilities} facilities, {users} users). "
                    "Run again with --reset to replace it."
                )
            started = time.perf_counter()
            try:
                delete_country_data(ctx, pipeline)
            except (ProtectedError, RestrictedError) as error:
                labels = sorted({obj._meta.label for obj in error.args[1]})
                raise CountryDataError(
                    f"Cannot delete the synthetic data: protected rows of {', '.join(labels)} refer to it."
                ) from error
            timings["reset"] = time.perf_counter() - started
        for step in pipeline:
            started = time.perf_counter()
            step.run(ctx)
            timings[step.name] = time.perf_counter() - started
        started = time.perf_counter()
        with connection.cursor() as cursor:
            for table in sorted({model._meta.db_table for step in pipeline for model in step.writes}):
                cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")
        timings["analyze"] = time.perf_counter() - started
    return CountryReport(
        doctors=len(ctx.doctors),
        facilities=sum(len(f) for f in ctx.facilities.values()),
        seconds_by_step=timings,
        fingerprint=country_fingerprint(),
    )


def country_fingerprint() -> str:
    """A digest of every synthetic row's content (not its ids): equal for equal data sets."""
    query = """
        WITH people AS (
            SELECT u.id, concat_ws('|', u.email, u.password, u.public_id, u.full_name, u.title, u.position,
                       u.phone, u.verification_status, u.licence_expires_on, u.date_joined, f.national_code,
                       (SELECT string_agg(s.code, ',' ORDER BY s.code)
                          FROM accounts_user_specialties us JOIN facilities_specialty s ON s.id = us.specialty_id
                         WHERE us.user_id = u.id),
                       (SELECT string_agg(concat_ws(',', l.kind, l.licence_number, l.issuing_authority, l.issued_on,
                                                    l.expires_on, l.status, l.submitted_at, l.reviewed_at,
                                                    r.email, l.decision_reason), ';' ORDER BY l.submitted_at)
                          FROM accounts_licencesubmission l LEFT JOIN accounts_user r ON r.id = l.reviewed_by_id
                         WHERE l.doctor_id = u.id)) AS line
              FROM accounts_user u LEFT JOIN facilities_facility f ON f.id = u.facility_id
             WHERE u.email LIKE %(users)s
        )
        SELECT md5(coalesce((SELECT string_agg(line, E'\\n' ORDER BY line) FROM people), '')
                   || coalesce((SELECT string_agg(concat_ws('|', national_code, name, tier, province_id, commune_id,
                                                            ownership), E'\\n' ORDER BY national_code)
                                  FROM facilities_facility WHERE national_code LIKE %(facilities)s), ''))
    """
    with connection.cursor() as cursor:
        cursor.execute(query, {"users": f"%@{SYNTHETIC_DOMAIN}", "facilities": f"{FACILITY_CODE_PREFIX}%"})
        return cursor.fetchone()[0]
