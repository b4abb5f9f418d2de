"""Builders for referral tests: doctors at two tiers sharing a specialty, a published case,
referrals moved to any state through the services."""

from __future__ import annotations

from typing import Any

import pytest

from accounts.models import User
from facilities.models import Tier
from network.models import Case
from network.services.cases import create_case, publish_case
from referrals.models import Referral
from referrals.services import referrals as services
from tests import factories


def doctor_with_specialty(tier: str, **extra: Any) -> User:
    doctor = factories.doctor(tier=tier, **extra)
    doctor.specialties.add(factories.specialty())
    return doctor


@pytest.fixture
def requester(db) -> User:
    return doctor_with_specialty(Tier.DISTRICT)


@pytest.fixture
def consultant(db) -> User:
    return doctor_with_specialty(Tier.PROVINCIAL)


def draft_case(author: User, **extra: Any) -> Case:
    """A valid case, not yet published (seen only by its author)."""
    values: dict[str, Any] = {
        "title": "Đau ngực kéo dài ở bệnh nhân đái tháo đường",
        "specialty_id": factories.specialty().pk,
        "age_band": "45-59",
        "sex": "male",
        "presenting_problem": "Đau ngực trái 3 giờ, vã mồ hôi, điện tim có ST chênh lên nhẹ.",
        "question": "Có cần chuyển tuyến không?",
        "icd10_codes": ["I20.0"],
    }
    values.update(extra)
    return create_case(author, **values)


def published_case(author: User, **extra: Any) -> Case:
    return publish_case(author, draft_case(author, **extra).pk)


@pytest.fixture
def case(requester) -> Case:
    return published_case(requester)


def refer(requester: User, case: Case, consultant: User | None = None, **extra: Any) -> Referral:
    extra.setdefault("urgency", "routine")
    extra.setdefault("question", "Xin ý kiến về chỉ định can thiệp mạch vành.")
    if consultant is not None and "facility_id" not in extra:
        extra["doctor_id"] = consultant.pk
    return services.request_referral(requester, case_id=case.pk, **extra)


def advance(referral: Referral, status: str, requester: User, consultant: User) -> Referral:
    """Move a fresh (requested) referral to ``status`` through the services."""
    key = referral.public_id
    if status == Referral.Status.REJECTED:
        return services.reject_referral(consultant, key, reason="Ngoài chuyên môn của tôi.")
    if status == Referral.Status.CANCELLED:
        return services.cancel_referral(requester, key)
    if status == Referral.Status.REQUESTED:
        return referral
    referral = services.accept_referral(consultant, key)
    if status == Referral.Status.ACCEPTED:
        return referral
    referral = services.start_referral(consultant, key)
    if status == Referral.Status.IN_PROGRESS:
        return referral
    if status == Referral.Status.ON_HOLD:
        return services.request_information(consultant, key, question="Men tim troponin lần 2?")
    return complete(consultant, referral)


def complete(consultant: User, referral: Referral) -> Referral:
    return services.complete_referral(
        consultant,
        referral.public_id,
        assessment="Hội chứng vành cấp không ST chênh lên, nguy cơ trung bình.",
        recommendation="Aspirin, clopidogrel, statin liều cao; theo dõi men tim sau 3 giờ.",
        transfer_advised=False,
        follow_up_plan="Tái khám sau 1 tuần; chuyển tuyến nếu đau tái phát.",
    )
