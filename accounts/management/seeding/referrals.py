"""Country-scale referrals on top of the synthetic doctors, cases and mentorships, for the
referral metrics and queue benchmarks.

Run by ``seed_country`` after the country pipeline, or alone (``--referrals-only``) over an
existing country. 1.5 referrals per doctor (300,000 for 200,000 doctors) made over the year before the data set's day,
more of them recently (adoption grows):

* each from a published, network-visible case of a verified doctor below the central tier, to
  the tier above mostly (sometimes two above), in the requester's province when that tier has a
  doctor of the case's specialty there, else anywhere;
* a third to a named doctor (the requester's mentor when they have one above them), the rest to
  a facility's specialty queue, claimed by one of its members;
* timings drawn from log-normal laws: first response median ~1.5 h (urgent) and ~12 h
  (routine), so ~85-90 % within the 4 h / 48 h targets; completion a median of ~4 h / ~20 h
  later; a referral answered late escalated once or twice; ~5 % rejected, ~3 % cancelled;
  what the clock has not reached yet is still open (requested, accepted, in progress);
* ~70 % of completed referrals closed with an outcome (transfer avoided, plan changed, rating).

No consultation record PDFs are made (the metrics do not read them). Rows are written with COPY
from a generator seeded by the run's seed, so the same parameters give the same referrals.
"""

from __future__ import annotations

import math
import random
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from django.db import connection, transaction
from django.db.models import Model

from accounts.management.seeding.network import checked_per_statement, country_module
from facilities.models import Tier
from network.models import Notification
from referrals.models import ConsultationRecord, InformationRequest, Referral, ResponseTarget

if TYPE_CHECKING:
    from accounts.management.seeding.country import CountryParameters, SeedContext

REFERRALS_PER_DOCTOR = 1.5  # 300,000 referrals for the 200,000-doctor country
HISTORY_DAYS = 365
GROWTH_SKEW = 1.3  # days ago drawn as 365 * u ** this: more referrals recently
NAMED_SHARE = 0.35
URGENT_SHARE = 0.25
TWO_TIERS_UP_SHARE = 0.2
REJECTED_SHARE = 0.05
CANCELLED_SHARE = 0.03
TRANSFER_ADVISED_SHARE = 0.18
CLOSED_SHARE = 0.7
TRANSFER_AVOIDED_SHARE = 0.65
PLAN_CHANGED_SHARE = 0.45
# Log-normal (median hours, sigma) per urgency.
FIRST_RESPONSE = {"urgent": (1.5, 0.9), "routine": (12.0, 1.0)}
COMPLETION = {"urgent": (4.0, 0.8), "routine": (20.0, 0.9)}
CHUNK = 50_000

QUESTIONS = (
    "Xin ý kiến về chẩn đoán và hướng điều trị tiếp theo.",
    "Có cần chuyển tuyến trên không, hay tiếp tục theo dõi tại chỗ?",
    "Xin hội chẩn về chỉ định phẫu thuật.",
    "Kết quả cận lâm sàng chưa rõ ràng, xin ý kiến đọc kết quả.",
    "Xin tư vấn điều chỉnh phác đồ do đáp ứng kém.",
)
DONE = (
    "Đã làm xét nghiệm cơ bản và điều trị triệu chứng.",
    "Đã dùng kháng sinh 3 ngày, chưa cải thiện.",
    "Đã siêu âm và chụp X-quang.",
    "",
)
ASSESSMENTS = (
    "Phù hợp chẩn đoán ban đầu, mức độ trung bình.",
    "Nghĩ nhiều đến nguyên nhân nhiễm trùng, cần loại trừ biến chứng.",
    "Tình trạng ổn định, không có dấu hiệu cảnh báo.",
)
RECOMMENDATIONS = (
    "Tiếp tục điều trị nội khoa, điều chỉnh liều theo hướng dẫn.",
    "Bổ sung xét nghiệm chuyên sâu và theo dõi sát.",
    "Chuyển tuyến trên để can thiệp.",
)
FOLLOW_UPS = ("Tái khám sau 1 tuần.", "Liên hệ lại nếu triệu chứng nặng lên.", "Đánh giá lại sau 48 giờ.")
REJECT_REASONS = ("Ngoài phạm vi chuyên môn, đề nghị gửi chuyên khoa khác.", "Thiếu thông tin để đánh giá.")


@dataclass(frozen=True)
class _Case:
    id: int
    author_id: int
    specialty_id: int
    icd10_codes: list[str]
    facility_id: int
    tier: str
    province_id: int


class _Consultants:
    """Verified synthetic doctors by (tier, specialty), and by province within that."""

    def __init__(self) -> None:
        self.national: dict[tuple[str, int], list[tuple[int, int]]] = defaultdict(list)
        self.provincial: dict[tuple[str, int, int], list[tuple[int, int]]] = defaultdict(list)
        self.queue: dict[tuple[int, int], list[int]] = defaultdict(list)
        query = """
            SELECT u.id, u.facility_id, f.tier, f.province_id, us.specialty_id
              FROM accounts_user u
              JOIN accounts_user_specialties us ON us.user_id = u.id
              JOIN facilities_facility f ON f.id = u.facility_id
             WHERE u.email LIKE %(users)s AND u.is_active AND u.verification_status = 'verified'
             ORDER BY u.id, us.specialty_id
        """
        with connection.cursor() as cursor:
            cursor.execute(query, {"users": f"%@{country_module().SYNTHETIC_DOMAIN}"})
            for doctor_id, facility_id, tier, province_id, specialty_id in cursor.fetchall():
                self.national[(tier, specialty_id)].append((doctor_id, facility_id))
                self.provincial[(tier, province_id, specialty_id)].append((doctor_id, facility_id))
                self.queue[(facility_id, specialty_id)].append(doctor_id)

    def pick(
        self, rng: random.Random, tier: str, province_id: int, specialty_id: int
    ) -> tuple[int, int] | None:
        pool = self.provincial.get((tier, province_id, specialty_id)) or self.national.get(
            (tier, specialty_id)
        )
        return rng.choice(pool) if pool else None


def _cases() -> list[_Case]:
    query = """
        SELECT c.id, c.author_id, c.specialty_id, c.icd10_codes, u.facility_id, f.tier, f.province_id
          FROM network_case c
          JOIN accounts_user u ON u.id = c.author_id
          JOIN facilities_facility f ON f.id = u.facility_id
         WHERE u.email LIKE %(users)s AND u.is_active AND u.verification_status = 'verified'
           AND f.tier <> 'central' AND c.published_at IS NOT NULL AND c.visibility = 'network'
           AND c.deleted_at IS NULL AND c.hidden_at IS NULL
         ORDER BY c.id
    """
    with connection.cursor() as cursor:
        cursor.execute(query, {"users": f"%@{country_module().SYNTHETIC_DOMAIN}"})
        return [_Case(*row) for row in cursor.fetchall()]


def _mentors() -> dict[int, tuple[int, int, str]]:
    """Mentee → (mentor, mentor's facility, its tier) for active synthetic mentorships."""
    query = """
        SELECT DISTINCT ON (m.mentee_id) m.mentee_id, m.mentor_id, u.facility_id, f.tier
          FROM mentorship_mentorship m
          JOIN accounts_user u ON u.id = m.mentor_id
          JOIN facilities_facility f ON f.id = u.facility_id
         WHERE m.status = 'active' AND u.email LIKE %(users)s
         ORDER BY m.mentee_id, m.started_at, m.id
    """
    with connection.cursor() as cursor:
        cursor.execute(query, {"users": f"%@{country_module().SYNTHETIC_DOMAIN}"})
        return {mentee: (mentor, facility, tier) for mentee, mentor, facility, tier in cursor.fetchall()}


def _hours(rng: random.Random, law: tuple[float, float]) -> timedelta:
    median, sigma = law
    return timedelta(hours=rng.lognormvariate(math.log(median), sigma))


class _Drawer:
    def __init__(self, rng: random.Random, now: datetime) -> None:
        self.rng = rng
        self.now = now
        self.consultants = _Consultants()
        self.mentors = _mentors()
        self.targets = {
            t.urgency: (t.first_response_hours, t.completion_hours, t.escalation_step_hours)
            for t in ResponseTarget.objects.all()
        }
        self.tiers = [choice.value for choice in Tier]

    def _target(self, case: _Case) -> tuple[int | None, int, int] | None:
        """(named doctor or None, target facility, the consultant who answers)."""
        rng = self.rng
        mentor = self.mentors.get(case.author_id)
        if (
            rng.random() < NAMED_SHARE
            and mentor
            and self.tiers.index(mentor[2]) < self.tiers.index(case.tier)
        ):
            return mentor[0], mentor[1], mentor[0]
        rank = self.tiers.index(case.tier)
        up = 2 if rank >= 2 and rng.random() < TWO_TIERS_UP_SHARE else 1
        for tier_rank in (rank - up, *range(rank - 1, -1, -1)):
            picked = self.consultants.pick(rng, self.tiers[tier_rank], case.province_id, case.specialty_id)
            if picked is None:
                continue
            doctor_id, facility_id = picked
            if doctor_id == case.author_id:
                continue
            if rng.random() < NAMED_SHARE:
                return doctor_id, facility_id, doctor_id
            members = [
                d for d in self.consultants.queue[(facility_id, case.specialty_id)] if d != case.author_id
            ]
            return None, facility_id, rng.choice(members)
        return None

    def row(self, case: _Case) -> dict[str, Any] | None:
        rng = self.rng
        target = self._target(case)
        if target is None:
            return None
        named, facility_id, answerer = target
        urgency = "urgent" if rng.random() < URGENT_SHARE else "routine"
        first_hours, completion_hours, step_hours = self.targets[urgency]
        created = self.now - timedelta(days=HISTORY_DAYS * rng.random() ** GROWTH_SKEW)
        due = created + timedelta(hours=first_hours)
        row: dict[str, Any] = {
            "public_id": uuid.UUID(int=rng.getrandbits(128), version=4),
            "case_id": case.id,
            "requester_id": case.author_id,
            "requester_facility_id": case.facility_id,
            "target_doctor_id": named,
            "target_facility_id": facility_id,
            "specialty_id": case.specialty_id,
            "consultant_id": None,
            "urgency": urgency,
            "question": rng.choice(QUESTIONS),
            "done_so_far": rng.choice(DONE),
            "icd10_codes": list(case.icd10_codes),
            "preferred_response_hours": None,
            "status": Referral.Status.REQUESTED,
            "created_at": created,
            "response_due_at": due,
            "completion_due_at": created + timedelta(hours=completion_hours),
            "first_response_at": None,
            "accepted_at": None,
            "started_at": None,
            "completed_at": None,
            "rejected_at": None,
            "reject_reason": "",
            "cancelled_at": None,
            "escalation_level": 0,
            "escalated_at": None,
            "next_escalation_at": due,
            "assessment": "",
            "recommendation": "",
            "transfer_advised": None,
            "follow_up_plan": "",
            "closed_at": None,
            "transfer_avoided": None,
            "plan_changed": None,
            "usefulness": None,
        }
        response = created + _hours(rng, FIRST_RESPONSE[urgency])
        # Escalation steps the clock reached before the answer (or before now, if none yet).
        waited_until = min(response, self.now)
        if waited_until > due:
            level = min(2, 1 + int((waited_until - due) / timedelta(hours=step_hours)))
            row["escalation_level"] = level
            row["escalated_at"] = due + (level - 1) * timedelta(hours=step_hours)
            row["next_escalation_at"] = due + level * timedelta(hours=step_hours)
            row["target_doctor_id"] = None
        fate = rng.random()
        if fate < CANCELLED_SHARE:
            cancelled = created + (response - created) * rng.random()
            if cancelled <= self.now:
                row.update(status=Referral.Status.CANCELLED, cancelled_at=cancelled, next_escalation_at=None)
            return row
        if response > self.now:
            return row  # still waiting
        row["first_response_at"] = response
        row["next_escalation_at"] = None
        if fate < CANCELLED_SHARE + REJECTED_SHARE:
            row.update(
                status=Referral.Status.REJECTED,
                rejected_at=response,
                reject_reason=rng.choice(REJECT_REASONS),
            )
            return row
        row.update(status=Referral.Status.ACCEPTED, accepted_at=response, consultant_id=answerer)
        started = response + timedelta(minutes=rng.uniform(1, 60))
        if started > self.now:
            return row
        row.update(status=Referral.Status.IN_PROGRESS, started_at=started)
        completed = response + _hours(rng, COMPLETION[urgency])
        if completed > self.now:
            return row
        transfer_advised = rng.random() < TRANSFER_ADVISED_SHARE
        row.update(
            status=Referral.Status.COMPLETED,
            completed_at=completed,
            assessment=rng.choice(ASSESSMENTS),
            recommendation=rng.choice(RECOMMENDATIONS),
            transfer_advised=transfer_advised,
            follow_up_plan=rng.choice(FOLLOW_UPS),
        )
        closed = completed + timedelta(hours=rng.uniform(1, 72))
        if closed <= self.now and rng.random() < CLOSED_SHARE:
            row.update(
                closed_at=closed,
                transfer_avoided=(not transfer_advised) and rng.random() < TRANSFER_AVOIDED_SHARE,
                plan_changed=rng.random() < PLAN_CHANGED_SHARE,
                usefulness=rng.choices((2, 3, 4, 5), weights=(5, 20, 45, 30))[0],
            )
        return row


class ReferralsStep:
    """Synthetic referrals (see the module's docstring)."""

    name = "referrals"
    writes: ClassVar[tuple[type[Model], ...]] = (Referral,)

    def __init__(self, count: int | None = None) -> None:
        self.count = count

    def run(self, ctx: SeedContext) -> None:
        count = self.count if self.count is not None else round(ctx.parameters.doctors * REFERRALS_PER_DOCTOR)
        self._run(ctx, count)

    def _run(self, ctx: SeedContext, count: int) -> None:
        country = country_module()
        rng = ctx.rng(self.name)
        cases = _cases()
        if not cases:
            ctx.log("  referrals: none (no case below the central tier)")
            return
        drawer = _Drawer(rng, ctx.midnight(ctx.parameters.as_of))
        picked = rng.sample(range(len(cases)), min(count, len(cases)))  # one referral per case
        rows = [row for row in (drawer.row(cases[index]) for index in picked) if row is not None]
        rows.sort(key=lambda row: row["created_at"])
        for row, pk in zip(rows, country.reserve_ids(Referral, len(rows)), strict=True):
            row["id"] = pk

        def chunks() -> Iterator[list[dict[str, Any]]]:
            for start in range(0, len(rows), CHUNK):
                yield rows[start : start + CHUNK]

        written = 0
        with checked_per_statement():
            for chunk in chunks():
                written += country.copy_rows(Referral, chunk)
        by_status: dict[str, int] = defaultdict(int)
        for row in rows:
            by_status[row["status"]] += 1
        ctx.log(
            f"  referrals: {written} ({', '.join(f'{n} {status}' for status, n in sorted(by_status.items()))})"
        )

    def delete(self, ctx: SeedContext) -> None:
        country = country_module()
        referrals = Referral.objects.filter(requester__in=country.synthetic_users())
        for model in (Notification, InformationRequest, ConsultationRecord):
            country.delete_rows(model.objects.filter(referral__in=referrals))
        country.delete_rows(referrals)


def seed_referrals(
    parameters: CountryParameters, *, count: int | None = None, log: Callable[[str], None] = print
) -> dict[str, float]:
    """Replace the referrals of the synthetic country already in the database; return the
    seconds each part took. All or nothing."""
    country = country_module()
    ctx = country.SeedContext(parameters, log=log)
    step = ReferralsStep(count)
    timings: dict[str, float] = {}
    with transaction.atomic():
        started = time.perf_counter()
        step.delete(ctx)
        timings["reset"] = time.perf_counter() - started
        started = time.perf_counter()
        step.run(ctx)
        timings[step.name] = time.perf_counter() - started
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {connection.ops.quote_name(Referral._meta.db_table)}")
    timings["analyze"] = time.perf_counter() - started
    return timings
