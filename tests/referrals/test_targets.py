"""Response targets are policy data: changed only by administrators, audited, never retroactive."""

from __future__ import annotations

from datetime import timedelta

import pytest

from audit.models import AuditEvent
from common.errors import ServiceError
from referrals.models import ResponseTarget
from referrals.services.targets import set_response_target
from tests import factories
from tests.referrals.conftest import refer

pytestmark = pytest.mark.django_db


def test_an_administrator_changes_a_target_for_new_referrals_only(requester, consultant, case):
    before = refer(requester, case, consultant, urgency="urgent")
    admin = factories.mentorship_admin()
    set_response_target(admin, "urgent", first_response_hours=2, completion_hours=12, escalation_step_hours=1)
    after = refer(requester, case, consultant, urgency="urgent")
    before.refresh_from_db()
    assert before.response_due_at - before.created_at == timedelta(hours=4)
    assert after.response_due_at - after.created_at == timedelta(hours=2)
    event = AuditEvent.objects.get(action="referral.targets_changed")
    assert (
        event.details["before"]["first_response_hours"] == 4
        and event.details["after"]["first_response_hours"] == 2
    )


def test_only_administrators_and_only_sane_hours(requester):
    with pytest.raises(ServiceError) as refused:
        set_response_target(
            requester, "urgent", first_response_hours=2, completion_hours=12, escalation_step_hours=1
        )
    assert refused.value.code == "PERMISSION_DENIED"
    with pytest.raises(ServiceError) as invalid:
        set_response_target(
            factories.mentorship_admin(),
            "routine",
            first_response_hours=48,
            completion_hours=24,
            escalation_step_hours=0,
        )
    assert {e.field for e in invalid.value.errors} == {"escalation_step_hours"}
    assert ResponseTarget.objects.get(urgency="routine").first_response_hours == 48


def test_the_admin_changes_targets_through_the_service(client):
    admin = factories.mentorship_admin()
    client.force_login(admin)
    target = ResponseTarget.objects.get(urgency="routine")
    url = f"/admin/referrals/responsetarget/{target.pk}/change/"
    refused = client.post(
        url, {"first_response_hours": 48, "completion_hours": 24, "escalation_step_hours": 24}
    )
    assert refused.status_code == 200 and ResponseTarget.objects.get(pk=target.pk).completion_hours == 168
    saved = client.post(
        url, {"first_response_hours": 24, "completion_hours": 96, "escalation_step_hours": 12}
    )
    assert saved.status_code == 302
    assert ResponseTarget.objects.get(pk=target.pk).first_response_hours == 24
    assert AuditEvent.objects.filter(action="referral.targets_changed", actor=admin).exists()
