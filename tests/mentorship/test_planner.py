"""The nationwide planner: optimal against networkx, within every maximum, applied all or none."""

from __future__ import annotations

import itertools
import random

import networkx as nx
import pytest

from audit.models import AuditEvent
from common.errors import ServiceError
from facilities.models import Tier
from mentorship.errors import MentorshipErrorCode
from mentorship.models import Mentorship, MentorshipPlan, PlannedPair
from mentorship.services import planner
from mentorship.services.planner import PlannerInput, pair_cost, solve_explicit, solve_plan, solve_pooled
from network.models import Block, Notification, NotificationKind
from tests import factories

RING = {p: {(p - 1) % 5, (p + 1) % 5} for p in range(5)}


def random_input(seed: int, mentors: int = 6, mentees: int = 14, forbidden: int = 6) -> PlannerInput:
    rng = random.Random(seed)
    tiers = ["provincial", "commune"]
    slot_mentors, slot_tiers, slot_counts = [], [], []
    for mentor in range(mentors):
        for tier in tiers:
            slot_mentors.append(mentor)
            slot_tiers.append(tier)
            slot_counts.append(rng.randint(0, 3))
    mentee_ids = list(range(100, 100 + mentees))
    pairs = [(m, e) for m in range(mentors) for e in mentee_ids]
    return PlannerInput(
        mentor_ids=list(range(mentors)),
        mentor_provinces=[rng.randrange(5) for _ in range(mentors)],
        mentor_specialties=[rng.sample(range(4), rng.randint(0, 2)) for _ in range(mentors)],
        slot_mentors=slot_mentors,
        slot_tiers=slot_tiers,
        slot_counts=slot_counts,
        mentee_ids=mentee_ids,
        mentee_tiers=[rng.choice(tiers) for _ in range(mentees)],
        mentee_provinces=[rng.randrange(5) for _ in range(mentees)],
        mentee_specialties=[rng.sample(range(4), rng.randint(0, 2)) for _ in range(mentees)],
        mentee_capacities=[rng.randint(0, 2) for _ in range(mentees)],
        forbidden=set(rng.sample(pairs, forbidden)),
        neighbours=RING,
    )


def networkx_optimum(data: PlannerInput) -> tuple[int, int]:
    """Maximum flow and its minimum cost, computed independently on the explicit graph."""
    graph = nx.DiGraph()
    for slot, (mentor, tier, count) in enumerate(
        zip(data.slot_mentors, data.slot_tiers, data.slot_counts, strict=True)
    ):
        graph.add_edge("s", ("slot", slot), capacity=count, weight=0)
        for mentee, mentee_id in enumerate(data.mentee_ids):
            if data.mentee_tiers[mentee] != tier or (data.mentor_ids[mentor], mentee_id) in data.forbidden:
                continue
            shared = bool(set(data.mentor_specialties[mentor]) & set(data.mentee_specialties[mentee]))
            province = data.mentor_provinces[mentor]
            cost = pair_cost(province, data.mentee_provinces[mentee], shared, RING[province])
            graph.add_edge(("slot", slot), ("mentee", mentee), capacity=1, weight=cost)
    for mentee, capacity in enumerate(data.mentee_capacities):
        graph.add_edge(("mentee", mentee), "t", capacity=capacity, weight=0)
    flow = nx.max_flow_min_cost(graph, "s", "t")
    return sum(flow["s"].values()), nx.cost_of_flow(graph, flow)


def assert_valid(data: PlannerInput, pairs: list[planner.Pair]) -> None:
    """Every maximum respected, no excluded or repeated pair, tiers right."""
    keys = [(pair.mentor_id, pair.mentee_id) for pair in pairs]
    assert len(keys) == len(set(keys))
    assert not set(keys) & set(data.forbidden)
    per_slot: dict[tuple[int, str], int] = {}
    per_mentee: dict[int, int] = {}
    for pair in pairs:
        per_slot[(pair.mentor_id, pair.mentee_tier)] = per_slot.get((pair.mentor_id, pair.mentee_tier), 0) + 1
        per_mentee[pair.mentee_id] = per_mentee.get(pair.mentee_id, 0) + 1
        assert data.mentee_tiers[data.mentee_ids.index(pair.mentee_id)] == pair.mentee_tier
    for slot, (mentor, tier, count) in enumerate(
        zip(data.slot_mentors, data.slot_tiers, data.slot_counts, strict=True)
    ):
        assert per_slot.get((data.mentor_ids[mentor], tier), 0) <= count, slot
    for mentee, capacity in zip(data.mentee_ids, data.mentee_capacities, strict=True):
        assert per_mentee.get(mentee, 0) <= capacity


@pytest.mark.parametrize("seed", range(12))
def test_the_explicit_solution_is_optimal_against_networkx(seed):
    data = random_input(seed)
    result = solve_explicit(data)
    assert_valid(data, result.pairs)
    assert (result.filled, result.cost) == networkx_optimum(data)
    assert sum(pair.cost for pair in result.pairs) == result.cost


@pytest.mark.parametrize("seed", range(12))
def test_the_pooled_solution_fills_every_fillable_slot_and_is_optimal_when_it_says_so(seed):
    data = random_input(seed, mentors=8, mentees=40, forbidden=10)
    flow, cost = networkx_optimum(data)
    result = solve_pooled(data)
    assert_valid(data, result.pairs)
    assert result.filled == flow
    assert result.cost >= cost
    if result.status == planner.OPTIMAL:
        assert result.cost == cost
    else:
        assert (
            result.status == planner.MAXIMUM_FLOW
            and result.stats["cost_gap"] == result.cost - result.stats["relaxation_cost"]
        )


def test_the_pooled_relaxation_is_often_certified_optimal_and_never_wrong_when_certified():
    certified = 0
    for seed in range(10):
        data = random_input(seed, mentors=5, mentees=120, forbidden=0)
        flow, cost = networkx_optimum(data)
        result = solve_pooled(data)
        assert result.filled == flow and result.cost >= cost
        if result.status == planner.OPTIMAL:
            assert result.cost == cost
            certified += 1
    assert certified >= 3


def test_brute_force_agrees_on_tiny_instances():
    for seed in range(8):
        data = random_input(seed, mentors=2, mentees=4, forbidden=1)
        allowed = [
            (slot, mentee)
            for slot, (mentor, tier) in enumerate(zip(data.slot_mentors, data.slot_tiers, strict=True))
            for mentee, mentee_id in enumerate(data.mentee_ids)
            if data.mentee_tiers[mentee] == tier
            and (data.mentor_ids[mentor], mentee_id) not in data.forbidden
        ]
        best = (0, 0)
        for size in range(len(allowed) + 1):
            for chosen in itertools.combinations(allowed, size):
                if any(
                    sum(1 for s, _m in chosen if s == slot) > data.slot_counts[slot] for slot, _m in chosen
                ):
                    continue
                if any(
                    sum(1 for _s, m in chosen if m == mentee) > data.mentee_capacities[mentee]
                    for _s, mentee in chosen
                ):
                    continue
                total = 0
                for slot, mentee in chosen:
                    mentor = data.slot_mentors[slot]
                    shared = bool(set(data.mentor_specialties[mentor]) & set(data.mentee_specialties[mentee]))
                    province = data.mentor_provinces[mentor]
                    total += pair_cost(province, data.mentee_provinces[mentee], shared, RING[province])
                if (size, -total) > (best[0], -best[1]):
                    best = (size, total)
        result = solve_plan(data)
        assert (result.filled, result.cost) == best


def test_a_synthetic_country_is_planned_within_every_maximum():
    data = planner.synthetic_input(300, 3000, seed=1, open_fraction=0.3)
    result = solve_pooled(data)
    assert_valid(data, result.pairs)
    assert result.filled == result.bound == sum(data.slot_counts)


# --- In the database --------------------------------------------------------------------------


@pytest.fixture
def country(db):
    """Two central mentors in Hà Nội (province 1), candidates of each tier around them."""
    cardiology, oncology = factories.specialty(), factories.specialty("oncology", "Ung bướu", "Oncology")
    hanoi, far = factories.province(1), factories.province(96, "Cà Mau")
    mentors = [factories.doctor(tier=Tier.CENTRAL) for _ in range(2)]
    mentors[0].specialties.add(cardiology)
    mentors[1].specialties.add(oncology)
    mentees = []
    for tier, count in ((Tier.PROVINCIAL, 5), (Tier.DISTRICT, 5), (Tier.COMMUNE, 3)):
        for index in range(count):
            province = hanoi if index % 2 == 0 else far
            doctor = factories.doctor(facility=factories.facility(tier, province=province))
            doctor.specialties.add(cardiology if index % 3 == 0 else oncology)
            mentees.append(doctor)
    return mentors, mentees


def test_the_plan_fills_every_slot_within_the_maxima_and_is_audited(country):
    mentors, mentees = country
    commune = [m for m in mentees if m.facility.tier == Tier.COMMUNE]
    factories.mentorship(mentors[0], commune[0])  # one commune slot of two taken
    admin = factories.mentorship_admin()

    plan = planner.run_plan(admin)

    summary = plan.summary
    # Slots: 2 mentors x (4 + 4 + 2) - 1 = 19; room: 5 provincial, 5 district, 3 commune mentees x 2 - 1.
    assert summary["slots"] == 19
    assert summary["per_tier"]["provincial"]["filled"] == 8
    assert summary["per_tier"]["district"]["filled"] == 8
    assert summary["per_tier"]["commune"]["filled"] == 3
    assert summary["filled"] == summary["max_flow"] == 19 and summary["status"] == planner.OPTIMAL
    pairs = list(PlannedPair.objects.filter(plan=plan).values_list("mentor_id", "mentee_id", "mentee_tier"))
    assert (mentors[0].pk, commune[0].pk, Tier.COMMUNE) not in pairs
    assert sum(1 for m, _e, t in pairs if m == mentors[0].pk and t == Tier.COMMUNE) == 1
    per_mentee: dict[int, int] = {}
    for _m, mentee, _t in pairs:
        per_mentee[mentee] = per_mentee.get(mentee, 0) + 1
    assert per_mentee.get(commune[0].pk, 0) <= 1 and max(per_mentee.values()) <= 2
    assert AuditEvent.objects.filter(action="mentorship_plan.created", target_id=str(plan.pk)).exists()


def test_applying_proposes_every_pair_audits_and_notifies_both_doctors(
    country, django_capture_on_commit_callbacks
):
    admin = factories.mentorship_admin()
    plan = planner.run_plan(admin)
    count = plan.pairs.count()

    with django_capture_on_commit_callbacks(execute=True):
        applied = planner.apply_plan(admin, plan.public_id)

    assert applied.status == MentorshipPlan.Status.APPLIED and applied.applied_by == admin
    created = Mentorship.objects.filter(plan=plan)
    assert created.count() == count
    assert set(created.values_list("status", "proposed_as")) == {
        (Mentorship.Status.PROPOSED, Mentorship.Proposer.ADMINISTRATOR)
    }
    assert not created.filter(mentor_accepted_at__isnull=False).exists()
    assert AuditEvent.objects.filter(action="mentorship_plan.applied", target_id=str(plan.pk)).exists()
    assert AuditEvent.objects.filter(action="mentorship.proposed").count() == count
    assert Notification.objects.filter(kind=NotificationKind.MENTORSHIP_PROPOSED).count() == 2 * count
    with pytest.raises(ServiceError) as again:
        planner.apply_plan(admin, plan.public_id)
    assert again.value.errors[0].code == MentorshipErrorCode.PLAN_NOT_DRAFT


def test_a_stale_pair_refuses_the_whole_plan_and_creates_nothing(country):
    admin = factories.mentorship_admin()
    plan = planner.run_plan(admin)
    pair = plan.pairs.get(pk=plan.pairs.order_by("id").values_list("pk", flat=True)[0])
    Block.objects.create(blocker_id=pair.mentee_id, blocked_id=pair.mentor_id)

    with pytest.raises(ServiceError) as refused:
        planner.apply_plan(admin, plan.public_id)

    assert refused.value.errors[0].code == MentorshipErrorCode.PLAN_STALE
    assert not Mentorship.objects.exists()
    assert not Notification.objects.exists()
    assert not AuditEvent.objects.filter(
        action__in=["mentorship.proposed", "mentorship_plan.applied"]
    ).exists()
    plan.refresh_from_db()
    assert plan.status == MentorshipPlan.Status.DRAFT


def test_a_mentorship_started_since_the_plan_makes_it_stale(country):
    mentors, _mentees = country
    admin = factories.mentorship_admin()
    plan = planner.run_plan(admin)
    # A fifth provincial mentee for mentor 0, whose four provincial slots the plan fills.
    extra = factories.doctor(tier=Tier.PROVINCIAL)
    factories.mentorship(mentors[0], extra)
    with pytest.raises(ServiceError) as refused:
        planner.apply_plan(admin, plan.public_id)
    assert refused.value.errors[0].code == MentorshipErrorCode.PLAN_STALE
    assert Mentorship.objects.filter(plan=plan).count() == 0


def test_discarding_and_permissions(country):
    admin = factories.mentorship_admin()
    for outsider in (factories.doctor(), factories.mentorship_admin(totp=False)):
        with pytest.raises(ServiceError) as refused:
            planner.run_plan(outsider)
        assert refused.value.errors[0].code in {
            MentorshipErrorCode.PERMISSION_DENIED,
            MentorshipErrorCode.MFA_REQUIRED,
        }
    plan = planner.run_plan(admin)
    with pytest.raises(ServiceError):
        planner.apply_plan(factories.doctor(), plan.public_id)
    discarded = planner.discard_plan(admin, plan.public_id)
    assert discarded.status == MentorshipPlan.Status.DISCARDED
    assert AuditEvent.objects.filter(action="mentorship_plan.discarded").exists()
    with pytest.raises(ServiceError) as refused:
        planner.apply_plan(admin, plan.public_id)
    assert refused.value.errors[0].code == MentorshipErrorCode.PLAN_NOT_DRAFT
    assert not Mentorship.objects.exists()
