"""Country-scale mentorships on top of the synthetic doctors, for the compliance audit and the
planner benchmarks.

A step of :data:`accounts.management.seeding.country.COUNTRY_PIPELINE`, after the network. The
quota policy in force on the data set's day says who must mentor whom (by default every
central-tier doctor mentors 4 provincial, 4 district and 2 commune doctors; a mentee has at most 2
mentors). With 200,000 doctors that is ~14,400 verified central-tier mentors.

* Every mentor fills 60-100% of their required quota with active mentorships, and at least half
  of each tier's (so the audit has real deficits, none of them a whole tier); no maximum is ever
  exceeded, on any date: each of a mentor's required places is a timeline holding at most one
  mentorship at a time, and a mentee is used at most ``max_mentors_per_mentee`` times in all.
* Some places held an earlier mentorship that ended (the mentee moved on), some empty places
  held one that ended and was never replaced: an audit as of a past date sees other figures.
* Some mentors with an open place have a proposal pending; a few older proposals were declined,
  withdrawn or expired.
* Mentees are mostly doctors of the mentor's specialty or region. Activity is recorded as the
  product records it (:mod:`mentorship.services.activity`): most active mentorships were engaged
  in the last 30 days, some faded, some are "paper" mentorships with no recent activity;
  ``last_activity_at`` is the latest activity's moment.
* Accepting a mentorship connects the pair, so every pair that ever started one is connected.

Like the other steps it draws from its own seeded generator, reads the doctors back from the
database ordered by id, and writes with COPY; :func:`seed_mentorships` runs it alone over an
existing country.
"""

from __future__ import annotations

import bisect
import math
import random
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import accumulate
from typing import TYPE_CHECKING, Any, ClassVar

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Model, Q

from accounts.management.seeding.network import checked_per_statement, country_module, fingerprint
from accounts.models import User, VerificationStatus
from facilities.geography import neighbouring_provinces
from mentorship.models import (
    ActivityKind,
    ComplianceAuditor,
    Mentorship,
    MentorshipActivity,
    MentorshipPlan,
    PlannedPair,
    QuotaReminder,
)
from mentorship.selectors.policy import policy_in_force
from network.models import Connection

if TYPE_CHECKING:
    from accounts.management.seeding.country import CountryParameters, SeedContext

HISTORY_DAYS = 540  # mentorships started in the 18 months before the data set's day
MIN_FILL = 0.6  # every mentor fills at least this share of their required quota...
MIN_TIER_FILL = 0.5  # ...and at least this share of each tier's
# How many places a mentor leaves open, as a share of those they may leave open (0 = full).
OPEN_PLACES_WEIGHTS = (30, 25, 20, 15, 10)
EARLY_START_SKEW = 1.5  # a held place's start is drawn as u ** this over its window (>1: earlier)
PREVIOUS_SHARE = 0.25  # of held places: an earlier mentorship ended before this one started
LAPSED_SHARE = 0.5  # of open places: held once, ended, never replaced
PENDING_SHARE = 0.15  # of mentors with an open place: a proposal is waiting for an answer
CLOSED_PROPOSAL_SHARE = 0.06  # of mentors: an older proposal was declined, withdrawn or expired
# Where a mentee is drawn from (cumulative below): doctors of the mentor's specialty, of the
# mentor's region (their province or a neighbour), or anywhere.
MENTEE_POOLS = (("specialty", 0.5), ("region", 0.3), ("anywhere", 0.2))
POOL_TRIES = 6  # draws from a specialty or regional pool before falling back to the whole tier
# The shape of an active mentorship's activity; "paper" ones have none in the last 30 days.
ENGAGEMENT = (("engaged", 0.62), ("fading", 0.18), ("paper", 0.20))
PAPER_WITH_EARLY_ACTIVITY = 0.4  # of paper mentorships: a message or two when they began
ACTIVITY_PER_MONTH = 1.5  # mean number of interactions a month, for engaged pairs
MAX_ACTIVITIES = 30  # per mentorship
RECENT_DAYS = settings.MENTORSHIP_ACTIVITY_DAYS
ACTIVITY_KINDS = {
    ActivityKind.COMMENT: 40,
    ActivityKind.CHAT_MESSAGE: 30,
    ActivityKind.CASE_SHARED: 15,
    ActivityKind.ANSWER_ACCEPTED: 10,
    ActivityKind.REFERRAL: 5,
}
PROPOSERS = ((Mentorship.Proposer.MENTOR, 0.6), (Mentorship.Proposer.MENTEE, 0.4))
END_REASONS = (
    "Bác sĩ được hướng dẫn đã chuyển công tác sang cơ sở khác.",
    "Hoàn thành chương trình chuyển giao kỹ thuật theo kế hoạch chỉ đạo tuyến.",
    "Người hướng dẫn được điều động đi công tác dài hạn.",
    "Hai bên thống nhất kết thúc do khác biệt về chuyên môn.",
    "Bác sĩ được hướng dẫn đi học chuyên khoa.",
)
PROPOSAL_MESSAGES = (
    "",
    "Em mong được anh chị hướng dẫn thêm về chuyên môn.",
    "Tôi sẵn sàng hỗ trợ chuyên môn cho bác sĩ theo kế hoạch chỉ đạo tuyến.",
    "Bệnh viện giới thiệu bác sĩ tham gia chương trình hỗ trợ tuyến dưới.",
)
CHUNK = 50_000  # activity rows copied at a time


# --- Who takes part ----------------------------------------------------------------------------


@dataclass
class Doctors:
    """The synthetic doctors verified on the data set's day, by index, in the order they were
    made, with the pools mentees are drawn from."""

    ids: list[int]
    tier: list[str]
    province: list[int]
    joined: list[datetime]
    specialties: list[tuple[int, ...]]
    by_tier: dict[str, list[int]] = field(default_factory=dict)
    by_tier_specialty: dict[tuple[str, int], list[int]] = field(default_factory=dict)
    by_tier_province: dict[tuple[str, int], list[int]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.ids)


def load_doctors(as_of: date) -> Doctors:
    """Synthetic doctors who are verified and active on ``as_of``, with their facility's tier
    and province, ordered by id."""
    doctors = (
        country_module()
        .synthetic_users()
        .filter(facility__isnull=False, is_active=True, verification_status=VerificationStatus.VERIFIED)
        .filter(Q(licence_expires_on__isnull=True) | Q(licence_expires_on__gte=as_of))
    )
    rows = list(
        doctors.order_by("id").values_list("id", "facility__tier", "facility__province_id", "date_joined")
    )
    links: dict[int, list[int]] = {}
    for user_id, specialty_id in (
        User.specialties.through.objects.filter(user__in=doctors)
        .order_by("user_id", "id")
        .values_list("user_id", "specialty_id")
    ):
        links.setdefault(user_id, []).append(specialty_id)
    result = Doctors(
        ids=[row[0] for row in rows],
        tier=[row[1] for row in rows],
        province=[row[2] for row in rows],
        joined=[row[3] for row in rows],
        specialties=[tuple(links.get(row[0], ())) for row in rows],
    )
    for index, (tier, province, specialties) in enumerate(
        zip(result.tier, result.province, result.specialties, strict=True)
    ):
        result.by_tier.setdefault(tier, []).append(index)
        result.by_tier_province.setdefault((tier, province), []).append(index)
        for specialty in specialties:
            result.by_tier_specialty.setdefault((tier, specialty), []).append(index)
    return result


class MenteePool:
    """Doctors who may still take a mentor, by tier: each can be drawn ``capacity`` times in
    all. The whole tier's list drops a doctor once their capacity is used, so drawing from it
    always succeeds while anyone is left."""

    def __init__(self, doctors: Doctors, tiers: set[str], capacity: int) -> None:
        self.doctors = doctors
        self.capacity = [capacity if tier in tiers else 0 for tier in doctors.tier]
        self.open: dict[str, list[int]] = {tier: list(doctors.by_tier.get(tier, [])) for tier in tiers}
        self.position = {index: pos for members in self.open.values() for pos, index in enumerate(members)}

    def draw(self, rng: random.Random, tier: str, pool: list[int] | None, exclude: set[int]) -> int | None:
        """A doctor of ``tier`` not in ``exclude`` with capacity left, preferably from ``pool``
        (their specialty or region); None when nobody is left. Uses one unit of capacity."""
        chosen = None
        if pool:
            for _ in range(POOL_TRIES):
                candidate = pool[rng.randrange(len(pool))]
                if self.capacity[candidate] > 0 and candidate not in exclude:
                    chosen = candidate
                    break
        if chosen is None:
            members = self.open.get(tier, [])
            if len(members) > len(exclude):  # someone not excluded is left: random draws find them
                for _ in range(1000):
                    candidate = members[rng.randrange(len(members))]
                    if candidate not in exclude:
                        chosen = candidate
                        break
            if chosen is None:
                chosen = next((candidate for candidate in members if candidate not in exclude), None)
        if chosen is not None:
            self._use(tier, chosen)
        return chosen

    def _use(self, tier: str, index: int) -> None:
        self.capacity[index] -= 1
        if self.capacity[index] == 0:  # swap-remove from the tier's list
            members = self.open[tier]
            position, last = self.position.pop(index), members.pop()
            if last != index:
                members[position] = last
                self.position[last] = position


# --- Drawing the mentorships ---------------------------------------------------------------------


@dataclass
class Drawn:
    """What the step writes: mentorship rows (ids not yet assigned) and their activities."""

    mentorships: list[dict[str, Any]] = field(default_factory=list)
    activities: list[list[tuple[str, datetime]]] = field(default_factory=list)  # per mentorship


class MentorshipPlanner:
    """Draws every mentor's mentorships, proposals and activity from one generator."""

    def __init__(self, rng: random.Random, doctors: Doctors, as_of: datetime) -> None:
        self.rng, self.doctors, self.end = rng, doctors, as_of
        self.history_start = as_of - timedelta(days=HISTORY_DAYS)
        policy = policy_in_force(as_of.date())
        self.required: dict[str, list[tuple[str, int]]] = {}
        for rule in policy.rules.order_by("mentor_tier", "mentee_tier"):
            if rule.required > 0:
                self.required.setdefault(rule.mentor_tier, []).append((rule.mentee_tier, rule.required))
        mentee_tiers = {tier for rules in self.required.values() for tier, _ in rules}
        self.pool = MenteePool(doctors, mentee_tiers, policy.max_mentors_per_mentee)
        self.proposal_days = settings.MENTORSHIP_PROPOSAL_DAYS
        self.kinds, self.kind_weights = list(ACTIVITY_KINDS), list(accumulate(ACTIVITY_KINDS.values()))
        self.drawn = Drawn()
        self.unfilled = 0  # places left open because no mentee was left (tiny countries only)

    def mentors(self) -> list[int]:
        return [index for index, tier in enumerate(self.doctors.tier) if tier in self.required]

    def draw(self) -> Drawn:
        for mentor in self.mentors():
            self.mentor(mentor)
        return self.drawn

    def mentor(self, mentor: int) -> None:
        rng = self.rng
        rules = self.required[self.doctors.tier[mentor]]
        open_places = self._open_places(rules)
        paired: set[int] = set()
        for tier, required in rules:
            for place in range(required):
                if place < required - open_places[tier]:
                    self._held_place(mentor, tier, paired)
                elif rng.random() < LAPSED_SHARE:
                    self._lapsed_place(mentor, tier, paired)
        open_tiers = [tier for tier, _ in rules if open_places[tier]]
        if open_tiers and rng.random() < PENDING_SHARE:
            self._proposal(mentor, rng.choice(open_tiers), paired, pending=True)
        if rng.random() < CLOSED_PROPOSAL_SHARE:
            self._proposal(mentor, rng.choice(rules)[0], paired, pending=False)

    def _open_places(self, rules: list[tuple[str, int]]) -> dict[str, int]:
        """How many of each tier's required places stay open: at most 40% of all of them and
        half of each tier's."""
        rng = self.rng
        spare = {tier: required - math.ceil(required * MIN_TIER_FILL) for tier, required in rules}
        total = sum(required for _, required in rules)
        most = min(math.floor(total * (1 - MIN_FILL) + 1e-9), sum(spare.values()))
        count = 0
        if most > 0:  # the weights stretched over 0..most, whatever the policy makes ``most``
            last = len(OPEN_PLACES_WEIGHTS) - 1
            weights = [OPEN_PLACES_WEIGHTS[round(k * last / most)] for k in range(most + 1)]
            count = rng.choices(range(most + 1), weights=weights)[0]
        open_places = dict.fromkeys(spare, 0)
        for _ in range(count):
            tiers = [tier for tier in spare if spare[tier] > open_places[tier]]
            tier = rng.choices(tiers, weights=[spare[t] - open_places[t] for t in tiers])[0]
            open_places[tier] += 1
        return open_places

    def _mentee(self, mentor: int, tier: str, paired: set[int]) -> int | None:
        rng, doctors = self.rng, self.doctors
        roll = rng.random()
        pool: list[int] | None = None
        specialties = doctors.specialties[mentor]
        if roll < MENTEE_POOLS[0][1] and specialties:
            specialty = specialties[0] if len(specialties) == 1 or rng.random() < 0.7 else specialties[1]
            pool = doctors.by_tier_specialty.get((tier, specialty))
        elif roll < MENTEE_POOLS[0][1] + MENTEE_POOLS[1][1]:
            province = doctors.province[mentor]
            if rng.random() < 0.5:
                near = sorted(neighbouring_provinces(province))
                province = rng.choice(near) if near else province
            pool = doctors.by_tier_province.get((tier, province))
        mentee = self.pool.draw(rng, tier, pool, paired)
        if mentee is None:
            self.unfilled += 1
        else:
            paired.add(mentee)
        return mentee

    def _window(self, mentor: int, mentee: int) -> datetime:
        """The earliest a pair could start: a few days after the later of them joined."""
        joined = max(self.doctors.joined[mentor], self.doctors.joined[mentee])
        settle = min(timedelta(days=14), (self.end - joined) / 2)  # verified by then
        return max(self.history_start, joined + settle)

    def _between(self, start: datetime, end: datetime) -> datetime:
        return start + (end - start) * self.rng.random()

    def _held_place(self, mentor: int, tier: str, paired: set[int]) -> None:
        rng = self.rng
        mentee = self._mentee(mentor, tier, paired)
        if mentee is None:
            return
        earliest = self._window(mentor, mentee)
        # Earlier starts likelier: most pairs formed in the programme's first year.
        started = earliest + (self.end - timedelta(hours=1) - earliest) * rng.random() ** EARLY_START_SKEW
        if rng.random() < PREVIOUS_SHARE:
            # The place was held before: that mentorship ended some days before this one began.
            previous_end = started - timedelta(days=rng.randint(0, 30), hours=rng.randint(0, 23))
            previous = self._mentee(mentor, tier, paired)
            if previous is not None:
                previous_earliest = self._window(mentor, previous)
                if previous_end - previous_earliest > timedelta(days=30):
                    self._started(
                        mentor,
                        previous,
                        tier,
                        self._between(previous_earliest, previous_end - timedelta(days=30)),
                        previous_end,
                    )
        self._started(mentor, mentee, tier, started, None)

    def _lapsed_place(self, mentor: int, tier: str, paired: set[int]) -> None:
        mentee = self._mentee(mentor, tier, paired)
        if mentee is None:
            return
        earliest = self._window(mentor, mentee)
        latest_end = self.end - timedelta(days=1)
        if latest_end - earliest <= timedelta(days=45):
            return  # they joined too recently to have mentored and parted already
        ended = self._between(earliest + timedelta(days=45), latest_end)
        self._started(mentor, mentee, tier, self._between(earliest, ended - timedelta(days=30)), ended)

    def _proposer(self) -> str:
        return str(PROPOSERS[0][0] if self.rng.random() < PROPOSERS[0][1] else PROPOSERS[1][0])

    def _row(
        self, mentor: int, mentee: int, tier: str, proposed_as: str, proposed_at: datetime
    ) -> dict[str, Any]:
        rng, doctors = self.rng, self.doctors
        common = [s for s in doctors.specialties[mentor] if s in doctors.specialties[mentee]]
        proposer = mentor if proposed_as == Mentorship.Proposer.MENTOR else mentee
        return {
            "public_id": uuid.UUID(int=rng.getrandbits(128), version=4),
            "mentor_id": doctors.ids[mentor],
            "mentee_id": doctors.ids[mentee],
            "mentor_tier": doctors.tier[mentor],
            "mentee_tier": tier,
            "specialty_id": common[0] if common else None,
            "proposed_by_id": doctors.ids[proposer],
            "proposed_as": proposed_as,
            "plan_id": None,
            "message": rng.choice(PROPOSAL_MESSAGES),
            "proposed_at": proposed_at,
            "expires_at": proposed_at + timedelta(days=self.proposal_days),
            "mentor_accepted_at": proposed_at if proposer == mentor else None,
            "mentee_accepted_at": proposed_at if proposer == mentee else None,
            "decided_at": None,
            "started_at": None,
            "ended_at": None,
            "ended_by_id": None,
            "end_reason": "",
            "last_activity_at": None,
            "review_reason": "",
            "flagged_at": None,
        }

    def _started(
        self, mentor: int, mentee: int, tier: str, started: datetime, ended: datetime | None
    ) -> None:
        rng = self.rng
        answered_in = timedelta(hours=rng.randint(1, 24 * (self.proposal_days - 1)))
        proposed_at = started - answered_in
        row = self._row(mentor, mentee, tier, self._proposer(), proposed_at)
        # The other doctor's acceptance started it.
        other = "mentee_accepted_at" if row["mentor_accepted_at"] is not None else "mentor_accepted_at"
        row[other] = started
        row.update(decided_at=started, started_at=started, status=str(Mentorship.Status.ACTIVE))
        if ended is not None:
            row.update(
                status=str(Mentorship.Status.ENDED),
                ended_at=ended,
                ended_by_id=self.doctors.ids[mentor if rng.random() < 0.5 else mentee],
                end_reason=rng.choice(END_REASONS),
            )
        activities = self._activity(started, ended)
        row["last_activity_at"] = max((moment for _, moment in activities), default=None)
        self.drawn.mentorships.append(row)
        self.drawn.activities.append(activities)

    def _proposal(self, mentor: int, tier: str, paired: set[int], *, pending: bool) -> None:
        """A proposal still waiting for an answer, or an older one that came to nothing. A
        pending one keeps a place for the mentee, so accepting it breaks no maximum."""
        rng = self.rng
        if pending:
            mentee = self._mentee(mentor, tier, paired)
        else:  # a closed proposal holds no place: anyone of the tier not paired with the mentor
            members = self.doctors.by_tier.get(tier, [])
            mentee = members[rng.randrange(len(members))] if members else None
            if mentee in paired:
                mentee = None
        if mentee is None:
            return
        earliest = self._window(mentor, mentee)
        if pending:
            proposed_at = self.end - timedelta(hours=rng.randint(1, 24 * (self.proposal_days - 1)))
            if proposed_at < earliest:
                proposed_at = earliest
        else:
            latest = self.end - timedelta(days=self.proposal_days + 1)
            if latest <= earliest:
                return
            proposed_at = self._between(earliest, latest)
        row = self._row(mentor, mentee, tier, self._proposer(), proposed_at)
        row["status"] = str(Mentorship.Status.PROPOSED)
        if not pending:
            status = rng.choice(
                (Mentorship.Status.DECLINED, Mentorship.Status.WITHDRAWN, Mentorship.Status.EXPIRED)
            )
            row["status"] = str(status)
            row["decided_at"] = (
                row["expires_at"]
                if status == Mentorship.Status.EXPIRED
                else proposed_at + timedelta(hours=rng.randint(1, 24 * (self.proposal_days - 1)))
            )
        self.drawn.mentorships.append(row)
        self.drawn.activities.append([])

    def _activity(self, started: datetime, ended: datetime | None) -> list[tuple[str, datetime]]:
        """What the pair did, in time order: engaged pairs often, lately too; fading ones not in
        the last 30 days; paper ones never, or only when they began."""
        rng, end = self.rng, ended or self.end
        recent = self.end - timedelta(days=RECENT_DAYS)
        roll, engagement = rng.random(), "engaged"
        for name, share in ENGAGEMENT:
            if roll < share:
                engagement = name
                break
            roll -= share
        if ended is not None and engagement == "fading":
            engagement = "engaged"  # an ended pair's story is whatever happened while it lasted
        moments: list[datetime] = []
        if engagement == "engaged":
            months = max((end - started) / timedelta(days=30), 0.25)
            count = min(MAX_ACTIVITIES, 1 + int(rng.expovariate(1 / (ACTIVITY_PER_MONTH * months))))
            moments = [self._between(started, end) for _ in range(count)]
            if ended is None and max(moments) < recent:
                moments[moments.index(max(moments))] = self._between(max(recent, started), end)
        elif engagement == "fading":
            if recent - started > timedelta(days=7):
                count = 1 + int(rng.expovariate(1 / 3))
                moments = [self._between(started, recent - timedelta(days=1)) for _ in range(count)]
        elif rng.random() < PAPER_WITH_EARLY_ACTIVITY and recent - started > timedelta(days=14):
            moments = [started + timedelta(hours=rng.randint(1, 14 * 24)) for _ in range(rng.randint(1, 2))]
        activities = []
        for moment in sorted(moments):
            kind = self.kinds[bisect.bisect(self.kind_weights, rng.random() * self.kind_weights[-1])]
            activities.append((str(kind), moment))
        return activities


# --- The step ------------------------------------------------------------------------------------


class MentorshipsStep:
    """Mentorships filling 60-100% of every central-tier doctor's quota, their history,
    pending proposals and activity; the pairs connected."""

    name = "mentorships"
    writes: ClassVar[tuple[type[Model], ...]] = (Mentorship, MentorshipActivity, Connection)

    def run(self, ctx: SeedContext) -> None:
        country = country_module()
        rng = ctx.rng(self.name)
        doctors = load_doctors(ctx.parameters.as_of)
        planner = MentorshipPlanner(rng, doctors, ctx.midnight(ctx.parameters.as_of))
        drawn = planner.draw()
        if not drawn.mentorships:
            ctx.log("  mentorships: none (no mentor)")
            return
        ids = country.reserve_ids(Mentorship, len(drawn.mentorships))
        for row, pk in zip(drawn.mentorships, ids, strict=True):
            row["id"] = pk
        subjects = dict.fromkeys(ACTIVITY_KINDS, 0)

        def activity_rows(start: int, stop: int) -> Iterator[dict[str, Any]]:
            for row, activities in zip(
                drawn.mentorships[start:stop], drawn.activities[start:stop], strict=True
            ):
                for kind, moment in activities:
                    subjects[ActivityKind(kind)] += 1
                    yield {
                        "mentorship_id": row["id"],
                        "kind": kind,
                        "subject_id": str(subjects[ActivityKind(kind)]),
                        "occurred_at": moment,
                    }

        with checked_per_statement():
            count = country.copy_rows(Mentorship, drawn.mentorships)
            activities = 0
            for start in range(0, len(drawn.mentorships), CHUNK):
                activities += country.copy_rows(MentorshipActivity, activity_rows(start, start + CHUNK))
            connected = _connect_pairs(ids)
        by_status: dict[str, int] = {}
        for row in drawn.mentorships:
            by_status[row["status"]] = by_status.get(row["status"], 0) + 1
        ctx.log(
            f"  mentorships: {count} for {len(planner.mentors())} mentors "
            f"({', '.join(f'{n} {status}' for status, n in sorted(by_status.items()))}), "
            f"{activities} activities, {connected} new connection rows"
            + (f"; {planner.unfilled} places found no mentee" if planner.unfilled else "")
        )

    def delete(self, ctx: SeedContext) -> None:
        country = country_module()
        users = country.synthetic_users()
        # One statement per side: an OR of two large IN lists cannot be planned as a join.
        for side in ("mentor", "mentee"):
            mentorships = Mentorship.objects.filter(**{f"{side}__in": users})
            country.delete_rows(MentorshipActivity.objects.filter(mentorship__in=mentorships))
            country.delete_rows(mentorships)
            country.delete_rows(PlannedPair.objects.filter(**{f"{side}__in": users}))
        # What benchmarks and trials leave about synthetic people (a plan, an auditor's grant).
        country.delete_rows(QuotaReminder.objects.filter(recipient__in=users))
        country.delete_rows(ComplianceAuditor.objects.filter(user__in=users))
        country.delete_rows(MentorshipPlan.objects.filter(Q(created_by__in=users) | Q(applied_by__in=users)))


def _connect_pairs(mentorship_ids: list[int]) -> int:
    """Connect (both rows) every pair of these mentorships that ever started, as accepting does,
    from the day their first mentorship started; return how many rows were added."""
    query = """
        INSERT INTO network_connection (doctor_id, peer_id, created_at)
        SELECT doctor_id, peer_id, min(started_at) FROM (
            SELECT mentor_id AS doctor_id, mentee_id AS peer_id, started_at
              FROM mentorship_mentorship WHERE id = ANY(%(ids)s) AND started_at IS NOT NULL
            UNION ALL
            SELECT mentee_id, mentor_id, started_at
              FROM mentorship_mentorship WHERE id = ANY(%(ids)s) AND started_at IS NOT NULL
        ) pairs
        GROUP BY doctor_id, peer_id
        ORDER BY doctor_id, peer_id
        ON CONFLICT (doctor_id, peer_id) DO NOTHING
    """
    with connection.cursor() as cursor:
        cursor.execute(query, {"ids": mentorship_ids})
        return cursor.rowcount


def mentorship_steps() -> list[MentorshipsStep]:
    """The mentorship steps of the country pipeline (after the network's)."""
    return [MentorshipsStep()]


# --- Running alone, fingerprint ------------------------------------------------------------------


def seed_mentorships(
    parameters: CountryParameters, *, log: Callable[[str], None] = print
) -> dict[str, float]:
    """Replace the mentorships of the synthetic country already in the database (doctors and
    network kept); return the seconds each part took. All or nothing."""
    country = country_module()
    ctx = country.SeedContext(parameters, log=log)
    timings: dict[str, float] = {}
    with transaction.atomic():
        for step in mentorship_steps():
            started = time.perf_counter()
            step.delete(ctx)
            timings["reset"] = timings.get("reset", 0.0) + time.perf_counter() - started
            started = time.perf_counter()
            step.run(ctx)
            timings[step.name] = time.perf_counter() - started
        started = time.perf_counter()
        with connection.cursor() as cursor:
            for model in MentorshipsStep.writes:
                cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
        timings["analyze"] = time.perf_counter() - started
    return timings


def mentorship_fingerprint() -> str:
    """A digest of the synthetic mentorships' content, not their ids: equal for equal data sets."""
    query = """
        WITH doctor AS (SELECT id, email FROM accounts_user WHERE email LIKE %(users)s),
        lines AS (
            SELECT concat_ws('|', m.public_id, a.email, b.email, m.mentor_tier, m.mentee_tier, s.code, m.status,
                             p.email, m.proposed_as, m.message, m.proposed_at, m.expires_at,
                             m.mentor_accepted_at, m.mentee_accepted_at, m.decided_at, m.started_at,
                             m.ended_at, e.email, m.end_reason, m.last_activity_at,
                             (SELECT string_agg(concat_ws(',', x.kind, x.subject_id, x.occurred_at), ';'
                                                ORDER BY x.occurred_at, x.kind, x.subject_id)
                                FROM mentorship_mentorshipactivity x WHERE x.mentorship_id = m.id)) AS line
              FROM mentorship_mentorship m
              JOIN doctor a ON a.id = m.mentor_id JOIN doctor b ON b.id = m.mentee_id
              JOIN accounts_user p ON p.id = m.proposed_by_id
              LEFT JOIN accounts_user e ON e.id = m.ended_by_id
              LEFT JOIN facilities_specialty s ON s.id = m.specialty_id
        )
        SELECT md5(coalesce(string_agg(line, E'\\n' ORDER BY line), '')) FROM lines
    """
    return fingerprint(query)
