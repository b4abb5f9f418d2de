"""The synthetic country's mentorships (`seed_country`'s last step): every mentor at 60-100% of
the quota, no maximum exceeded on any date, sane intervals, activity that matches
``last_activity_at``, connected pairs, and the same data for the same seed."""

from __future__ import annotations

import math
from collections import Counter
from datetime import date, datetime, timedelta

import pytest
from django.db import connection
from django.db.models import Count, F, Max, Q
from django.utils import timezone

from accounts.management.seeding import country, mentorships, network
from accounts.models import User, VerificationStatus
from facilities.models import Tier
from mentorship.models import ComplianceAuditor, Mentorship, MentorshipActivity, QuotaRule
from mentorship.selectors.policy import policy_in_force
from network.models import Connection

pytestmark = pytest.mark.django_db

AS_OF = date(2026, 11, 26)
DOCTORS = 2000
FOUNDATION = [step for step in country.PIPELINE if type(step).__module__ != network.__name__]
WITHOUT_NETWORK = [*FOUNDATION, *mentorships.mentorship_steps()]
SMALL_NETWORK = network.network_steps(connections_per_doctor=4, cases_per_doctor=0.2, comments_per_case=1)
Status = Mentorship.Status


def seed(
    doctors: int = DOCTORS, seed: int = 7, reset: bool = False, pipeline: list | None = None
) -> country.CountryReport:
    return country.seed_country(
        country.CountryParameters(doctors=doctors, seed=seed, as_of=AS_OF),
        reset=reset,
        log=lambda _: None,
        pipeline=pipeline if pipeline is not None else WITHOUT_NETWORK,
    )


def as_of() -> datetime:
    return timezone.make_aware(datetime.combine(AS_OF, datetime.min.time()))


def scalar(sql: str, params: dict | None = None) -> object:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or {})
        return cursor.fetchone()[0]


def mentors() -> list[int]:
    return list(
        country.synthetic_users()
        .filter(facility__tier=Tier.CENTRAL, is_active=True, verification_status=VerificationStatus.VERIFIED)
        .values_list("pk", flat=True)
    )


def quota_rules() -> dict[str, QuotaRule]:
    policy = policy_in_force(AS_OF)
    return {rule.mentee_tier: rule for rule in policy.rules.filter(mentor_tier=Tier.CENTRAL)}


def test_every_central_mentor_fills_60_to_100_percent_of_the_quota_and_half_of_each_tier():
    seed()

    rules = quota_rules()
    required = sum(rule.required for rule in rules.values())
    active = Mentorship.objects.filter(status=Status.ACTIVE)
    per_tier = Counter(active.values_list("mentor_id", "mentee_tier"))
    totals = Counter(active.values_list("mentor_id", flat=True))
    everyone = mentors()
    assert len(everyone) > 120  # 8% of 2,000 doctors work at central hospitals, 90% verified
    assert set(totals) == set(everyone)
    for mentor in everyone:
        assert math.ceil(0.6 * required) <= totals[mentor] <= required
        for tier, rule in rules.items():
            assert math.ceil(rule.required / 2) <= per_tier[(mentor, tier)] <= rule.required
    fills = Counter(totals[mentor] for mentor in everyone)
    assert fills[required] > 0.1 * len(everyone)  # some are compliant...
    assert sum(n for filled, n in fills.items() if filled < required) > 0.5 * len(everyone)  # ...most not
    assert 0.6 < sum(totals.values()) / (required * len(everyone)) < 0.95


def test_only_verified_doctors_take_part_in_the_tiers_the_policy_pairs():
    seed()

    rules = quota_rules()
    verified = set(
        country.synthetic_users()
        .filter(verification_status=VerificationStatus.VERIFIED, facility__isnull=False)
        .values_list("pk", flat=True)
    )
    everything = Mentorship.objects.all()
    assert set(everything.values_list("mentor_id", flat=True)) <= verified
    assert set(everything.values_list("mentee_id", flat=True)) <= verified
    assert set(everything.values_list("mentor_tier", flat=True)) == {Tier.CENTRAL}
    assert set(everything.values_list("mentee_tier", flat=True)) == set(rules)
    assert not everything.exclude(mentor__facility__tier=F("mentor_tier")).exists()
    assert not everything.exclude(mentee__facility__tier=F("mentee_tier")).exists()
    with_specialty = everything.filter(specialty__isnull=False)
    assert with_specialty.count() > 0.2 * everything.count()
    assert not with_specialty.exclude(mentor__specialties=F("specialty")).exists()
    assert not with_specialty.exclude(mentee__specialties=F("specialty")).exists()


def test_no_maximum_is_exceeded_on_any_date():
    seed()

    policy = policy_in_force(AS_OF)
    assert not (
        Mentorship.objects.filter(status=Status.ACTIVE)
        .values("mentee")
        .annotate(n=Count("pk"))
        .filter(n__gt=policy.max_mentors_per_mentee)
        .exists()
    )
    # The most mentorships held at once are held at some mentorship's start: count at each one.
    overlapping = """
        SELECT max(n) FROM (
            SELECT (SELECT count(*) FROM mentorship_mentorship o
                     WHERE o.{side}_id = m.{side}_id {same_tier}
                       AND o.started_at <= m.started_at AND (o.ended_at IS NULL OR o.ended_at > m.started_at)) AS n
              FROM mentorship_mentorship m WHERE m.started_at IS NOT NULL) counts
    """
    most_per_mentor_tier = scalar(
        overlapping.format(side="mentor", same_tier="AND o.mentee_tier = m.mentee_tier")
    )
    most_per_mentee = scalar(overlapping.format(side="mentee", same_tier=""))
    assert most_per_mentor_tier == max(rule.maximum for rule in quota_rules().values())
    assert most_per_mentee <= policy.max_mentors_per_mentee
    exceeded = """
        SELECT count(*) FROM mentorship_mentorship m JOIN mentorship_quotarule r
            ON r.policy_id = %(policy)s AND r.mentor_tier = m.mentor_tier AND r.mentee_tier = m.mentee_tier
         WHERE m.started_at IS NOT NULL AND r.maximum < (
               SELECT count(*) FROM mentorship_mentorship o
                WHERE o.mentor_id = m.mentor_id AND o.mentee_tier = m.mentee_tier
                  AND o.started_at <= m.started_at AND (o.ended_at IS NULL OR o.ended_at > m.started_at))
    """
    assert scalar(exceeded, {"policy": policy.pk}) == 0
    # One open mentorship per pair (the database's constraint holds it too), none open twice.
    open_pairs = Mentorship.objects.filter(status__in=[Status.PROPOSED, Status.ACTIVE])
    assert open_pairs.values("mentor", "mentee").distinct().count() == open_pairs.count()


def test_intervals_are_sane_and_past_dates_see_other_mentorships():
    seed()
    end = as_of()

    started = Mentorship.objects.filter(started_at__isnull=False)
    assert set(started.values_list("status", flat=True)) == {Status.ACTIVE, Status.ENDED}
    assert not started.filter(
        Q(started_at__lt=F("proposed_at"))
        | Q(started_at__gte=end)
        | ~Q(decided_at=F("started_at"))
        | Q(started_at__lt=F("mentor__date_joined"))
        | Q(started_at__lt=F("mentee__date_joined"))
        | Q(mentor_accepted_at__isnull=True)
        | Q(mentee_accepted_at__isnull=True)
        | Q(expires_at__lt=F("started_at"))
    ).exists()
    ended = Mentorship.objects.filter(status=Status.ENDED)
    assert ended.count() > 0.1 * started.count()
    assert not ended.filter(
        Q(ended_at__lte=F("started_at")) | Q(ended_at__gte=end) | Q(end_reason="") | Q(ended_by__isnull=True)
    ).exists()
    assert not ended.exclude(Q(ended_by=F("mentor")) | Q(ended_by=F("mentee"))).exists()
    assert not Mentorship.objects.filter(status=Status.ACTIVE, ended_at__isnull=False).exists()
    pending = Mentorship.objects.filter(status=Status.PROPOSED)
    assert pending.count() > 0
    assert not pending.filter(
        Q(proposed_at__gte=end) | Q(expires_at__lte=end) | Q(started_at__isnull=False)
    ).exists()
    assert not pending.filter(mentor_accepted_at__isnull=True, mentee_accepted_at__isnull=True).exists()
    closed = Mentorship.objects.filter(status__in=[Status.DECLINED, Status.WITHDRAWN, Status.EXPIRED])
    assert closed.exists()
    assert not closed.filter(
        Q(decided_at__isnull=True) | Q(decided_at__gte=end) | Q(started_at__isnull=False)
    ).exists()

    def active_on(moment: datetime) -> int:
        return started.filter(
            Q(ended_at__isnull=True) | Q(ended_at__gt=moment), started_at__lte=moment
        ).count()

    today = active_on(end)
    assert today == Mentorship.objects.filter(status=Status.ACTIVE).count()
    earlier = [active_on(end - timedelta(days=days)) for days in (60, 180, 365)]
    assert today > earlier[0] > earlier[1] > earlier[2] > 0  # the programme grew
    lapsed_then = started.filter(
        status=Status.ENDED, started_at__lte=end - timedelta(days=90), ended_at__gt=end - timedelta(days=90)
    )
    assert lapsed_then.exists()  # an audit as of 90 days ago counts mentorships ended since


def test_activity_matches_last_activity_at_and_many_pairs_are_engaged_lately():
    seed()
    end = as_of()
    recent = end - timedelta(days=30)

    activities = MentorshipActivity.objects.all()
    assert activities.count() > 3 * Mentorship.objects.filter(status=Status.ACTIVE).count()
    assert not activities.filter(
        Q(occurred_at__lt=F("mentorship__started_at"))
        | Q(occurred_at__gte=end)
        | Q(mentorship__ended_at__isnull=False, occurred_at__gte=F("mentorship__ended_at"))
        | Q(mentorship__started_at__isnull=True)
    ).exists()
    latest = dict(
        activities.values("mentorship").annotate(last=Max("occurred_at")).values_list("mentorship", "last")
    )
    for pk, last in Mentorship.objects.values_list("pk", "last_activity_at"):
        assert last == latest.get(pk), pk
    assert set(activities.values_list("kind", flat=True)) == set(mentorships.ACTIVITY_KINDS)
    assert activities.values("mentorship", "kind", "subject_id").distinct().count() == activities.count()

    active = Mentorship.objects.filter(status=Status.ACTIVE)
    engaged = active.filter(last_activity_at__gte=recent).count()
    paper = active.filter(Q(last_activity_at__isnull=True) | Q(last_activity_at__lt=recent)).count()
    assert 0.5 * active.count() < engaged < 0.8 * active.count()
    assert paper > 0.2 * active.count()
    assert active.filter(last_activity_at__isnull=True).exists()
    assert active.filter(last_activity_at__lt=recent).exists()


def test_the_same_seed_gives_the_same_mentorships_and_another_seed_others():
    seed(seed=7)
    first = mentorships.mentorship_fingerprint()

    seed(seed=7, reset=True)
    again = mentorships.mentorship_fingerprint()
    seed(seed=8, reset=True)
    other = mentorships.mentorship_fingerprint()

    assert again == first
    assert other != first
    assert Mentorship.objects.exists()


def test_the_step_alone_rebuilds_the_same_mentorships_and_what_was_left_about_synthetic_people_goes():
    seed(doctors=600)
    before = mentorships.mentorship_fingerprint()
    doctor = mentors()[0]
    ComplianceAuditor.objects.create(user_id=doctor, scope="national")
    Mentorship.objects.filter(pk__in=Mentorship.objects.values("pk")[:5]).delete()
    assert mentorships.mentorship_fingerprint() != before

    timings = mentorships.seed_mentorships(country.CountryParameters(600, 7, AS_OF), log=lambda _: None)

    assert mentorships.mentorship_fingerprint() == before
    assert set(timings) == {"reset", "mentorships", "analyze"}
    assert not ComplianceAuditor.objects.filter(user_id=doctor).exists()


def test_every_pair_that_started_a_mentorship_is_connected_both_ways():
    seed(doctors=600, pipeline=[*FOUNDATION, *SMALL_NETWORK, *mentorships.mentorship_steps()])

    missing = """
        SELECT count(*) FROM mentorship_mentorship m
         WHERE m.started_at IS NOT NULL AND (
               NOT EXISTS (SELECT 1 FROM network_connection k WHERE k.doctor_id = m.mentor_id AND k.peer_id = m.mentee_id)
            OR NOT EXISTS (SELECT 1 FROM network_connection k WHERE k.doctor_id = m.mentee_id AND k.peer_id = m.mentor_id))
    """
    assert scalar(missing) == 0
    assert Mentorship.objects.filter(started_at__isnull=False).count() > 0
    one_sided = """
        SELECT count(*) FROM network_connection k WHERE NOT EXISTS (
            SELECT 1 FROM network_connection r
             WHERE r.doctor_id = k.peer_id AND r.peer_id = k.doctor_id AND r.created_at = k.created_at)
    """
    assert scalar(one_sided) == 0
    # The network's own connections came first; a pair connected by its mentorship since it began.
    made_by_mentorship = Connection.objects.filter(
        doctor__mentorships_as_mentor__mentee=F("peer"),
        created_at=F("doctor__mentorships_as_mentor__started_at"),
    )
    assert made_by_mentorship.exists()


def test_a_full_reset_replaces_the_mentorships_with_the_doctors():
    seed(doctors=300)
    old = set(Mentorship.objects.values_list("public_id", flat=True))
    assert old

    seed(doctors=300, seed=9, reset=True)

    new = set(Mentorship.objects.values_list("public_id", flat=True))
    assert new and not new & old
    assert not MentorshipActivity.objects.exclude(mentorship__public_id__in=new).exists()
    assert User.objects.filter(pk__in=Mentorship.objects.values("mentor")).count() > 0


def test_the_command_replaces_only_the_mentorships_when_asked():
    from io import StringIO

    from django.core.management import call_command

    seed(doctors=300)
    before = mentorships.mentorship_fingerprint()
    people = country.country_fingerprint()
    Mentorship.objects.filter(pk__in=Mentorship.objects.values("pk")[:3]).delete()
    out = StringIO()

    call_command(
        "seed_country",
        "--mentorships-only",
        "--doctors",
        "300",
        "--seed",
        "7",
        "--as-of",
        "2026-11-26",
        stdout=out,
    )

    assert mentorships.mentorship_fingerprint() == before
    assert country.country_fingerprint() == people
    assert f"Fingerprint: {before}" in out.getvalue()
