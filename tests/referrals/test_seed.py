"""The synthetic country's referrals (``seed_country --referrals-only``): as many as asked, each
from a lower-tier doctor's own network case to a higher tier, timings consistent with the
states, mostly within target, and the same rows for the same seed."""

from __future__ import annotations

from datetime import date

import pytest
from django.db.models import F, Q

from accounts.management.seeding import country, mentorships, network
from accounts.management.seeding.referrals import ReferralsStep, seed_referrals
from facilities.models import Tier
from mentorship.services.permissions import NATIONAL
from referrals.models import Referral
from referrals.selectors.metrics import Grouping, referral_metrics

pytestmark = pytest.mark.django_db

AS_OF = date(2026, 11, 26)
PARAMETERS = country.CountryParameters(doctors=600, seed=3, as_of=AS_OF)
PIPELINE = [
    *[step for step in country.PIPELINE if type(step).__module__ != network.__name__],
    *network.network_steps(connections_per_doctor=3, cases_per_doctor=1.0, comments_per_case=0),
    *mentorships.mentorship_steps(),
]


@pytest.fixture
def seeded():
    country.seed_country(PARAMETERS, log=lambda _: None, pipeline=PIPELINE)
    seed_referrals(PARAMETERS, count=300, log=lambda _: None)


def test_referrals_go_up_from_own_cases_with_consistent_timings(seeded):
    referrals = Referral.objects.select_related("requester_facility", "target_facility", "case")
    assert 250 <= referrals.count() <= 300
    for referral in referrals:
        assert referral.case.author_id == referral.requester_id
        assert Tier.rank(referral.target_facility.tier) < Tier.rank(referral.requester_facility.tier)
    timeline = Q(first_response_at__lt=F("created_at")) | Q(completed_at__lt=F("first_response_at"))
    assert not referrals.filter(timeline).exists()
    assert not referrals.filter(status="completed", assessment="").exists()
    statuses = set(referrals.values_list("status", flat=True))
    assert {"completed", "rejected"} <= statuses
    [row] = referral_metrics(NATIONAL, Grouping.NATIONAL, now=country.SeedContext(PARAMETERS).midnight(AS_OF))
    assert row.response_within_target > 70


def test_the_same_seed_gives_the_same_referrals(seeded):
    first = list(
        Referral.objects.order_by("created_at", "public_id").values_list("public_id", "status", "created_at")
    )
    seed_referrals(PARAMETERS, count=300, log=lambda _: None)
    again = list(
        Referral.objects.order_by("created_at", "public_id").values_list("public_id", "status", "created_at")
    )
    assert first == again
    ReferralsStep().delete(country.SeedContext(PARAMETERS))
    assert not Referral.objects.exists()
