"""Matching suggestions: who is suggested, and in what order."""

from __future__ import annotations

import pytest

from accounts.models import VerificationStatus
from common.errors import ServiceError
from facilities.models import Tier
from mentorship.errors import MentorshipErrorCode
from mentorship.selectors.matching import mentee_suggestion_page, mentor_candidate_page
from network.models import Block, Connection
from tests import factories

pytestmark = pytest.mark.django_db


def connect(first, second) -> None:
    Connection.objects.create(doctor=first, peer=second)
    Connection.objects.create(doctor=second, peer=first)


def test_mentees_are_ranked_by_specialty_province_fewest_mentors_then_shared_connections():
    cardiology = factories.specialty()
    hanoi, far = factories.province(1), factories.province(96, "Cà Mau")
    mentor = factories.doctor(facility=factories.facility(Tier.CENTRAL, province=hanoi))
    mentor.specialties.add(cardiology)

    def mentee(province, matched):
        doctor = factories.doctor(facility=factories.facility(Tier.PROVINCIAL, province=province))
        if matched:
            doctor.specialties.add(cardiology)
        return doctor

    far_matched = mentee(far, True)
    near_unmatched = mentee(hanoi, False)
    near_matched_mentored = mentee(hanoi, True)
    factories.mentorship(factories.doctor(tier=Tier.CENTRAL), near_matched_mentored)
    near_matched = mentee(hanoi, True)
    near_matched_friend = mentee(hanoi, True)
    friend = factories.doctor()
    connect(mentor, friend)
    connect(near_matched_friend, friend)
    # Excluded: full, blocked, wrong tier, unverified, self.
    full = mentee(hanoi, True)
    for _ in range(2):
        factories.mentorship(factories.doctor(tier=Tier.CENTRAL), full)
    blocked = mentee(hanoi, True)
    Block.objects.create(blocker=blocked, blocked=mentor)
    mentee(hanoi, True).facility  # noqa: B018 - a district doctor below is the wrong tier
    factories.doctor(facility=factories.facility(Tier.DISTRICT, province=hanoi)).specialties.add(cardiology)
    factories.doctor(
        status=VerificationStatus.PENDING, facility=factories.facility(Tier.PROVINCIAL, province=hanoi)
    ).specialties.add(cardiology)

    page = mentee_suggestion_page(mentor, Tier.PROVINCIAL, offset=0, limit=20)
    ranked = [match.doctor for match in page]

    assert full not in ranked and blocked not in ranked and mentor not in ranked
    assert all(doctor.facility is not None and doctor.facility.tier == Tier.PROVINCIAL for doctor in ranked)
    assert all(doctor.verification_status == VerificationStatus.VERIFIED for doctor in ranked)
    order = [near_matched_friend, near_matched, near_matched_mentored, far_matched, near_unmatched]
    assert [doctor for doctor in ranked if doctor in order] == order
    assert page[0].shared_connections == 1 and page[0].specialty_match and page[0].same_province


def test_a_full_mentor_is_suggested_nobody_and_an_unpaired_tier_is_refused():
    mentor = factories.doctor(tier=Tier.CENTRAL)
    for _ in range(2):
        factories.mentorship(mentor, factories.doctor(tier=Tier.COMMUNE))
    factories.doctor(tier=Tier.COMMUNE)
    assert mentee_suggestion_page(mentor, Tier.COMMUNE, offset=0, limit=5) == []
    assert len(mentee_suggestion_page(mentor, Tier.DISTRICT, offset=0, limit=5)) == 0
    with pytest.raises(ServiceError) as refused:
        mentee_suggestion_page(factories.doctor(tier=Tier.PROVINCIAL), Tier.COMMUNE, offset=0, limit=5)
    assert refused.value.errors[0].code == MentorshipErrorCode.TIER_NOT_ALLOWED


def test_mentors_are_ranked_for_a_mentee_by_specialty_province_and_fewest_mentees():
    cardiology = factories.specialty()
    hanoi, far = factories.province(1), factories.province(96, "Cà Mau")
    mentee = factories.doctor(facility=factories.facility(Tier.COMMUNE, province=hanoi))
    mentee.specialties.add(cardiology)

    def mentor(province, matched):
        doctor = factories.doctor(facility=factories.facility(Tier.CENTRAL, province=province))
        if matched:
            doctor.specialties.add(cardiology)
        return doctor

    far_matched = mentor(far, True)
    busy = mentor(hanoi, True)
    factories.mentorship(busy, factories.doctor(tier=Tier.COMMUNE))
    free = mentor(hanoi, True)
    full = mentor(hanoi, True)
    for _ in range(2):
        factories.mentorship(full, factories.doctor(tier=Tier.COMMUNE))
    unverified = factories.doctor(
        status=VerificationStatus.PENDING, facility=factories.facility(Tier.CENTRAL, province=hanoi)
    )

    ranked = [match.doctor for match in mentor_candidate_page(mentee, offset=0, limit=10)]

    assert full not in ranked and unverified not in ranked and mentee not in ranked
    assert ranked[:3] == [free, busy, far_matched]
