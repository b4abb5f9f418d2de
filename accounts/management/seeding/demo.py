"""The demo network `make run` starts with: real hospitals of the four tiers, ~50 doctors,
a verifier and an administrator, all signing in with one shared password.

Idempotent: facilities are keyed on their national code and people on their email, so a second
run updates them in place and creates nothing twice. Verification goes through
``accounts.services`` (submit, then review by the demo verifier), so statuses, licence rows and
the audit log are what the product itself would have produced.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import timedelta

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone

from accounts import services
from accounts.management.seeding import people
from accounts.management.seeding.demo_network import seed_demo_network
from accounts.management.seeding.pdf import licence_scan_pdf
from accounts.models import LicenceKind, User, VerificationStatus
from facilities.models import Facility, Province, Specialty, Tier
from facilities.services import load_reference_data, reference_data_loaded

DEMO_PASSWORD = "tuyen-demo-2026"  # noqa: S105 - published on purpose: demo logins only
DEMO_DOMAIN = "tuyen.test"  # reserved TLD (RFC 2606): nothing is ever delivered there
ADMIN_EMAIL = f"quantri@{DEMO_DOMAIN}"
VERIFIER_EMAIL = f"thamdinh@{DEMO_DOMAIN}"
# Staff must sign in with an authenticator app; the demo staff share this published secret
# (add it to any TOTP app by hand). Demo only, like the password.
DEMO_TOTP_SECRET = "TUYENDEMOTUYENDEMOTUYENDEMOTUYEN"  # noqa: S105


@dataclass(frozen=True)
class DemoFacility:
    national_code: str
    name: str
    tier: Tier
    province_code: int
    doctors: int
    commune_code: int | None = None


# Province codes: 1 Hà Nội, 15 Lào Cai, 38 Thanh Hóa, 40 Nghệ An, 46 Huế, 79 TP Hồ Chí Minh, 92 Cần Thơ.
FACILITIES = (
    DemoFacility("DEMO-C01", "Bệnh viện Bạch Mai", Tier.CENTRAL, 1, 5),
    DemoFacility("DEMO-C02", "Bệnh viện Chợ Rẫy", Tier.CENTRAL, 79, 5),
    DemoFacility("DEMO-C03", "Bệnh viện Trung ương Huế", Tier.CENTRAL, 46, 4),
    DemoFacility("DEMO-C04", "Bệnh viện Nhi Trung ương", Tier.CENTRAL, 1, 2),
    DemoFacility("DEMO-P01", "Bệnh viện Đa khoa tỉnh Thanh Hóa", Tier.PROVINCIAL, 38, 3),
    DemoFacility("DEMO-P02", "Bệnh viện Hữu nghị Đa khoa Nghệ An", Tier.PROVINCIAL, 40, 3),
    DemoFacility("DEMO-P03", "Bệnh viện Đa khoa tỉnh Lào Cai", Tier.PROVINCIAL, 15, 3),
    DemoFacility("DEMO-P04", "Bệnh viện Đa khoa thành phố Cần Thơ", Tier.PROVINCIAL, 92, 3),
    DemoFacility("DEMO-D01", "Trung tâm Y tế khu vực Sa Pa", Tier.DISTRICT, 15, 3, 3006),
    DemoFacility("DEMO-D02", "Trung tâm Y tế khu vực Tĩnh Gia", Tier.DISTRICT, 38, 3, 16561),
    DemoFacility("DEMO-D03", "Trung tâm Y tế khu vực Phong Điền", Tier.DISTRICT, 46, 3, 19819),
    DemoFacility("DEMO-D04", "Trung tâm Y tế khu vực Củ Chi", Tier.DISTRICT, 79, 3, 27553),
    DemoFacility("DEMO-X01", "Trạm Y tế xã Bát Xát", Tier.COMMUNE, 15, 2, 2683),
    DemoFacility("DEMO-X02", "Trạm Y tế phường Sầm Sơn", Tier.COMMUNE, 38, 2, 16531),
    DemoFacility("DEMO-X03", "Trạm Y tế xã Quỳnh Lưu", Tier.COMMUNE, 40, 2, 17179),
    DemoFacility("DEMO-X04", "Trạm Y tế xã Phú Vang", Tier.COMMUNE, 46, 2, 19942),
    DemoFacility("DEMO-X05", "Trạm Y tế xã Cần Giờ", Tier.COMMUNE, 79, 1, 27664),
    DemoFacility("DEMO-X06", "Trạm Y tế xã Ba Vì", Tier.COMMUNE, 1, 1, 9700),
)

# Doctors are numbered bacsi01, bacsi02, ... in FACILITIES order; these numbers are not verified.
PENDING = frozenset({7, 14, 21, 28, 35, 42, 49})
REJECTED = frozenset({24})
UNVERIFIED = frozenset({45, 50})
REJECTION_REASON = "Ảnh chụp giấy phép bị mờ, không đọc được số giấy phép. Vui lòng nộp lại bản rõ hơn."


@dataclass(frozen=True)
class DemoLogin:
    email: str
    role: str


@dataclass
class DemoReport:
    facilities: int = 0
    doctors: int = 0
    created: int = 0
    logins: list[DemoLogin] = field(default_factory=list)


def doctor_email(number: int) -> str:
    return f"bacsi{number:02d}@{DEMO_DOMAIN}"


def target_status(number: int) -> str:
    if number in PENDING:
        return VerificationStatus.PENDING
    if number in REJECTED:
        return VerificationStatus.REJECTED
    if number in UNVERIFIED:
        return VerificationStatus.UNVERIFIED
    return VerificationStatus.VERIFIED


def seed_demo() -> DemoReport:
    """Create or refresh the demo network; return what exists and who can sign in."""
    if not reference_data_loaded():
        load_reference_data()
    # Demo addresses are fictitious: the decision emails the services send go nowhere.
    with (
        override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"),
        transaction.atomic(),
    ):
        return _seed()


def _seed() -> DemoReport:
    report = DemoReport()
    password = make_password(DEMO_PASSWORD)  # hashed once, not once per account
    admin, created = _account(ADMIN_EMAIL, password)
    services.update_profile(admin, full_name="Lê Hoàng Nam", position="Quản trị hệ thống")
    report.created += created
    if not (admin.is_staff and admin.is_superuser):
        admin.is_staff = admin.is_superuser = True
        admin.save(update_fields=["is_staff", "is_superuser"])
    verifier, created = _account(VERIFIER_EMAIL, password)
    services.update_profile(
        verifier, full_name="Trần Thị Thu Hà", position="Chuyên viên thẩm định, Sở Y tế Hà Nội"
    )
    report.created += created
    verifier.user_permissions.add(
        Permission.objects.get(content_type__app_label="accounts", codename="verify_doctor")
    )
    verifier = User.objects.get(pk=verifier.pk)  # fresh permission cache
    for staff in (admin, verifier):
        if not Authenticator.objects.filter(user=staff, type=Authenticator.Type.TOTP).exists():
            TOTP.activate(staff, DEMO_TOTP_SECRET)
    report.logins += [DemoLogin(ADMIN_EMAIL, "administrator"), DemoLogin(VERIFIER_EMAIL, "verifier")]

    provinces = {province.code: province for province in Province.objects.all()}
    specialties = {specialty.code: specialty for specialty in Specialty.objects.all()}
    picker = people.SpecialtyPicker(list(specialties))
    shown: set[tuple[str, str]] = set()
    demo_doctors: list[User] = []
    number = 0
    for demo in FACILITIES:
        facility, _ = Facility.objects.update_or_create(
            national_code=demo.national_code,
            defaults={
                "name": demo.name,
                "tier": demo.tier,
                "province": provinces[demo.province_code],
                "commune_id": demo.commune_code,
                "ownership": Facility.Ownership.PUBLIC,
                "is_active": True,
            },
        )
        report.facilities += 1
        for _ in range(demo.doctors):
            number += 1
            email = doctor_email(number)
            rng = random.Random(f"tuyen-demo:{email}")
            person = people.draw_person(rng)
            title = people.draw_title(rng, demo.tier)
            doctor, created = _account(email, password)
            report.created += created
            codes = picker.draw(rng, demo.tier)
            services.update_profile(
                doctor,
                facility_id=facility.pk,
                specialty_ids=[specialties[code].pk for code in codes],
                full_name=person.full_name,
                title=title,
                position=people.draw_position(rng, demo.tier),
                phone=f"09{rng.randint(0, 9)}{rng.randint(0, 9_999_999):07d}",
                bio=f"{specialties[codes[0]].name_vi} - {facility.name}.",
            )
            status = target_status(number)
            if doctor.verification_status == VerificationStatus.UNVERIFIED:
                _verify(doctor, status, verifier, facility, provinces[demo.province_code], number, rng)
            report.doctors += 1
            if (demo.tier, status) not in shown and status != VerificationStatus.UNVERIFIED:
                shown.add((demo.tier, status))
                report.logins.append(DemoLogin(email, f"{status} doctor, {demo.tier} ({facility.name})"))
            demo_doctors.append(doctor)
    seed_demo_network([User.objects.get(pk=doctor.pk) for doctor in demo_doctors])
    return report


def _account(email: str, password: str) -> tuple[User, bool]:
    """The account for ``email`` with a verified primary address, so it can sign in."""
    user, created = User.objects.get_or_create(email=email, defaults={"password": password})
    EmailAddress.objects.update_or_create(
        user=user, email=email, defaults={"verified": True, "primary": True}
    )
    return user, created


def _verify(
    doctor: User,
    status: str,
    verifier: User,
    facility: Facility,
    province: Province,
    number: int,
    rng: random.Random,
) -> None:
    """Take an unverified doctor to ``status`` the way the product does: submit, then review."""
    if status == VerificationStatus.UNVERIFIED:
        return
    today = timezone.localdate()
    issued_on = today - timedelta(days=rng.randint(60, 3 * 365))
    number_text = people.licence_number(number, facility.tier, province.codename)
    authority = people.issuing_authority(facility.tier, province.name)
    scan = licence_scan_pdf(
        [
            f"Giấy phép hành nghề số {number_text}",
            doctor.full_name,
            authority,
            f"Ngày cấp {issued_on:%d/%m/%Y}",
        ]
    )
    submission = services.submit_licence(
        doctor,
        kind=LicenceKind.PRACTICE_LICENCE,
        licence_number=number_text,
        issuing_authority=authority,
        issued_on=issued_on,
        expires_on=people.add_years(issued_on, people.LICENCE_YEARS),
        scan=SimpleUploadedFile("giay-phep-hanh-nghe.pdf", scan, "application/pdf"),
    )
    if status == VerificationStatus.VERIFIED:
        services.review_licence(verifier, submission.pk, approve=True)
    elif status == VerificationStatus.REJECTED:
        services.review_licence(verifier, submission.pk, approve=False, reason=REJECTION_REASON)
