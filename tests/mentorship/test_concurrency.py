"""The quota holds under a stampede: hundreds of acceptances at the same moment, each on its
own thread and database connection, against one mentor and against one mentee. Exactly the
maximum start; every other one is refused with the quota's code; the database agrees."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.hashers import make_password
from django.db import connection
from django.utils import timezone

from accounts.models import User, VerificationStatus
from common.errors import ServiceError
from facilities.models import Tier
from mentorship.errors import MentorshipErrorCode
from mentorship.models import Mentorship
from mentorship.selectors.policy import policy_in_force, quota
from mentorship.services.mentorships import accept_mentorship
from tests import factories
from tests.concurrency import race

pytestmark = pytest.mark.django_db(transaction=True)

RACERS = 200
ROUNDS = 2
# The racers' connections, the test's own, and a margin for anything else on the server.
CONNECTIONS_NEEDED = RACERS + 10


@pytest.fixture(autouse=True)
def _enough_connections() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SHOW max_connections")
        available = int(cursor.fetchone()[0])
    if available < CONNECTIONS_NEEDED:
        pytest.fail(
            f"PostgreSQL allows max_connections={available}; this race needs at least "
            f"{CONNECTIONS_NEEDED} (one connection per racing thread). Raise it as .ci/run does "
            "(e.g. `postgres -c max_connections=300`)."
        )


def outcomes(results: list[Any]) -> Counter[str]:
    """ "ok" or the refusal code per call; anything but a ServiceError fails the test."""
    for result in results:
        if isinstance(result, BaseException) and not isinstance(result, ServiceError):
            raise result
    return Counter(str(result.code) if isinstance(result, ServiceError) else "ok" for result in results)


def verified_doctors(count: int, tier: str) -> list[User]:
    """``count`` verified doctors at one facility of ``tier``, in one statement."""
    facility = factories.facility(tier)
    batch = uuid.uuid4().hex[:8]
    password = make_password(None)
    return User.objects.bulk_create(
        User(
            email=f"race-{batch}-{n}@example.vn",
            full_name=f"Bác sĩ {batch} {n}",
            facility=facility,
            verification_status=VerificationStatus.VERIFIED,
            licence_expires_on=timezone.localdate() + timedelta(days=365),
            password=password,
        )
        for n in range(count)
    )


def proposals(pairs: list[tuple[User, User]], proposer: str) -> list[Mentorship]:
    """Open proposals as ``propose_mentorship`` leaves them (the proposer's acceptance given),
    in one statement: the race is about the acceptances, which go through the service."""
    now = timezone.now()
    rows = []
    for mentor, mentee in pairs:
        by_mentor = proposer == Mentorship.Proposer.MENTOR
        rows.append(
            Mentorship(
                mentor=mentor,
                mentee=mentee,
                mentor_tier=mentor.facility.tier,
                mentee_tier=mentee.facility.tier,
                proposed_by=mentor if by_mentor else mentee,
                proposed_as=proposer,
                proposed_at=now,
                expires_at=now + timedelta(days=14),
                mentor_accepted_at=now if by_mentor else None,
                mentee_accepted_at=None if by_mentor else now,
            )
        )
    return Mentorship.objects.bulk_create(rows)


def test_two_hundred_mentees_accepting_one_mentor_at_once_fill_exactly_the_tier_maximum():
    maximum = quota(policy_in_force(), Tier.CENTRAL, Tier.PROVINCIAL).maximum
    assert maximum == 4
    for _round in range(ROUNDS):
        [mentor] = verified_doctors(1, Tier.CENTRAL)
        mentees = verified_doctors(RACERS, Tier.PROVINCIAL)
        offers = proposals([(mentor, mentee) for mentee in mentees], Mentorship.Proposer.MENTOR)

        results = race(
            *[
                lambda mentee=mentee, offer=offer: accept_mentorship(mentee, offer.public_id)
                for mentee, offer in zip(mentees, offers, strict=True)
            ]
        )

        assert outcomes(results) == {"ok": maximum, MentorshipErrorCode.MENTOR_QUOTA_FULL: RACERS - maximum}
        active = Mentorship.objects.filter(mentor=mentor, status=Mentorship.Status.ACTIVE)
        assert active.count() == maximum
        assert Mentorship.objects.filter(mentor=mentor, status=Mentorship.Status.PROPOSED).count() == (
            RACERS - maximum
        )
        started = {result.pk for result in results if isinstance(result, Mentorship)}
        assert started == set(active.values_list("pk", flat=True))


def test_two_hundred_mentors_accepting_one_mentee_at_once_give_exactly_the_maximum_of_mentors():
    maximum = policy_in_force().max_mentors_per_mentee
    assert maximum == 2
    for _round in range(ROUNDS):
        [mentee] = verified_doctors(1, Tier.PROVINCIAL)
        mentors = verified_doctors(RACERS, Tier.CENTRAL)
        asks = proposals([(mentor, mentee) for mentor in mentors], Mentorship.Proposer.MENTEE)

        results = race(
            *[
                lambda mentor=mentor, ask=ask: accept_mentorship(mentor, ask.public_id)
                for mentor, ask in zip(mentors, asks, strict=True)
            ]
        )

        assert outcomes(results) == {"ok": maximum, MentorshipErrorCode.MENTEE_MENTORS_FULL: RACERS - maximum}
        assert Mentorship.objects.filter(mentee=mentee, status=Mentorship.Status.ACTIVE).count() == maximum
