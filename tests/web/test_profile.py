"""Doctors edit their own profile through accounts.services.update_profile."""

from __future__ import annotations

import pytest

from facilities.models import Tier
from tests import factories

pytestmark = pytest.mark.django_db

URL = "/doctors/profile/"


def test_the_form_shows_the_current_profile(signed_in, verified_doctor):
    response = signed_in(verified_doctor).get(URL)

    form = response.context["form"]
    assert form.initial["full_name"] == verified_doctor.full_name
    assert form.initial["facility"] == verified_doctor.facility_id


def test_a_doctor_updates_their_profile(signed_in, verified_doctor):
    provincial = factories.facility(Tier.PROVINCIAL, name="Bệnh viện Đa khoa tỉnh Lào Cai")
    cardiology = factories.specialty()

    response = signed_in(verified_doctor).post(
        URL,
        {
            "full_name": "  Trần Thị Mai ",
            "title": "ThS.BS",
            "position": "Trưởng khoa",
            "phone": "+84 912 345 678",
            "bio": "Tim mạch can thiệp.",
            "facility": provincial.pk,
            "specialties": [cardiology.pk],
        },
    )

    assert response.status_code == 302
    verified_doctor.refresh_from_db()
    assert (verified_doctor.full_name, verified_doctor.facility) == ("Trần Thị Mai", provincial)
    assert list(verified_doctor.specialties.all()) == [cardiology]


def test_service_errors_land_on_the_fields_and_nothing_changes(signed_in, verified_doctor):
    name_before = verified_doctor.full_name

    response = signed_in(verified_doctor).post(URL, {"full_name": " ", "phone": "call me", "title": "x" * 81})

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["full_name"] == ["Enter your full name."]
    assert errors["phone"] == ["Enter a valid phone number."]
    assert errors["title"] == ["Too long (at most 80)."]
    verified_doctor.refresh_from_db()
    assert verified_doctor.full_name == name_before
