"""A doctor's standing changes (verification revoked, a move of facility, deactivation in the
admin): their open mentorships are flagged for an administrator's review, audited, and nothing
is deleted or ended."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User, VerificationStatus
from accounts.services import revoke_verification, update_profile
from audit.models import AuditEvent
from facilities.models import Tier
from mentorship.models import Mentorship
from mentorship.services import mentorships as services
from tests import factories

pytestmark = pytest.mark.django_db

Status = Mentorship.Status
Reason = Mentorship.ReviewReason


def open_and_closed(doctor: User) -> tuple[list[Mentorship], Mentorship]:
    """An active mentorship and a proposal of ``doctor`` (a central mentor), and an ended one."""
    active = factories.mentorship(doctor, factories.doctor(tier=Tier.PROVINCIAL))
    proposed = services.propose_mentorship(
        doctor, mentor_id=doctor.pk, mentee_id=factories.doctor(tier=Tier.DISTRICT).pk
    )
    ended = factories.mentorship(doctor, factories.doctor(tier=Tier.COMMUNE))
    services.end_mentorship(doctor, ended.public_id, reason="Hoàn thành")
    return [active, proposed], ended


def assert_flagged(flagged: list[Mentorship], untouched: Mentorship, reason: str, doctor: User) -> None:
    before = {m.pk: m.status for m in flagged}
    for mentorship in flagged:
        mentorship.refresh_from_db()
        assert mentorship.review_reason == reason and mentorship.flagged_at is not None
        assert mentorship.status == before[mentorship.pk]  # flagged, never ended or dropped
        event = AuditEvent.objects.get(action="mentorship.flagged", target_id=str(mentorship.pk))
        assert event.details["reason"] == reason and event.details["doctor_id"] == doctor.pk
    untouched.refresh_from_db()
    assert untouched.review_reason == "" and untouched.flagged_at is None
    assert not AuditEvent.objects.filter(action="mentorship.flagged", target_id=str(untouched.pk)).exists()
    assert Mentorship.objects.count() == 3


def test_revoking_a_doctors_verification_flags_their_open_mentorships():
    doctor = factories.doctor(tier=Tier.CENTRAL)
    flagged, ended = open_and_closed(doctor)

    revoke_verification(factories.verifier(), doctor.pk, reason="Giấy phép bị đình chỉ")

    assert_flagged(flagged, ended, Reason.VERIFICATION_LOST, doctor)


def test_the_mentee_losing_verification_flags_the_mentorship_too():
    mentor, mentee = factories.doctor(tier=Tier.CENTRAL), factories.doctor(tier=Tier.PROVINCIAL)
    mentorship = factories.mentorship(mentor, mentee)
    revoke_verification(factories.verifier(), mentee.pk, reason="Giấy phép bị đình chỉ")
    mentorship.refresh_from_db()
    assert mentorship.review_reason == Reason.VERIFICATION_LOST and mentorship.status == Status.ACTIVE


def test_moving_facility_flags_open_mentorships_and_keeps_the_tiers_counted():
    doctor = factories.doctor(tier=Tier.CENTRAL)
    flagged, ended = open_and_closed(doctor)

    update_profile(doctor, facility_id=factories.facility(Tier.PROVINCIAL).pk)

    assert_flagged(flagged, ended, Reason.FACILITY_CHANGED, doctor)
    assert {m.mentor_tier for m in Mentorship.objects.all()} == {Tier.CENTRAL}


def test_saving_the_same_facility_flags_nothing():
    doctor = factories.doctor(tier=Tier.CENTRAL)
    factories.mentorship(doctor, factories.doctor(tier=Tier.PROVINCIAL))
    update_profile(doctor, facility_id=doctor.facility_id, full_name="GS. Lê Văn An")
    assert not Mentorship.objects.exclude(review_reason="").exists()
    assert not AuditEvent.objects.filter(action="mentorship.flagged").exists()


def change_form_data(client: Client, url: str) -> dict[str, Any]:
    """The admin change form's current values, as the browser would post them back."""
    response = client.get(url)
    assert response.status_code == 200
    form = response.context["adminform"].form
    data: dict[str, Any] = {}
    for name in form.fields:
        value = form[name].value()
        if isinstance(value, bool):
            if value:
                data[name] = "on"
        elif isinstance(value, list | tuple):
            data[name] = [getattr(item, "pk", item) for item in value]
        elif value is not None and name not in {"password", "avatar"}:
            data[name] = value
    return data


def test_deactivating_a_doctor_in_the_admin_flags_their_open_mentorships():
    doctor = factories.doctor(tier=Tier.CENTRAL)
    flagged, ended = open_and_closed(doctor)
    superuser = factories.user(is_staff=True, is_superuser=True)
    factories.activate_totp(superuser)
    client = Client()
    client.force_login(superuser)
    url = reverse("admin:accounts_user_change", args=[doctor.pk])
    data = change_form_data(client, url)
    data.pop("is_active")

    response = client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    doctor.refresh_from_db()
    assert doctor.is_active is False and doctor.verification_status == VerificationStatus.VERIFIED
    assert_flagged(flagged, ended, Reason.DEACTIVATED, doctor)
