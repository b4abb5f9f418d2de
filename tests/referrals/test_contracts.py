"""What other apps rely on: who takes part in a referral (chat opens a room for them, told by
``consultant_assigned``), and the case visibility rule applied to consultants."""

from __future__ import annotations

import pytest

from common.errors import ServiceError
from network.services.connections import block_doctor
from referrals import signals
from referrals.errors import ReferralErrorCode
from referrals.selectors.referrals import queue_of, referral_participants
from referrals.services.referrals import accept_referral
from tests.referrals.conftest import doctor_with_specialty, refer

pytestmark = pytest.mark.django_db


def test_participants_and_the_signal_chat_listens_to(requester, consultant, case):
    heard = []

    def listener(sender, **kwargs):
        heard.append(kwargs)

    signals.consultant_assigned.connect(listener)
    try:
        referral = refer(requester, case, facility_id=consultant.facility_id)
        assert referral_participants(referral) == [requester]
        accepted = accept_referral(consultant, referral.public_id)
    finally:
        signals.consultant_assigned.disconnect(listener)
    assert referral_participants(accepted) == [requester, consultant]
    assert heard == [
        {
            "signal": signals.consultant_assigned,
            "referral_id": referral.pk,
            "requester_id": requester.pk,
            "consultant_id": consultant.pk,
        }
    ]


def test_a_queue_member_who_may_not_see_the_case_cannot_claim_it(requester, consultant, case):
    colleague = doctor_with_specialty("provincial", facility=consultant.facility)
    referral = refer(requester, case, facility_id=consultant.facility_id)
    block_doctor(requester, colleague.pk)
    with pytest.raises(ServiceError) as refused:
        accept_referral(colleague, referral.public_id)
    assert refused.value.code == ReferralErrorCode.CASE_NOT_VISIBLE
    assert list(queue_of(consultant)) == [referral]
