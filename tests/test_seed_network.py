"""The synthetic country's network (`seed_country` steps): deterministic, shaped like the rules
the services enforce (mutual connections, visibility, one level of replies), de-identified."""

from __future__ import annotations

import itertools
from datetime import date, datetime, time

import pytest
from django.db import connection
from django.db.models import Count, F, Q
from django.utils import timezone

from accounts.management.seeding import country, network
from accounts.models import User, VerificationStatus
from facilities.models import Tier
from network.identifier_guard import find_identifiers
from network.models import Case, CaseAudience, Comment, Connection, SpecialtyFollow
from tests import factories
from tests.network.test_cases_builders import comment_on, connect, published_case

pytestmark = pytest.mark.django_db

AS_OF = date(2026, 11, 26)
DOCTORS = 600
# A small country cannot hold 30 connections per doctor in each province: fewer, as in a town.
CONNECTIONS, CASES = 6, 2
SMALL_NETWORK = network.network_steps(connections_per_doctor=CONNECTIONS, cases_per_doctor=CASES)
FOUNDATION = [step for step in country.PIPELINE if type(step).__module__ != network.__name__]


def seed(
    doctors: int = DOCTORS, seed: int = 7, reset: bool = False, pipeline: list | None = None
) -> country.CountryReport:
    return country.seed_country(
        country.CountryParameters(doctors=doctors, seed=seed, as_of=AS_OF),
        reset=reset,
        log=lambda _: None,
        pipeline=pipeline if pipeline is not None else [*FOUNDATION, *SMALL_NETWORK],
    )


def scalar(sql: str) -> object:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()[0]


def members() -> set[int]:
    return set(
        country.synthetic_users()
        .filter(facility__isnull=False, verification_status__in=network.MEMBER_STATUSES)
        .values_list("pk", flat=True)
    )


def test_the_same_seed_gives_the_same_network_and_another_seed_another():
    seed(seed=7, pipeline=country.PIPELINE)
    first = network.network_fingerprint()

    seed(seed=7, reset=True, pipeline=country.PIPELINE)
    again = network.network_fingerprint()
    seed(seed=8, reset=True, pipeline=country.PIPELINE)
    other = network.network_fingerprint()

    assert again == first
    assert other != first
    assert Case.objects.exists() and Comment.objects.exists() and Connection.objects.exists()


def test_the_network_steps_alone_rebuild_the_same_network_over_existing_doctors():
    seed(seed=7, pipeline=country.PIPELINE)
    before = network.network_fingerprint()
    Connection.objects.filter(pk__in=Connection.objects.values("pk")[:10]).delete()
    assert network.network_fingerprint() != before

    network.seed_network(country.CountryParameters(DOCTORS, 7, AS_OF), log=lambda _: None)

    assert network.network_fingerprint() == before


def test_connections_are_mutual_two_rows_per_pair_without_self_or_duplicates():
    seed()

    rows = Connection.objects.count()
    assert rows == DOCTORS * CONNECTIONS  # two rows per pair
    assert not Connection.objects.filter(doctor=F("peer")).exists()
    assert Connection.objects.values("doctor", "peer").distinct().count() == rows
    one_sided = scalar(
        """SELECT count(*) FROM network_connection k WHERE NOT EXISTS (
               SELECT 1 FROM network_connection r
                WHERE r.doctor_id = k.peer_id AND r.peer_id = k.doctor_id AND r.created_at = k.created_at)"""
    )
    assert one_sided == 0
    connected = set(Connection.objects.values_list("doctor", flat=True))
    assert connected <= members()  # never a doctor who was never verified


def test_connections_are_mostly_between_colleagues_of_the_same_province():
    seed()

    same_province = Connection.objects.filter(
        doctor__facility__province=F("peer__facility__province")
    ).count()
    assert same_province > 0.5 * Connection.objects.count()
    degrees = sorted(Connection.objects.values("doctor").annotate(n=Count("pk")).values_list("n", flat=True))
    assert degrees[-1] > 2 * degrees[len(degrees) // 2]  # a few doctors are far better connected


def test_doctors_follow_specialties_they_mostly_practise():
    seed()

    follows = SpecialtyFollow.objects.count()
    own = SpecialtyFollow.objects.filter(doctor__specialties=F("specialty")).count()
    assert 0.8 * len(members()) < follows < 3 * len(members())
    assert own > 0.5 * follows
    assert set(SpecialtyFollow.objects.values_list("doctor", flat=True)) <= members()


def test_cases_are_published_de_identified_and_mostly_for_the_whole_network():
    seed()

    cases = Case.objects.filter(author__in=country.synthetic_users())
    assert cases.count() == DOCTORS * CASES
    assert not cases.filter(published_at__isnull=True).exists()
    assert set(cases.values_list("author", flat=True)) <= members()
    assert not cases.filter(published_at__lt=F("author__date_joined")).exists()
    # Published before the data set's last instant, not piled up on it (they would top every feed).
    last_instant = timezone.make_aware(datetime.combine(AS_OF, time.min))  # the seed's "now"
    assert not cases.filter(published_at__gte=last_instant).exists()
    by_visibility = dict(cases.values_list("visibility").annotate(n=Count("pk")))
    assert by_visibility[Case.Visibility.NETWORK] > 0.75 * cases.count()
    assert by_visibility[Case.Visibility.CONNECTIONS] > 0 and by_visibility[Case.Visibility.NAMED] > 0
    assert (
        0
        < cases.filter(Q(hidden_at__isnull=False) | Q(deleted_at__isnull=False)).count()
        < 0.02 * cases.count()
    )
    for case in cases.order_by("?")[:200]:
        for name in ("title", "presenting_problem", "history", "findings", "investigations", "question"):
            assert find_identifiers(getattr(case, name)) == [], (name, getattr(case, name))


def test_named_audiences_are_connections_of_the_author():
    seed()

    named = Case.objects.filter(visibility=Case.Visibility.NAMED)
    assert named.exists()
    assert not named.annotate(n=Count("audience")).filter(n=0).exists()
    assert set(CaseAudience.objects.values_list("case__visibility", flat=True)) == {Case.Visibility.NAMED}
    not_connected = scalar(
        """SELECT count(*) FROM network_caseaudience a JOIN network_case c ON c.id = a.case_id
            WHERE NOT EXISTS (SELECT 1 FROM network_connection k
                               WHERE k.doctor_id = c.author_id AND k.peer_id = a.doctor_id)"""
    )
    assert not_connected == 0


def test_every_comment_is_by_someone_who_may_see_its_case_with_one_level_of_replies():
    seed()

    comments = Comment.objects.all()
    cases = Case.objects.count()
    assert 2.5 * cases < comments.count() < 3.5 * cases
    assert 0.15 * comments.count() < comments.filter(parent__isnull=False).count() < 0.45 * comments.count()
    outside_audience = scalar(
        """SELECT count(*) FROM network_comment m JOIN network_case c ON c.id = m.case_id
            WHERE m.author_id <> c.author_id AND (
                  (c.visibility = 'connections' AND NOT EXISTS (
                      SELECT 1 FROM network_connection k WHERE k.doctor_id = c.author_id AND k.peer_id = m.author_id))
               OR (c.visibility = 'named' AND NOT EXISTS (
                      SELECT 1 FROM network_caseaudience a WHERE a.case_id = c.id AND a.doctor_id = m.author_id)))"""
    )
    assert outside_audience == 0
    assert set(comments.values_list("author", flat=True)) <= members()
    assert not comments.filter(created_at__lt=F("case__published_at")).exists()
    bad_replies = comments.filter(parent__isnull=False).filter(
        Q(parent__parent__isnull=False)
        | ~Q(parent__case=F("case"))
        | Q(created_at__lt=F("parent__created_at"))
    )
    assert not bad_replies.exists()
    for comment in comments.order_by("?")[:200]:
        assert find_identifiers(comment.body) == [], comment.body


def test_accepted_answers_are_top_level_comments_on_the_case_by_someone_else():
    seed()

    answered = Case.objects.filter(status=Case.Status.ANSWERED)
    assert answered.count() > 0.15 * Case.objects.count()
    assert not answered.filter(accepted_answer__isnull=True).exists()
    assert (
        not Case.objects.exclude(status=Case.Status.ANSWERED).filter(accepted_answer__isnull=False).exists()
    )
    assert not answered.filter(
        ~Q(accepted_answer__case=F("pk"))
        | Q(accepted_answer__parent__isnull=False)
        | Q(accepted_answer__author=F("author"))
    ).exists()


def test_every_case_and_comment_template_passes_the_identifier_guard():
    texts: set[str] = set()
    for scenario in network.SCENARIOS:
        for age_band, sex, duration, tier in itertools.product(
            scenario.ages, scenario.sexes, scenario.durations, Tier
        ):
            slots = {"who": network.who(age_band, sex), "dur": duration, "place": network.PLACES[tier]}
            slots |= {"ages": age_band}
            inner = {**slots, "who": network.lower_first(slots["who"])}
            texts.add(scenario.title.format(**(slots if scenario.title.startswith("{who}") else inner)))
            texts.update(
                part.format(**slots)
                for part in (
                    scenario.problem,
                    scenario.history,
                    scenario.findings,
                    scenario.investigations,
                    scenario.question,
                )
            )
    for opener, remark, closer in itertools.product(network.OPENERS, network.REMARKS, network.CLOSERS):
        texts.add(opener + remark + closer)
    texts.update(network.REPLIES)

    flagged = {text: spans for text in texts if (spans := find_identifiers(text))}

    assert len(texts) > 1000
    assert flagged == {}


def test_reset_replaces_only_synthetic_network_rows():
    real_doctor, real_peer = factories.doctor(), factories.doctor()
    connect(real_doctor, real_peer)
    real_case = published_case(real_doctor)
    real_comment = comment_on(real_case, real_peer)
    seed(doctors=100, pipeline=country.PIPELINE)
    synthetic_doctor = (
        country.synthetic_users().filter(verification_status=VerificationStatus.VERIFIED).first()
    )
    comment_on(real_case, synthetic_doctor)  # a synthetic doctor joined a real discussion

    seed(doctors=120, seed=9, reset=True, pipeline=country.PIPELINE)

    assert Connection.objects.filter(doctor=real_doctor, peer=real_peer).exists()
    assert Case.objects.filter(pk=real_case.pk).exists()
    assert list(Comment.objects.filter(case=real_case)) == [real_comment]
    assert Case.objects.filter(author__in=country.synthetic_users()).count() == 120 * network.CASES_PER_DOCTOR
    assert User.objects.filter(pk=synthetic_doctor.pk).count() == 0
