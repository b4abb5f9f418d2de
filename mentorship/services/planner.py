"""The nationwide planner: proposals that fill as many open mentoring slots as any assignment
can (maximum flow), preferring specialty match and geographic proximity (minimum cost), within
every maximum; the administrator reviews the plan, then applies it (all or none) or discards it.

**Slots and capacities** (the policy in force today). A mentor is an active verified doctor
whose facility's tier has a rule; for each mentee tier of their rule they have
``maximum - open`` slots, and a candidate mentee has ``max_mentors_per_mentee - open`` room,
where *open* counts active mentorships **and open proposals**. Proposals do not consume quota
(acceptance enforces it), but a plan that ignored them would propose pairs whose acceptance is
bound to be refused. Pairs already open, pairs blocked either way and self-pairs are excluded.

**Cost of a pair** (what the plan minimises among maximum flows), a function of two classes
only, so that the network can be pooled exactly::

    cost = geography + specialty
    geography: same province 0, neighbouring province (facilities.geography) 10, elsewhere 30
    specialty: the two doctors share a specialty 0, they do not 40

A specialty match thus always wins over proximity (as in the suggestions' ranking), and
proximity decides among matched (or among unmatched) pairs.

**The network** (OR-Tools ``SimpleMinCostFlow.solve_max_flow_with_min_cost``). A full bipartite
graph (15,000 by 185,000) is out of the question, and a sparse k-nearest one may lose flow. The
network is layered instead, per mentee tier ``t`` and specialty class ``s`` (a specialty, or
``*`` for "any, unmatched")::

    slot(mentor, t) --0 or 40--> O(t, mentor's province, s) --0/10--> G(t, province, s) --> mentee
                                                           \\--30--> N(t, s) --0--> G(t, any, s)

A mentor reaches ``O(.., s)`` for each of their specialties at cost 0 and ``O(.., *)`` at 40; a
mentee is reached from ``G(.., s)`` for each of their specialties and from ``G(.., *)``. Every
allowed pair therefore has a path whose cost is exactly its cost (and no cheaper one), so the
pooled network is an exact relaxation: its maximum flow bounds the true one from above and its
cost from below. Its size is O((slots + mentees) * specialties + provinces^2).

**Decomposition.** Within a pool every mentor unit may meet every mentee unit at the same
cost; units are paired pool by pool, avoiding excluded pairs and pairing a mentor twice with
one mentee, swapping with pairs already made when needed. When every unit finds a partner the
plan reaches the relaxation's bound and is **optimal** (certified, ``status: OPTIMAL``). When
it does not (tiny pools dominated by excluded pairs), the instance is solved again on the
explicit bipartite network (exact; kept for instances up to ``EXPLICIT_ARC_LIMIT`` arcs).

**Applying** locks every doctor of the plan (the pair lock's ``FOR NO KEY UPDATE``, in id
order), re-checks each pair against today's policy and the mentorships opened since, and then
creates every proposal, or refuses with ``PLAN_STALE`` and creates none. Proposals made by the
planner need both doctors' acceptance, where the quota is enforced again under the pair lock:
the locks here only make the plan's own counts exact while it is written.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections import defaultdict, deque
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

import numpy as np
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from ortools.graph.python import min_cost_flow

from accounts.models import User
from accounts.selectors import verified_doctors_q
from audit.services import record, record_many
from common.errors import ServiceError
from common.realtime import event_message, user_group
from facilities.geography import neighbouring_provinces
from mentorship.errors import MentorshipErrorCode
from mentorship.models import Mentorship, MentorshipPlan, PlannedPair, QuotaPolicy
from mentorship.selectors.policy import policy_in_force
from mentorship.services.mentorships import ADMIN_PROPOSED_TITLE, OPEN
from mentorship.services.permissions import require_mentorship_admin
from network.models import Block, Notification, NotificationKind, NotificationMute
from network.services.notifications import NOTIFICATION_ADDED_EVENT

logger = logging.getLogger(__name__)

SAME_PROVINCE_COST = 0
NEIGHBOURING_PROVINCE_COST = 10
ELSEWHERE_COST = 30
SPECIALTY_MISMATCH_COST = 40
COST_FUNCTION = {
    "same_province": SAME_PROVINCE_COST,
    "neighbouring_province": NEIGHBOURING_PROVINCE_COST,
    "elsewhere": ELSEWHERE_COST,
    "specialty_mismatch": SPECIALTY_MISMATCH_COST,
}
# Beyond this many arcs the explicit (exact) fallback is not attempted.
EXPLICIT_ARC_LIMIT = 3_000_000
# Pairs stored in the summary as a first look (the rest are paged through GraphQL).
SUMMARY_SAMPLE = 20
# Candidates per slot (beyond twice its open slots) in the sparse re-solve.
SPARSE_CANDIDATES_PER_SLOT = 12
UNMATCHED = -1  # the specialty class "*"

OPTIMAL = "OPTIMAL"
# Every fillable slot filled (the relaxation's bound reached), cost within ``cost_gap`` of the optimum.
MAXIMUM_FLOW = "MAXIMUM_FLOW"
FEASIBLE = "FEASIBLE"  # pairs valid, but the relaxation's bound not reached (see summary)
NOTHING_TO_PLAN = "NOTHING_TO_PLAN"


# --- The instance, as plain arrays -----------------------------------------------------------


@dataclass
class PlannerInput:
    """Everything the solver needs, without the database (the benchmark builds one directly).

    Mentors and mentees are indexed separately (a doctor may be both); ``slot_*`` are parallel
    arrays, one row per (mentor, mentee tier) with open slots; ``forbidden`` holds
    (mentor id, mentee id) pairs that may not be proposed (already open, blocked either way).
    ``neighbours`` maps a province to its neighbours (``facilities.geography`` by default).
    """

    mentor_ids: Sequence[int]
    mentor_provinces: Sequence[int]
    mentor_specialties: Sequence[Collection[int]]
    slot_mentors: Sequence[int]
    slot_tiers: Sequence[str]
    slot_counts: Sequence[int]
    mentee_ids: Sequence[int]
    mentee_tiers: Sequence[str]
    mentee_provinces: Sequence[int]
    mentee_specialties: Sequence[Collection[int]]
    mentee_capacities: Sequence[int]
    forbidden: Collection[tuple[int, int]] = ()
    neighbours: Mapping[int, Collection[int]] | None = None

    def neighbours_of(self, province: int) -> Collection[int]:
        if self.neighbours is None:
            return neighbouring_provinces(province)
        return self.neighbours.get(province, ())


@dataclass(frozen=True)
class Pair:
    mentor_id: int
    mentee_id: int
    mentee_tier: str
    specialty_id: int | None
    cost: int


@dataclass
class PlannerResult:
    pairs: list[Pair]
    status: str
    method: str  # "pooled" or "explicit"
    bound: int  # the pooled relaxation's maximum flow (an upper bound of any plan)
    cost: int
    arcs: int
    nodes: int
    seconds: float
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def filled(self) -> int:
        return len(self.pairs)


def pair_cost(
    mentor_province: int,
    mentee_province: int,
    shared_specialty: bool,
    neighbours: Collection[int],
) -> int:
    """The cost of one pair (see the module's docstring); ``neighbours`` are the mentor's
    province's."""
    if mentor_province == mentee_province:
        geography = SAME_PROVINCE_COST
    elif mentee_province in neighbours:
        geography = NEIGHBOURING_PROVINCE_COST
    else:
        geography = ELSEWHERE_COST
    return geography + (0 if shared_specialty else SPECIALTY_MISMATCH_COST)


def _shared(first: Collection[int], second: Collection[int]) -> int | None:
    common = set(first).intersection(second)
    return min(common) if common else None


# --- Solving ---------------------------------------------------------------------------------


class _Network:
    """Arcs collected in lists, handed to OR-Tools as arrays in one call."""

    def __init__(self) -> None:
        self.tails: list[int] = []
        self.heads: list[int] = []
        self.capacities: list[int] = []
        self.costs: list[int] = []
        self.nodes = 0

    def node(self) -> int:
        self.nodes += 1
        return self.nodes - 1

    def arc(self, tail: int, head: int, capacity: int, cost: int) -> int:
        self.tails.append(tail)
        self.heads.append(head)
        self.capacities.append(capacity)
        self.costs.append(cost)
        return len(self.tails) - 1

    def solve(self, supplies: np.ndarray) -> tuple[min_cost_flow.SimpleMinCostFlow, np.ndarray]:
        solver = min_cost_flow.SimpleMinCostFlow()
        if self.tails:
            arcs = solver.add_arcs_with_capacity_and_unit_cost(
                np.asarray(self.tails, dtype=np.int32),
                np.asarray(self.heads, dtype=np.int32),
                np.asarray(self.capacities, dtype=np.int64),
                np.asarray(self.costs, dtype=np.int64),
            )
        else:
            arcs = np.zeros(0, dtype=np.int64)
        solver.set_nodes_supplies(np.arange(len(supplies), dtype=np.int32), supplies.astype(np.int64))
        status = solver.solve_max_flow_with_min_cost()
        if status != solver.OPTIMAL:
            raise RuntimeError(f"min cost flow failed: status {status}")
        flows = solver.flows(arcs) if len(arcs) else np.zeros(0, dtype=np.int64)
        return solver, flows


def _supplies(data: PlannerInput, nodes: int) -> np.ndarray:
    supplies = np.zeros(nodes, dtype=np.int64)
    slots = len(data.slot_mentors)
    supplies[:slots] = np.asarray(data.slot_counts, dtype=np.int64)
    supplies[slots : slots + len(data.mentee_ids)] = -np.asarray(data.mentee_capacities, dtype=np.int64)
    return supplies


def solve_plan(data: PlannerInput, *, method: str = "auto") -> PlannerResult:
    """The plan: a maximum flow of minimum cost. ``auto`` solves small instances (up to
    ``EXPLICIT_ARC_LIMIT`` allowed pairs) on the explicit network, others on the pooled one
    (see the module's docstring); ``explicit`` or ``pooled`` forces one."""
    if method == "explicit" or (method == "auto" and _explicit_arcs(data) <= EXPLICIT_ARC_LIMIT):
        return solve_explicit(data)
    return solve_pooled(data)


def solve_pooled(data: PlannerInput) -> PlannerResult:
    """The pooled network's flow, decomposed into pairs. Node order: slots, mentees, pools."""
    started = time.perf_counter()
    slots, mentees = len(data.slot_mentors), len(data.mentee_ids)
    net = _Network()
    net.nodes = slots + mentees
    big = max(1, int(sum(data.slot_counts)))

    # Mentee side: G(t, province, s) pools, each mentee reached from its classes.
    pools_g: dict[tuple[str, int, int], int] = {}
    by_class: dict[tuple[str, int], list[tuple[int, int]]] = defaultdict(list)  # (t, s) -> (province, G)
    mentee_arcs: list[int] = []  # arc index -> its mentee is the head
    for index in range(mentees):
        if data.mentee_capacities[index] <= 0:
            continue
        tier, province = data.mentee_tiers[index], data.mentee_provinces[index]
        for specialty in (*data.mentee_specialties[index], UNMATCHED):
            key = (tier, province, specialty)
            pool = pools_g.get(key)
            if pool is None:
                pool = pools_g[key] = net.node()
                by_class[(tier, specialty)].append((province, pool))
            mentee_arcs.append(net.arc(pool, slots + index, data.mentee_capacities[index], 0))

    # Mentor side: O(t, province, s), then O -> G (same, neighbouring) and O -> N(t, s) -> G.
    pools_o: dict[tuple[str, int, int], int] = {}
    slot_arcs: list[int] = []
    for index in range(slots):
        if data.slot_counts[index] <= 0:
            continue
        mentor = data.slot_mentors[index]
        tier, province = data.slot_tiers[index], data.mentor_provinces[mentor]
        for specialty in (*data.mentor_specialties[mentor], UNMATCHED):
            if (tier, specialty) not in by_class:
                continue
            key = (tier, province, specialty)
            pool = pools_o.get(key)
            if pool is None:
                pool = pools_o[key] = net.node()
            cost = SPECIALTY_MISMATCH_COST if specialty == UNMATCHED else 0
            slot_arcs.append(net.arc(index, pool, data.slot_counts[index], cost))
    national: dict[tuple[str, int], int] = {}
    pool_arcs = _PoolArcs()
    for (tier, province, specialty), pool in pools_o.items():
        for other, cost in (
            (province, SAME_PROVINCE_COST),
            *((neighbour, NEIGHBOURING_PROVINCE_COST) for neighbour in data.neighbours_of(province)),
        ):
            target = pools_g.get((tier, other, specialty))
            if target is not None:
                pool_arcs.direct.append(net.arc(pool, target, big, cost))
        hub = national.get((tier, specialty))
        if hub is None:
            hub = national[(tier, specialty)] = net.node()
            for _province, target in by_class[(tier, specialty)]:
                pool_arcs.from_hub.append(net.arc(hub, target, big, 0))
        pool_arcs.to_hub.append(net.arc(pool, hub, big, ELSEWHERE_COST))
    built = time.perf_counter()

    solver, flows = net.solve(_supplies(data, net.nodes))
    bound, cost = int(solver.maximum_flow()), int(solver.optimal_cost())
    solved = time.perf_counter()

    pairs, leftover = _decompose(data, net, flows, slot_arcs, pool_arcs, mentee_arcs)
    decomposed = time.perf_counter()
    stats: dict[str, Any] = {
        "build_seconds": round(built - started, 3),
        "solve_seconds": round(solved - built, 3),
        "decompose_seconds": round(decomposed - solved, 3),
        "relaxation_cost": cost,
        "unpaired_units": leftover,
    }
    method = "pooled"
    if leftover:
        # The relaxation paired some mentor twice with one mentee (or an excluded pair): solve
        # again, exactly, on a sparse network holding the pairs found plus each slot's cheapest
        # candidates, where the unpaired units can take paths through the pairs already made.
        # First, cheaply: the pairs found stay; each unpaired unit gets its cheapest candidates
        # among the room left. Only when that misses the bound: everything again, sparsely.
        extra, arcs = _resolve_sparse(_residual(data, pairs), [])
        method = "pooled+repair"
        if len(pairs) + len(extra) < bound:
            extra, arcs = _resolve_sparse(data, pairs)
            pairs, method = [], "pooled+sparse"
        pairs = pairs + extra
        stats["repair_arcs"] = arcs
        stats["repair_seconds"] = round(time.perf_counter() - decomposed, 3)
    filled_cost = sum(pair.cost for pair in pairs)
    if leftover == 0 and filled_cost != cost:
        raise RuntimeError("The decomposition does not add up to the flow's cost.")
    certified = len(pairs) == bound and filled_cost == cost
    stats["cost_gap"] = filled_cost - cost if len(pairs) == bound else None
    return PlannerResult(
        pairs=pairs,
        status=OPTIMAL if certified else (MAXIMUM_FLOW if len(pairs) == bound else FEASIBLE),
        method=method,
        bound=bound,
        cost=filled_cost,
        arcs=len(net.tails),
        nodes=net.nodes,
        seconds=round(time.perf_counter() - started, 3),
        stats=stats,
    )


def _resolve_sparse(data: PlannerInput, found: list[Pair]) -> tuple[list[Pair], int]:
    slots = len(data.slot_mentors)
    net = _Network()
    net.nodes = slots + len(data.mentee_ids)
    forbidden = set(data.forbidden)
    pools: dict[tuple[str, int, int], list[int]] = defaultdict(list)
    provinces: set[int] = set()
    for index in range(len(data.mentee_ids)):
        if data.mentee_capacities[index] > 0:
            provinces.add(data.mentee_provinces[index])
            for specialty in (*data.mentee_specialties[index], UNMATCHED):
                pools[(data.mentee_tiers[index], data.mentee_provinces[index], specialty)].append(index)
    ordered_provinces = sorted(provinces)
    mentee_index = {mentee_id: index for index, mentee_id in enumerate(data.mentee_ids)}
    slot_of = _slot_index(data)
    seen = {(slot_of[(pair.mentor_id, pair.mentee_tier)], mentee_index[pair.mentee_id]) for pair in found}
    for slot in range(slots):
        count = data.slot_counts[slot]
        if count <= 0:
            continue
        mentor = data.slot_mentors[slot]
        mentor_id, province, tier = (
            data.mentor_ids[mentor],
            data.mentor_provinces[mentor],
            data.slot_tiers[slot],
        )
        neighbours = data.neighbours_of(province)
        rotation = (mentor * 7919) % max(1, len(ordered_provinces))
        far = [
            q
            for q in ordered_provinces[rotation:] + ordered_provinces[:rotation]
            if q != province and q not in neighbours
        ]
        near = [province, *sorted(neighbours)]
        wanted, per_pool = SPARSE_CANDIDATES_PER_SLOT + 2 * count, max(4, 2 * count)
        taken = 0
        # Cheapest classes first: matched near, matched far, unmatched near, unmatched far.
        for specialties, where in (
            (data.mentor_specialties[mentor], near),
            (data.mentor_specialties[mentor], far),
            ((UNMATCHED,), near),
            ((UNMATCHED,), far),
        ):
            for q in where:
                for specialty in specialties:
                    pool = pools.get((tier, q, specialty), [])
                    start = (mentor * 104729) % len(pool) if pool else 0
                    from_pool = 0
                    for offset in range(len(pool)):
                        mentee = pool[(start + offset) % len(pool)]
                        if (slot, mentee) in seen or (mentor_id, data.mentee_ids[mentee]) in forbidden:
                            continue
                        seen.add((slot, mentee))
                        taken += 1
                        from_pool += 1
                        if from_pool >= per_pool or taken >= wanted:
                            break
                    if taken >= wanted:
                        break
                if taken >= wanted:
                    break
            if taken >= wanted:
                break
    arcs = [(slot, mentee) for slot, mentee in seen]
    pair_arcs = []
    for slot, mentee in arcs:
        mentor = data.slot_mentors[slot]
        province = data.mentor_provinces[mentor]
        shared = _shared(data.mentor_specialties[mentor], data.mentee_specialties[mentee]) is not None
        cost = pair_cost(province, data.mentee_provinces[mentee], shared, data.neighbours_of(province))
        pair_arcs.append((net.arc(slot, slots + mentee, 1, cost), slot, mentee))
    _solver, flows = net.solve(_supplies(data, net.nodes))
    return [_pair(data, slot, mentee) for arc, slot, mentee in pair_arcs if flows[arc]], len(pair_arcs)


def _residual(data: PlannerInput, pairs: list[Pair]) -> PlannerInput:
    """``data`` less what ``pairs`` take: slots and room, and the pairs themselves."""
    slot_of = _slot_index(data)
    mentee_index = {mentee_id: index for index, mentee_id in enumerate(data.mentee_ids)}
    counts, capacities = list(data.slot_counts), list(data.mentee_capacities)
    for pair in pairs:
        counts[slot_of[(pair.mentor_id, pair.mentee_tier)]] -= 1
        capacities[mentee_index[pair.mentee_id]] -= 1
    forbidden = set(data.forbidden)
    forbidden.update((pair.mentor_id, pair.mentee_id) for pair in pairs)
    return replace(data, slot_counts=counts, mentee_capacities=capacities, forbidden=forbidden)


def _slot_index(data: PlannerInput) -> dict[tuple[int, str], int]:
    return {
        (data.mentor_ids[mentor], tier): slot
        for slot, (mentor, tier) in enumerate(zip(data.slot_mentors, data.slot_tiers, strict=True))
    }


@dataclass
class _PoolArcs:
    direct: list[int] = field(default_factory=list)  # O -> G
    to_hub: list[int] = field(default_factory=list)  # O -> N
    from_hub: list[int] = field(default_factory=list)  # N -> G


def _round_robin(units: list[tuple[int, int]]) -> list[int]:
    """(item, count) expanded so that an item's copies are as far apart as possible."""
    out: list[int] = []
    remaining = [[item, count] for item, count in units if count > 0]
    while remaining:
        for entry in remaining:
            out.append(entry[0])
            entry[1] -= 1
        remaining = [entry for entry in remaining if entry[1] > 0]
    return out


def _decompose(
    data: PlannerInput,
    net: _Network,
    flows: np.ndarray,
    slot_arcs: list[int],
    pool_arcs: _PoolArcs,
    mentee_arcs: list[int],
) -> tuple[list[Pair], int]:
    """Pairs from the pooled flow; returns them and how many units found no valid partner."""
    slots = len(data.slot_mentors)
    tails, heads = net.tails, net.heads

    # Mentor units per O pool, round robin over its slots.
    into_o: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for arc in slot_arcs:
        if flows[arc]:
            into_o[heads[arc]].append((tails[arc], int(flows[arc])))
    units_o = {pool: deque(_round_robin(units)) for pool, units in into_o.items()}

    # Flow into each G from each O, directly or through a national hub (any matching of the
    # hub's inflows with its outflows is a valid decomposition: same cost whatever it is).
    hub_in: dict[int, list[list[int]]] = defaultdict(list)
    hub_out: dict[int, list[list[int]]] = defaultdict(list)
    into_g: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for arc in pool_arcs.direct:
        if flows[arc]:
            into_g[heads[arc]].append((tails[arc], int(flows[arc])))
    for arc in pool_arcs.to_hub:
        if flows[arc]:
            hub_in[heads[arc]].append([tails[arc], int(flows[arc])])
    for arc in pool_arcs.from_hub:
        if flows[arc]:
            hub_out[tails[arc]].append([heads[arc], int(flows[arc])])
    for hub, incoming in hub_in.items():
        outgoing: list[list[int]] = hub_out[hub]
        i = j = 0
        while i < len(incoming) and j < len(outgoing):
            amount = min(incoming[i][1], outgoing[j][1])
            into_g[outgoing[j][0]].append((incoming[i][0], amount))
            incoming[i][1] -= amount
            outgoing[j][1] -= amount
            i += incoming[i][1] == 0
            j += outgoing[j][1] == 0

    out_of_g: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for arc in mentee_arcs:
        if flows[arc]:
            out_of_g[tails[arc]].append((heads[arc] - slots, int(flows[arc])))

    forbidden = set(data.forbidden)
    used: set[tuple[int, int]] = set()
    pairs: list[Pair] = []
    leftover = 0

    def allowed(slot: int, mentee: int) -> bool:
        key = (data.mentor_ids[data.slot_mentors[slot]], data.mentee_ids[mentee])
        return key not in forbidden and (slot, mentee) not in used

    for pool, arriving in into_g.items():
        mentor_units: list[int] = []
        for source, amount in arriving:
            queue = units_o[source]
            mentor_units.extend(queue.popleft() for _unit in range(amount))
        mentee_units = deque(_round_robin(out_of_g[pool]))
        made: list[list[int]] = []
        for slot in mentor_units:
            partner = _take(mentee_units, lambda mentee, slot=slot: allowed(slot, mentee))
            if partner is None:
                partner = _swap(slot, mentee_units, made, allowed, used)
            if partner is None:
                leftover += 1
                continue
            used.add((slot, partner))
            made.append([slot, partner])
        pairs.extend(_pair(data, slot, mentee) for slot, mentee in made)
    return pairs, leftover


def _take(units: deque[int], ok: Any) -> int | None:
    for _turn in range(len(units)):
        unit = units.popleft()
        if ok(unit):
            return unit
        units.append(unit)
    return None


def _swap(
    slot: int, units: deque[int], made: list[list[int]], allowed: Any, used: set[tuple[int, int]]
) -> int | None:
    """Give ``slot`` the mentee of a pair already made, whose mentor takes a remaining unit."""
    for entry in made:
        other_slot, mentee = entry
        if not allowed(slot, mentee):
            continue
        for _turn in range(len(units)):
            unit = units.popleft()
            if allowed(other_slot, unit):
                used.discard((other_slot, mentee))
                used.add((other_slot, unit))
                entry[1] = unit
                return mentee
            units.append(unit)
    return None


def _pair(data: PlannerInput, slot: int, mentee: int) -> Pair:
    mentor = data.slot_mentors[slot]
    province = data.mentor_provinces[mentor]
    specialty = _shared(data.mentor_specialties[mentor], data.mentee_specialties[mentee])
    return Pair(
        mentor_id=data.mentor_ids[mentor],
        mentee_id=data.mentee_ids[mentee],
        mentee_tier=data.slot_tiers[slot],
        specialty_id=specialty,
        cost=pair_cost(
            province, data.mentee_provinces[mentee], specialty is not None, data.neighbours_of(province)
        ),
    )


def _explicit_arcs(data: PlannerInput) -> int:
    per_tier: dict[str, int] = defaultdict(int)
    for index, tier in enumerate(data.mentee_tiers):
        per_tier[tier] += data.mentee_capacities[index] > 0
    return sum(per_tier[tier] for index, tier in enumerate(data.slot_tiers) if data.slot_counts[index] > 0)


def solve_explicit(data: PlannerInput) -> PlannerResult:
    """The same problem on the explicit bipartite network (one arc per allowed pair): exact, for
    small instances and for the pooled decomposition's rare failures."""
    started = time.perf_counter()
    slots = len(data.slot_mentors)
    net = _Network()
    net.nodes = slots + len(data.mentee_ids)
    forbidden = set(data.forbidden)
    by_tier: dict[str, list[int]] = defaultdict(list)
    for index, tier in enumerate(data.mentee_tiers):
        if data.mentee_capacities[index] > 0:
            by_tier[tier].append(index)
    pair_arcs: list[tuple[int, int, int]] = []
    for slot in range(slots):
        if data.slot_counts[slot] <= 0:
            continue
        mentor = data.slot_mentors[slot]
        mentor_id, province = data.mentor_ids[mentor], data.mentor_provinces[mentor]
        neighbours = data.neighbours_of(province)
        for mentee in by_tier[data.slot_tiers[slot]]:
            if (mentor_id, data.mentee_ids[mentee]) in forbidden or mentor_id == data.mentee_ids[mentee]:
                continue
            shared = _shared(data.mentor_specialties[mentor], data.mentee_specialties[mentee]) is not None
            cost = pair_cost(province, data.mentee_provinces[mentee], shared, neighbours)
            pair_arcs.append((net.arc(slot, slots + mentee, 1, cost), slot, mentee))
    solver, flows = net.solve(_supplies(data, net.nodes))
    pairs = [_pair(data, slot, mentee) for arc, slot, mentee in pair_arcs if flows[arc]]
    flow = int(solver.maximum_flow())
    return PlannerResult(
        pairs=pairs,
        status=OPTIMAL,
        method="explicit",
        bound=flow,
        cost=int(solver.optimal_cost()),
        arcs=len(net.tails),
        nodes=net.nodes,
        seconds=round(time.perf_counter() - started, 3),
    )


def synthetic_input(
    mentors: int = 15_000,
    candidates: int = 185_000,
    *,
    seed: int = 0,
    provinces: int = 34,
    specialties: int = 40,
    max_mentors_per_mentee: int = 2,
    rules: Mapping[str, int] | None = None,
    open_fraction: float = 0.0,
) -> PlannerInput:
    """A random country for timing the planner without the database: mentors of the central
    tier with ``rules`` (mentee tier → maximum, the default policy's 4/4/2), candidates spread
    over the mentee tiers, provinces on a ring (each bordering the next two either side), one
    to three specialties each. ``open_fraction`` of the mentors already have one open
    mentorship per tier (one slot fewer, a forbidden pair, one unit less of the mentee's room)."""
    rng = np.random.default_rng(seed)
    rules = dict(rules or {"provincial": 4, "district": 4, "commune": 2})
    tiers = list(rules)
    ring = {p: {(p + d) % provinces for d in (-2, -1, 1, 2)} - {p} for p in range(provinces)}

    def specialties_of(count: int) -> list[tuple[int, ...]]:
        sizes = rng.integers(1, 4, size=count)
        # Skewed: a few specialties are common, as in a real country.
        draws = np.minimum(rng.zipf(1.6, size=(count, 3)) - 1, specialties - 1)
        return [tuple(sorted(set(row[:size].tolist()))) for row, size in zip(draws, sizes, strict=True)]

    mentee_ids = list(range(1_000_000, 1_000_000 + candidates))
    mentee_tiers = [tiers[i] for i in rng.integers(0, len(tiers), size=candidates)]
    mentee_capacities = [max_mentors_per_mentee] * candidates
    slot_mentors: list[int] = []
    slot_tiers: list[str] = []
    slot_counts: list[int] = []
    forbidden: set[tuple[int, int]] = set()
    by_tier: dict[str, list[int]] = defaultdict(list)
    for index, tier in enumerate(mentee_tiers):
        by_tier[tier].append(index)
    has_open = rng.random(mentors) < open_fraction
    for mentor in range(mentors):
        for tier, maximum in rules.items():
            taken = 0
            if has_open[mentor] and by_tier[tier]:
                mentee = by_tier[tier][int(rng.integers(0, len(by_tier[tier])))]
                if mentee_capacities[mentee] > 0 and (mentor, mentee_ids[mentee]) not in forbidden:
                    forbidden.add((mentor, mentee_ids[mentee]))
                    mentee_capacities[mentee] -= 1
                    taken = 1
            slot_mentors.append(mentor)
            slot_tiers.append(tier)
            slot_counts.append(maximum - taken)
    return PlannerInput(
        mentor_ids=list(range(mentors)),
        mentor_provinces=rng.integers(0, provinces, size=mentors).tolist(),
        mentor_specialties=specialties_of(mentors),
        slot_mentors=slot_mentors,
        slot_tiers=slot_tiers,
        slot_counts=slot_counts,
        mentee_ids=mentee_ids,
        mentee_tiers=mentee_tiers,
        mentee_provinces=rng.integers(0, provinces, size=candidates).tolist(),
        mentee_specialties=specialties_of(candidates),
        mentee_capacities=mentee_capacities,
        forbidden=forbidden,
        neighbours=ring,
    )


# --- The plan in the database ----------------------------------------------------------------

DoctorSpecialty = User.specialties.through


def _open_counts() -> tuple[dict[tuple[int, str], int], dict[int, int], set[tuple[int, int]]]:
    """Open mentorships (proposed or active): per (mentor, mentee tier), per mentee, and pairs."""
    per_mentor: dict[tuple[int, str], int] = defaultdict(int)
    per_mentee: dict[int, int] = defaultdict(int)
    pairs: set[tuple[int, int]] = set()
    rows = Mentorship.objects.filter(status__in=OPEN).values_list("mentor_id", "mentee_id", "mentee_tier")
    for mentor_id, mentee_id, mentee_tier in rows.iterator(chunk_size=10_000):
        per_mentor[(mentor_id, mentee_tier)] += 1
        per_mentee[mentee_id] += 1
        pairs.add((mentor_id, mentee_id))
    return per_mentor, per_mentee, pairs


def load_input(policy: QuotaPolicy) -> PlannerInput:
    """Today's country as the planner's arrays, in five set-based queries (doctors, their
    specialties, open mentorships, blocks, and the policy's rules already loaded)."""
    maxima: dict[str, dict[str, int]] = defaultdict(dict)
    for rule in policy.rules.all():
        maxima[rule.mentor_tier][rule.mentee_tier] = rule.maximum
    mentee_tiers = {tier for rules in maxima.values() for tier in rules}
    doctors = list(
        User.objects.filter(verified_doctors_q(), facility__isnull=False)
        .filter(Q(facility__tier__in=list(maxima)) | Q(facility__tier__in=list(mentee_tiers)))
        .values_list("pk", "facility__tier", "facility__province_id")
        .order_by("pk")
    )
    wanted = {pk for pk, _tier, _province in doctors}
    specialties: dict[int, list[int]] = defaultdict(list)
    for user_id, specialty_id in DoctorSpecialty.objects.values_list("user_id", "specialty_id").iterator(
        chunk_size=20_000
    ):
        if user_id in wanted:
            specialties[user_id].append(specialty_id)
    per_mentor, per_mentee, open_pairs = _open_counts()
    forbidden = set(open_pairs)
    for blocker, blocked in Block.objects.values_list("blocker_id", "blocked_id").iterator(chunk_size=20_000):
        forbidden.add((blocker, blocked))
        forbidden.add((blocked, blocker))

    mentor_ids: list[int] = []
    mentor_provinces: list[int] = []
    mentor_specialties: list[list[int]] = []
    slot_mentors: list[int] = []
    slot_tiers: list[str] = []
    slot_counts: list[int] = []
    mentee_ids: list[int] = []
    mentee_tier_list: list[str] = []
    mentee_provinces: list[int] = []
    mentee_specialties: list[list[int]] = []
    mentee_capacities: list[int] = []
    for pk, tier, province in doctors:
        own = sorted(specialties.get(pk, ()))
        open_slots = [
            (t, maximum - per_mentor.get((pk, t), 0)) for t, maximum in sorted(maxima[tier].items())
        ]
        if any(count > 0 for _t, count in open_slots):
            for t, count in open_slots:
                if count > 0:
                    slot_mentors.append(len(mentor_ids))
                    slot_tiers.append(t)
                    slot_counts.append(count)
            mentor_ids.append(pk)
            mentor_provinces.append(province)
            mentor_specialties.append(own)
        room = policy.max_mentors_per_mentee - per_mentee.get(pk, 0)
        if tier in mentee_tiers and room > 0:
            mentee_ids.append(pk)
            mentee_tier_list.append(tier)
            mentee_provinces.append(province)
            mentee_specialties.append(own)
            mentee_capacities.append(room)
    return PlannerInput(
        mentor_ids=mentor_ids,
        mentor_provinces=mentor_provinces,
        mentor_specialties=mentor_specialties,
        slot_mentors=slot_mentors,
        slot_tiers=slot_tiers,
        slot_counts=slot_counts,
        mentee_ids=mentee_ids,
        mentee_tiers=mentee_tier_list,
        mentee_provinces=mentee_provinces,
        mentee_specialties=mentee_specialties,
        mentee_capacities=mentee_capacities,
        forbidden=forbidden,
    )


def summarize(data: PlannerInput, result: PlannerResult) -> dict[str, Any]:
    """What the administrator reviews: slots, bounds, what the plan fills, per tier, the cost."""
    tiers: dict[str, dict[str, int]] = defaultdict(lambda: {"slots": 0, "room": 0, "filled": 0, "matched": 0})
    for tier, count in zip(data.slot_tiers, data.slot_counts, strict=True):
        tiers[tier]["slots"] += max(0, count)
    for tier, room in zip(data.mentee_tiers, data.mentee_capacities, strict=True):
        tiers[tier]["room"] += max(0, room)
    for pair in result.pairs:
        tiers[pair.mentee_tier]["filled"] += 1
        tiers[pair.mentee_tier]["matched"] += pair.specialty_id is not None
    slots = sum(entry["slots"] for entry in tiers.values())
    return {
        "mentors": len(data.mentor_ids),
        "candidates": len(data.mentee_ids),
        "slots": slots,
        # No plan can fill more than min(slots, room) of each tier, nor more than the max flow.
        "upper_bound": sum(min(entry["slots"], entry["room"]) for entry in tiers.values()),
        "max_flow": result.bound,
        "filled": result.filled,
        "unfilled": slots - result.filled,
        "per_tier": {tier: dict(entry) for tier, entry in sorted(tiers.items())},
        "cost": result.cost,
        "cost_function": COST_FUNCTION,
        "status": result.status,
        "method": result.method,
        "arcs": result.arcs,
        "seconds": result.seconds,
        "solver": result.stats,
    }


def run_plan(actor: User | Any) -> MentorshipPlan:
    """An administrator runs the planner: a DRAFT plan with its pairs and summary (audited)."""
    admin = require_mentorship_admin(actor)
    started = time.perf_counter()
    policy = policy_in_force()
    data = load_input(policy)
    loaded = time.perf_counter()
    result = solve_plan(data)
    summary = summarize(data, result)
    summary["load_seconds"] = round(loaded - started, 3)
    with transaction.atomic():
        plan = MentorshipPlan.objects.create(policy=policy, created_by=admin, summary=summary)
        PlannedPair.objects.bulk_create(
            (
                PlannedPair(
                    plan=plan,
                    mentor_id=pair.mentor_id,
                    mentee_id=pair.mentee_id,
                    mentee_tier=pair.mentee_tier,
                    specialty_id=pair.specialty_id,
                    cost=pair.cost,
                )
                for pair in sorted(result.pairs, key=lambda pair: (pair.mentor_id, pair.mentee_id))
            ),
            batch_size=5_000,
        )
        plan.summary["store_seconds"] = round(time.perf_counter() - loaded - result.seconds, 3)
        plan.save(update_fields=["summary"])
        record(
            "mentorship_plan.created",
            actor=admin,
            target=plan,
            details={key: summary[key] for key in ("slots", "max_flow", "filled", "cost", "status")},
        )
    return plan


def _draft(plan_id: uuid.UUID) -> MentorshipPlan:
    plan = MentorshipPlan.objects.select_for_update().filter(public_id=plan_id).first()
    if plan is None:
        raise ServiceError(MentorshipErrorCode.NOT_FOUND, _("No such plan."), "planId")
    if plan.status != MentorshipPlan.Status.DRAFT:
        raise ServiceError(
            MentorshipErrorCode.PLAN_NOT_DRAFT, _("This plan was already applied or discarded."), "planId"
        )
    return plan


def discard_plan(actor: User | Any, plan_id: uuid.UUID) -> MentorshipPlan:
    """Set a draft plan aside (audited); nothing is proposed."""
    admin = require_mentorship_admin(actor)
    with transaction.atomic():
        plan = _draft(plan_id)
        plan.status = MentorshipPlan.Status.DISCARDED
        plan.save(update_fields=["status"])
        record("mentorship_plan.discarded", actor=admin, target=plan, details={"pairs": plan.pairs.count()})
    return plan


def _stale_pairs(plan: MentorshipPlan, rows: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """The plan's pairs no longer valid today (callers hold the locks on every doctor)."""
    policy = policy_in_force()
    maxima = {(rule.mentor_tier, rule.mentee_tier): rule.maximum for rule in policy.rules.all()}
    ids = {doctor for mentor, mentee, _tier in rows for doctor in (mentor, mentee)}
    tiers = dict(
        User.objects.filter(verified_doctors_q(), pk__in=ids, facility__isnull=False).values_list(
            "pk", "facility__tier"
        )
    )
    per_mentor, per_mentee, open_pairs = _open_counts()
    blocked = set(
        Block.objects.filter(Q(blocker_id__in=ids) | Q(blocked_id__in=ids)).values_list(
            "blocker_id", "blocked_id"
        )
    )
    planned_mentor: dict[tuple[int, str], int] = defaultdict(int)
    planned_mentee: dict[int, int] = defaultdict(int)
    for mentor, mentee, tier in rows:
        planned_mentor[(mentor, tier)] += 1
        planned_mentee[mentee] += 1
    stale = []
    for mentor, mentee, tier in rows:
        maximum = maxima.get((tiers.get(mentor, ""), tier))
        if (
            maximum is None
            or tiers.get(mentee) != tier
            or (mentor, mentee) in open_pairs
            or (mentor, mentee) in blocked
            or (mentee, mentor) in blocked
            or per_mentor.get((mentor, tier), 0) + planned_mentor[(mentor, tier)] > maximum
            or per_mentee.get(mentee, 0) + planned_mentee[mentee] > policy.max_mentors_per_mentee
        ):
            stale.append((mentor, mentee, tier))
    return stale


def apply_plan(actor: User | Any, plan_id: uuid.UUID) -> MentorshipPlan:
    """Propose every pair of a draft plan, as the administrator, in one transaction: all are
    created, audited and notified, or (PLAN_STALE, when any pair is no longer valid) none."""
    admin = require_mentorship_admin(actor)
    with transaction.atomic():
        plan = _draft(plan_id)
        rows = list(
            plan.pairs.order_by("id").values_list("mentor_id", "mentee_id", "mentee_tier", "specialty_id")
        )
        ids = sorted({doctor for row in rows for doctor in row[:2]})
        # The pair lock of every doctor of the plan, in id order (as lock_pair takes two): no
        # proposal or acceptance about them can commit in between the checks and the inserts.
        for start in range(0, len(ids), 10_000):
            list(
                User.objects.select_for_update(no_key=True)
                .filter(pk__in=ids[start : start + 10_000])
                .order_by("pk")
                .values_list("pk", flat=True)
            )
        stale = _stale_pairs(plan, [row[:3] for row in rows])
        if stale:
            raise ServiceError(
                MentorshipErrorCode.PLAN_STALE,
                _(
                    "%(count)d of the plan's pairs are no longer valid (a doctor's verification, tier, "
                    "quota or a block changed since the plan was made): run the planner again."
                )
                % {"count": len(stale)},
                "planId",
            )
        now = timezone.now()
        mentor_tiers = dict(User.objects.filter(pk__in=ids).values_list("pk", "facility__tier"))
        mentorships = Mentorship.objects.bulk_create(
            (
                Mentorship(
                    mentor_id=mentor,
                    mentee_id=mentee,
                    mentor_tier=mentor_tiers[mentor],
                    mentee_tier=tier,
                    specialty_id=specialty,
                    proposed_by=admin,
                    proposed_as=Mentorship.Proposer.ADMINISTRATOR,
                    plan=plan,
                    proposed_at=now,
                    expires_at=now + timedelta(days=settings.MENTORSHIP_PROPOSAL_DAYS),
                )
                for mentor, mentee, tier, specialty in rows
            ),
            batch_size=5_000,
        )
        plan.status = MentorshipPlan.Status.APPLIED
        plan.applied_by, plan.applied_at = admin, now
        plan.save(update_fields=["status", "applied_by", "applied_at"])
        record("mentorship_plan.applied", actor=admin, target=plan, details={"proposed": len(mentorships)})
        record_many(
            "mentorship.proposed",
            actor=admin,
            targets=[
                (
                    m,
                    {
                        "mentor_id": m.mentor_id,
                        "mentee_id": m.mentee_id,
                        "mentee_tier": m.mentee_tier,
                        "status": m.status,
                        "proposed_as": m.proposed_as,
                        "policy_version": plan.policy.version,
                        "plan_id": plan.pk,
                    },
                )
                for m in mentorships
            ],
        )
        _notify_proposed(mentorships, ids)
    return plan


def _notify_proposed(mentorships: list[Mentorship], ids: list[int]) -> None:
    """Both doctors of each proposal, as ``notify`` would (mutes respected; the doctors are
    verified and no party is blocked, checked above), in one insert; announced after commit."""
    muted = set(
        NotificationMute.objects.filter(
            kind=NotificationKind.MENTORSHIP_PROPOSED, doctor_id__in=ids
        ).values_list("doctor_id", flat=True)
    )
    names = dict(User.objects.filter(pk__in=ids).values_list("pk", "full_name"))
    with translation.override(settings.LANGUAGE_CODE):
        template, anonymous = _(ADMIN_PROPOSED_TITLE), _("A doctor")
    length = Notification._meta.get_field("title").max_length or 200

    def title(about: int) -> str:
        return Truncator((template % {"name": names.get(about) or anonymous}).strip()).chars(length)

    notifications = Notification.objects.bulk_create(
        (
            Notification(
                recipient_id=recipient,
                kind=NotificationKind.MENTORSHIP_PROPOSED,
                title=title(other),
                mentorship_id=m.pk,
            )
            for m in mentorships
            for recipient, other in ((m.mentor_id, m.mentee_id), (m.mentee_id, m.mentor_id))
            if recipient not in muted
        ),
        batch_size=5_000,
    )
    events = [(n.recipient_id, n.pk) for n in notifications]
    transaction.on_commit(lambda: _announce(events))


def _announce(events: list[tuple[int, int]]) -> None:
    """``notification.added`` to each recipient's sockets, in one event loop (the channel layer
    is lossy: clients resynchronise by cursor, so a failure is logged, never raised)."""
    layer = get_channel_layer()
    if layer is None or not events:
        return

    async def send_all() -> None:
        for recipient, notification in events:
            group = user_group(recipient)
            await layer.group_send(
                group,
                event_message(
                    group,
                    {
                        "kind": NOTIFICATION_ADDED_EVENT,
                        "notification_id": notification,
                        "recipient_id": recipient,
                    },
                ),
            )

    try:
        async_to_sync(send_all)()
    except Exception:
        logger.exception("Could not announce %d mentorship proposals", len(events))
