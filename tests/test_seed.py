"""Seeding and cron commands: the demo network (`seed_demo`), the synthetic country
(`seed_country`) and the daily licence expiry (`expire_licences`)."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from io import StringIO

import pytest
from allauth.account.models import EmailAddress
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.db.models import Count
from django.utils import timezone

from accounts import services
from accounts.management.seeding import country, demo
from accounts.models import LicenceSubmission, User, VerificationStatus
from audit.models import AuditEvent
from chat.models import Message, Room
from facilities.models import Commune, Facility, Province, Tier
from referrals.models import Referral
from tests import factories

pytestmark = pytest.mark.django_db

AS_OF = date(2026, 11, 26)


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()  # allauth counts sign-in attempts in the cache
    yield
    cache.clear()


def sign_in(client, email: str, password: str) -> str:
    """Sign in through allauth's form; return where it sends the user."""
    response = client.post("/accounts/login/", {"login": email, "password": password})
    assert response.status_code == 302, response.content[:500]
    return response["Location"]


# --- seed_demo ---------------------------------------------------------------------------------


def seed_demo() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def snapshot() -> dict[str, object]:
    return {
        "users": sorted(User.objects.values_list("email", "full_name", "title", "verification_status")),
        "facilities": sorted(Facility.objects.values_list("national_code", "name", "tier")),
        "submissions": LicenceSubmission.objects.count(),
        "emails": EmailAddress.objects.count(),
        "audit": AuditEvent.objects.count(),
        "specialty_links": User.specialties.through.objects.count(),
    }


def test_seed_demo_loads_the_reference_data_it_needs_and_prints_the_logins():
    output = seed_demo()

    assert Province.objects.count() == 34
    assert f"password for all: {demo.DEMO_PASSWORD}" in output
    for email in (demo.ADMIN_EMAIL, demo.VERIFIER_EMAIL, demo.doctor_email(1)):
        assert email in output


def test_seed_demo_twice_creates_nothing_the_second_time():
    seed_demo()
    first = snapshot()

    output = seed_demo()

    assert snapshot() == first
    assert "0 accounts created" in output


def test_the_demo_has_a_mentee_consulting_their_mentor_in_chat_and_by_referral():
    seed_demo()

    referral = Referral.objects.select_related("requester__facility", "consultant__facility").get()
    assert referral.status == Referral.Status.ACCEPTED
    assert referral.requester.facility.tier == Tier.PROVINCIAL
    assert referral.consultant.facility.tier == Tier.CENTRAL
    room = Room.objects.get(kind=Room.Kind.MENTORSHIP)
    assert {room.mentorship.mentor_id, room.mentorship.mentee_id} == {
        referral.consultant_id,
        referral.requester_id,
    }
    assert list(Message.objects.filter(room=room).order_by("seq").values_list("seq", flat=True)) == [1, 2, 3]


def test_the_demo_network_spans_the_four_tiers_in_several_provinces():
    seed_demo()

    facilities = Facility.objects.filter(national_code__startswith="DEMO-")
    assert Counter(facilities.values_list("tier", flat=True)) == {
        Tier.CENTRAL: 4,
        Tier.PROVINCIAL: 4,
        Tier.DISTRICT: 4,
        Tier.COMMUNE: 6,
    }
    assert facilities.values("province").distinct().count() >= 5
    assert {"Bệnh viện Bạch Mai", "Bệnh viện Chợ Rẫy", "Bệnh viện Trung ương Huế"} <= set(
        facilities.filter(tier=Tier.CENTRAL).values_list("name", flat=True)
    )
    for station in facilities.filter(tier__in=[Tier.DISTRICT, Tier.COMMUNE]):
        assert station.commune is not None and station.commune.province_id == station.province_id

    doctors = User.objects.filter(email__in=[demo.doctor_email(n) for n in range(1, 51)])
    assert doctors.count() == 50
    assert Counter(doctors.values_list("facility__tier", flat=True)) == {
        Tier.CENTRAL: 16,
        Tier.PROVINCIAL: 12,
        Tier.DISTRICT: 12,
        Tier.COMMUNE: 10,
    }
    assert not doctors.filter(specialties=None).exists()
    assert doctors.filter(title="Y sĩ", facility__tier=Tier.COMMUNE).exists()
    assert all(
        name != name.encode("ascii", "ignore").decode()
        for name in doctors.values_list("full_name", flat=True)
    )


def test_demo_verifications_went_through_the_services_and_left_a_real_audit_trail():
    seed_demo()
    verifier = User.objects.get(email=demo.VERIFIER_EMAIL)
    doctors = User.objects.filter(email__endswith=f"@{demo.DEMO_DOMAIN}", facility__isnull=False)

    statuses = Counter(doctors.values_list("verification_status", flat=True))
    assert statuses == {
        VerificationStatus.VERIFIED: 40,
        VerificationStatus.PENDING: 7,
        VerificationStatus.REJECTED: 1,
        VerificationStatus.UNVERIFIED: 2,
    }
    for doctor in doctors.filter(verification_status=VerificationStatus.VERIFIED):
        assert services.is_verified_doctor(doctor)
        submission = doctor.licence_submissions.get()
        assert submission.status == VerificationStatus.VERIFIED
        assert submission.reviewed_by == verifier
        assert submission.expires_on == doctor.licence_expires_on > timezone.localdate()
        with submission.scan.open("rb") as scan:
            assert scan.read(5) == b"%PDF-"
    assert AuditEvent.objects.filter(action="licence.verified", actor=verifier).count() == 40
    assert AuditEvent.objects.filter(action="licence.submitted").count() == 48
    rejected = LicenceSubmission.objects.get(status=VerificationStatus.REJECTED)
    assert rejected.decision_reason


def test_demo_accounts_have_verified_primary_emails_and_the_roles_they_are_shown_with():
    seed_demo()

    accounts = User.objects.filter(email__endswith=f"@{demo.DEMO_DOMAIN}")
    assert accounts.count() == 52
    for user in accounts:
        assert EmailAddress.objects.filter(user=user, email=user.email, verified=True, primary=True).exists()
    admin = User.objects.get(email=demo.ADMIN_EMAIL)
    assert admin.is_superuser and admin.is_staff
    verifier = User.objects.get(email=demo.VERIFIER_EMAIL)
    assert services.require_verifier(verifier) == verifier
    assert not verifier.is_superuser
    assert not any(
        user.has_perm(services.VERIFY_PERMISSION) for user in accounts.exclude(pk__in=[admin.pk, verifier.pk])
    )


@pytest.mark.parametrize("email", [demo.doctor_email(1), demo.doctor_email(7)])
def test_demo_doctors_sign_in_with_the_shared_password(client, email):
    seed_demo()

    assert sign_in(client, email, demo.DEMO_PASSWORD) == "/"
    assert client.session["_auth_user_id"] == str(User.objects.get(email=email).pk)


@pytest.mark.parametrize("email", [demo.ADMIN_EMAIL, demo.VERIFIER_EMAIL])
def test_demo_staff_sign_in_with_the_password_and_the_published_authenticator_secret(client, email):
    seed_demo()

    assert sign_in(client, email, demo.DEMO_PASSWORD) == "/accounts/2fa/authenticate/"
    code = factories.totp_code(demo.DEMO_TOTP_SECRET)
    assert client.post("/accounts/2fa/authenticate/", {"code": code})["Location"] == "/"
    assert client.session["_auth_user_id"] == str(User.objects.get(email=email).pk)


# --- seed_country ------------------------------------------------------------------------------


def seed_country(doctors: int = 400, seed: int = 7, reset: bool = False) -> country.CountryReport:
    return country.seed_country(
        country.CountryParameters(doctors=doctors, seed=seed, as_of=AS_OF), reset=reset, log=lambda _: None
    )


def test_the_same_seed_gives_the_same_data_and_another_seed_other_data():
    first = seed_country(seed=7)

    again = seed_country(seed=7, reset=True)
    other = seed_country(seed=8, reset=True)

    assert again.fingerprint == first.fingerprint
    assert other.fingerprint != first.fingerprint
    assert country.synthetic_users().filter(facility__isnull=False).count() == 400


def test_country_facilities_cover_every_province_and_commune_with_realistic_tiers():
    seed_country()

    facilities = country.synthetic_facilities()
    by_tier = Counter(facilities.values_list("tier", flat=True))
    assert 35 <= by_tier[Tier.CENTRAL] <= 45
    assert 34 * 15 <= by_tier[Tier.PROVINCIAL] <= 34 * 25 + 2 * 13
    assert 650 <= by_tier[Tier.DISTRICT] <= 750
    assert by_tier[Tier.COMMUNE] == Commune.objects.count() == 3321
    assert set(facilities.filter(tier=Tier.COMMUNE).values_list("commune", flat=True)) == set(
        Commune.objects.values_list("code", flat=True)
    )
    central_provinces = Counter(facilities.filter(tier=Tier.CENTRAL).values_list("province", flat=True))
    assert central_provinces[1] + central_provinces[79] + central_provinces[46] >= 0.8 * by_tier[Tier.CENTRAL]
    per_province = facilities.values("province").annotate(tiers=Count("tier", distinct=True))
    assert per_province.count() == 34
    assert all(row["tiers"] >= 3 for row in per_province)
    assert facilities.values("national_code").distinct().count() == facilities.count()


def test_country_doctors_are_spread_over_the_tiers_with_mostly_verified_licences():
    seed_country(doctors=1000)

    doctors = country.synthetic_users().filter(facility__isnull=False)
    assert Counter(doctors.values_list("facility__tier", flat=True)) == {
        Tier.CENTRAL: 80,
        Tier.PROVINCIAL: 300,
        Tier.DISTRICT: 320,
        Tier.COMMUNE: 300,
    }
    statuses = Counter(doctors.values_list("verification_status", flat=True))
    assert 0.85 <= statuses[VerificationStatus.VERIFIED] / 1000 <= 0.95
    assert statuses[VerificationStatus.PENDING] > 0
    names = list(doctors.values_list("full_name", flat=True))
    assert len(set(names)) > 850  # Vietnamese names repeat a lot: Nguyễn Thị ... is very common
    assert any("Đ" in name for name in names)
    assert not doctors.filter(specialties=None).exists()
    assert doctors.annotate(n=Count("specialties")).filter(n__gt=2).count() == 0


def test_each_country_doctor_status_matches_their_licence_submission():
    seed_country()

    for doctor in (
        country.synthetic_users().filter(facility__isnull=False).prefetch_related("licence_submissions")
    ):
        submissions = list(doctor.licence_submissions.all())
        if doctor.verification_status == VerificationStatus.UNVERIFIED:
            assert submissions == []
            continue
        (submission,) = submissions
        assert submission.status == doctor.verification_status
        if doctor.verification_status == VerificationStatus.VERIFIED:
            assert doctor.licence_expires_on == submission.expires_on
            assert submission.expires_on is None or submission.expires_on > AS_OF
            assert submission.reviewed_by.has_perm(services.VERIFY_PERMISSION)
        else:
            assert doctor.licence_expires_on is None
        if doctor.verification_status == VerificationStatus.EXPIRED:
            assert submission.expires_on < AS_OF


def test_a_country_doctor_signs_in_with_the_demo_password(client):
    seed_country(doctors=50)
    doctor = country.synthetic_users().filter(verification_status=VerificationStatus.VERIFIED).first()

    assert sign_in(client, doctor.email, demo.DEMO_PASSWORD) == "/"


def test_seed_country_refuses_to_run_over_existing_data_without_reset():
    seed_country(doctors=50)
    before = country.country_fingerprint()

    with pytest.raises(CommandError, match="--reset"):
        call_command("seed_country", "--doctors", "50", "--seed", "7", stdout=StringIO())

    assert country.country_fingerprint() == before


def test_reset_replaces_only_synthetic_rows():
    demo_doctor = factories.doctor()
    hospital = demo_doctor.facility
    seed_country(doctors=50)

    out = StringIO()
    call_command(
        "seed_country", "--doctors", "60", "--seed", "9", "--as-of", "2026-11-26", "--reset", stdout=out
    )

    assert country.synthetic_users().filter(facility__isnull=False).count() == 60
    assert User.objects.filter(pk=demo_doctor.pk, verification_status=VerificationStatus.VERIFIED).exists()
    assert Facility.objects.filter(pk=hospital.pk).exists()
    assert "Fingerprint:" in out.getvalue()


def test_reset_is_refused_and_changes_nothing_while_the_audit_log_names_a_synthetic_user():
    seed_country(doctors=50)
    doctor = country.synthetic_users().filter(facility__isnull=False).first()
    AuditEvent.objects.create(
        actor=doctor, action="profile.updated", target_type="accounts.user", target_id="1"
    )
    before = country.country_fingerprint()

    with pytest.raises(country.CountryDataError, match="audit"):
        seed_country(doctors=50, seed=8, reset=True)

    assert country.country_fingerprint() == before


# --- expire_licences ---------------------------------------------------------------------------


def test_expire_licences_expires_lapsed_licences_only():
    lapsed = factories.doctor()
    current = factories.doctor()
    yesterday = timezone.localdate() - timedelta(days=1)
    LicenceSubmission.objects.filter(doctor=lapsed).update(expires_on=yesterday)
    User.objects.filter(pk=lapsed.pk).update(licence_expires_on=yesterday)
    out = StringIO()

    call_command("expire_licences", stdout=out)

    lapsed.refresh_from_db()
    current.refresh_from_db()
    assert lapsed.verification_status == VerificationStatus.EXPIRED
    assert lapsed.licence_submissions.get().status == VerificationStatus.EXPIRED
    assert current.verification_status == VerificationStatus.VERIFIED
    assert AuditEvent.objects.filter(
        action="licence.expired", actor=None, target_id=str(lapsed.licence_submissions.get().pk)
    ).exists()
    assert "Expired licences: 1." in out.getvalue()

    again = StringIO()
    call_command("expire_licences", stdout=again)
    assert "Expired licences: 0." in again.getvalue()


def test_the_demo_network_has_connections_cases_and_discussion_and_a_rerun_adds_nothing():
    from network.models import Case, Comment, Connection, Notification
    from network.selectors.feed import feed_for

    seed_demo()
    counts = [model.objects.count() for model in (Connection, Case, Comment, Notification)]
    seed_demo()

    assert [model.objects.count() for model in (Connection, Case, Comment, Notification)] == counts
    connections, cases, comments, notifications = counts
    assert connections > 0 and cases == 4 and comments == 3 and notifications > 0  # 3 discussed, 1 referred
    first_doctor = User.objects.get(email=demo.doctor_email(1))
    assert feed_for(first_doctor).exists()


def test_the_demo_has_mentorships_across_the_tiers_and_a_proposal_to_answer():
    from mentorship.models import Mentorship

    seed_demo()
    seed_demo()  # idempotent

    active = Mentorship.objects.filter(status=Mentorship.Status.ACTIVE)
    assert sorted(active.values_list("mentee_tier", flat=True)) == ["commune", "district", "provincial"]
    assert active.values("mentor").distinct().count() == 1
    pending = Mentorship.objects.get(status=Mentorship.Status.PROPOSED)
    assert pending.proposed_as == Mentorship.Proposer.MENTEE and pending.mentee_accepted_at is not None
