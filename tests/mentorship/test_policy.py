"""The quota policy as data: publishing a new version (never retroactive, rules checked, a
reason required, audited), its history, the version in force on any date, and a new maximum
applying to acceptances from its effective date."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from common.errors import ServiceError
from facilities.models import Tier
from mentorship.errors import MentorshipErrorCode
from mentorship.models import AuditScope, ComplianceAuditor, Mentorship, QuotaPolicy
from mentorship.selectors.policy import policy_in_force, quota
from mentorship.services import mentorships
from mentorship.services.auditors import grant_auditor, revoke_auditor
from mentorship.services.permissions import auditor_scope
from mentorship.services.policy import RuleInput, publish_policy
from tests import factories
from tests.graphql import conftest as graphql_conftest
from tests.graphql.conftest import data_of, error_codes

pytestmark = pytest.mark.django_db

graphql = graphql_conftest.graphql

REFORM = [
    RuleInput(Tier.CENTRAL, Tier.PROVINCIAL, 4),
    RuleInput(Tier.CENTRAL, Tier.DISTRICT, 4),
    RuleInput(Tier.CENTRAL, Tier.COMMUNE, 2, 3),
    RuleInput(Tier.PROVINCIAL, Tier.COMMUNE, 1, 2),
]
POLICY_FIELDS = (
    "version effectiveFrom maxMentorsPerMentee reason rules { mentorTier menteeTier required maximum }"
)
POLICY = f"query ($asOf: Date) {{ quotaPolicy(asOf: $asOf) {{ {POLICY_FIELDS} }} }}"
POLICIES = f"""query ($first: Int!, $after: String) {{ quotaPolicies(first: $first, after: $after) {{
    totalCount pageInfo {{ hasNextPage endCursor }} edges {{ node {{ {POLICY_FIELDS} }} }}
}} }}"""
PUBLISH = f"""mutation ($effectiveFrom: Date!, $rules: [QuotaRuleInput!]!, $reason: String!, $max: Int) {{
    publishQuotaPolicy(effectiveFrom: $effectiveFrom, rules: $rules, reason: $reason, maxMentorsPerMentee: $max) {{
        quotaPolicy {{ {POLICY_FIELDS} }} errors {{ field code message }}
    }}
}}"""


def refused(codes: list[str], call, *args, **kwargs) -> ServiceError:
    with pytest.raises(ServiceError) as raised:
        call(*args, **kwargs)
    assert sorted(str(error.code) for error in raised.value.errors) == sorted(codes), raised.value.errors
    return raised.value


def today() -> date:
    return timezone.localdate()


def publish(admin, *, effective_from: date | None = None, rules=REFORM, reason="Thông tư mới", **extra):
    return publish_policy(
        admin, effective_from=effective_from or today(), rules=list(rules), reason=reason, **extra
    )


# --- The default ----------------------------------------------------------------------------


def test_the_ministrys_rule_is_the_first_version():
    policy = policy_in_force()
    assert policy.version == 1 and policy.effective_from == date(2025, 7, 1)
    assert policy.max_mentors_per_mentee == 2
    # Listed from the top level down.
    assert [(r.mentor_tier, r.mentee_tier, r.required, r.maximum) for r in policy.rules.all()] == [
        ("central", "provincial", 4, 4),
        ("central", "district", 4, 4),
        ("central", "commune", 2, 2),
    ]


# --- Publishing -------------------------------------------------------------------------------


def test_a_new_version_is_published_audited_with_its_author_and_reason():
    admin = factories.mentorship_admin()
    policy = publish(admin, effective_from=today() + timedelta(days=30), max_mentors_per_mentee=3)

    assert policy.version == 2 and policy.published_by == admin and policy.reason == "Thông tư mới"
    assert quota(policy, Tier.CENTRAL, Tier.COMMUNE).maximum == 3
    assert quota(policy, Tier.PROVINCIAL, Tier.COMMUNE).required == 1
    event = AuditEvent.objects.get(action="mentorship.policy_published")
    assert event.actor == admin and event.target_id == str(policy.pk)
    assert event.details["reason"] == "Thông tư mới" and event.details["version"] == 2
    assert event.details["max_mentors_per_mentee"] == 3


def test_a_policy_is_never_retroactive():
    admin = factories.mentorship_admin()
    error = refused(
        [MentorshipErrorCode.RETROACTIVE_POLICY], publish, admin, effective_from=today() - timedelta(days=1)
    )
    assert error.errors[0].field == "effectiveFrom"
    assert QuotaPolicy.objects.count() == 1


def test_a_reason_is_required():
    refused([MentorshipErrorCode.REASON_REQUIRED], publish, factories.mentorship_admin(), reason="  ")


@pytest.mark.parametrize(
    "rules",
    [
        [],
        [RuleInput(Tier.COMMUNE, Tier.CENTRAL, 1)],  # upwards
        [RuleInput(Tier.CENTRAL, Tier.CENTRAL, 1)],  # within a tier
        [RuleInput(Tier.CENTRAL, Tier.COMMUNE, 2), RuleInput(Tier.CENTRAL, Tier.COMMUNE, 1)],  # twice
        [RuleInput(Tier.CENTRAL, Tier.COMMUNE, 3, 2)],  # maximum below required
        [RuleInput(Tier.CENTRAL, Tier.COMMUNE, 0, 0)],  # no room at all
        [RuleInput(Tier.CENTRAL, Tier.COMMUNE, -1, 2)],
        [RuleInput("hospital", Tier.COMMUNE, 1)],
    ],
)
def test_invalid_rules_are_refused(rules):
    refused([MentorshipErrorCode.INVALID_RULE], publish, factories.mentorship_admin(), rules=rules)
    assert QuotaPolicy.objects.count() == 1


def test_every_problem_is_reported_at_once():
    refused(
        [
            MentorshipErrorCode.RETROACTIVE_POLICY,
            MentorshipErrorCode.REASON_REQUIRED,
            MentorshipErrorCode.INVALID_RULE,
            MentorshipErrorCode.INVALID,
        ],
        publish,
        factories.mentorship_admin(),
        effective_from=today() - timedelta(days=1),
        reason="",
        rules=[RuleInput(Tier.COMMUNE, Tier.CENTRAL, 1)],
        max_mentors_per_mentee=0,
    )


def test_only_a_mentorship_administrator_with_a_second_factor_publishes():
    refused([MentorshipErrorCode.PERMISSION_DENIED], publish, factories.doctor())
    refused([MentorshipErrorCode.PERMISSION_DENIED], publish, factories.verifier())
    refused([MentorshipErrorCode.MFA_REQUIRED], publish, factories.mentorship_admin(totp=False))


# --- History and the version in force ---------------------------------------------------------


def test_history_is_kept_and_any_date_reads_back_the_version_then_in_force():
    admin = factories.mentorship_admin()
    soon = publish(admin, effective_from=today() + timedelta(days=10))
    later = publish(admin, effective_from=today() + timedelta(days=40), rules=REFORM[:1], reason="Sửa đổi")
    same_day = publish(
        admin, effective_from=today() + timedelta(days=40), rules=REFORM[:2], reason="Đính chính"
    )

    assert policy_in_force(date(2025, 1, 1)).version == 1  # before the first: the first
    assert policy_in_force(today()).version == 1
    assert policy_in_force(today() + timedelta(days=9)).version == 1
    assert policy_in_force(today() + timedelta(days=10)) == soon
    assert policy_in_force(today() + timedelta(days=39)) == soon
    assert policy_in_force(today() + timedelta(days=40)) == same_day  # the higher version on a tie
    assert later.version < same_day.version
    assert QuotaPolicy.objects.count() == 4  # nothing replaced


def test_a_new_maximum_applies_to_acceptances_from_its_effective_date(monkeypatch):
    mentor = factories.doctor(tier=Tier.CENTRAL)
    mentees = [factories.doctor(tier=Tier.COMMUNE) for _ in range(3)]
    offers = [
        mentorships.propose_mentorship(mentor, mentor_id=mentor.pk, mentee_id=mentee.pk) for mentee in mentees
    ]
    for mentee, offer in zip(mentees[:2], offers[:2], strict=True):
        mentorships.accept_mentorship(mentee, offer.public_id)
    tomorrow = today() + timedelta(days=1)
    publish(factories.mentorship_admin(), effective_from=tomorrow)  # commune maximum 2 → 3

    with pytest.raises(ServiceError) as raised:
        mentorships.accept_mentorship(mentees[2], offers[2].public_id)
    assert raised.value.code == MentorshipErrorCode.MENTOR_QUOTA_FULL

    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: tomorrow)
    started = mentorships.accept_mentorship(mentees[2], offers[2].public_id)
    assert started.status == Mentorship.Status.ACTIVE
    event = AuditEvent.objects.get(action="mentorship.started", target_id=str(offers[2].pk))
    assert event.details["policy_version"] == 2


def test_a_lower_maximum_ends_no_mentorship_but_stops_new_ones():
    mentor = factories.doctor(tier=Tier.CENTRAL)
    for _ in range(2):
        factories.mentorship(mentor, factories.doctor(tier=Tier.COMMUNE))
    publish(factories.mentorship_admin(), rules=[RuleInput(Tier.CENTRAL, Tier.COMMUNE, 1)])

    assert Mentorship.objects.filter(mentor=mentor, status=Mentorship.Status.ACTIVE).count() == 2
    with pytest.raises(ServiceError) as raised:
        mentorships.propose_mentorship(
            mentor, mentor_id=mentor.pk, mentee_id=factories.doctor(tier=Tier.COMMUNE).pk
        )
    assert raised.value.code == MentorshipErrorCode.MENTOR_QUOTA_FULL
    # A pairing the new version drops is no longer allowed at all.
    with pytest.raises(ServiceError) as raised:
        mentorships.propose_mentorship(
            mentor, mentor_id=mentor.pk, mentee_id=factories.doctor(tier=Tier.PROVINCIAL).pk
        )
    assert raised.value.code == MentorshipErrorCode.TIER_NOT_ALLOWED


# --- Over GraphQL -----------------------------------------------------------------------------


def test_doctors_and_administrators_read_the_policy_on_any_date(graphql):
    publish(factories.mentorship_admin(), effective_from=today() + timedelta(days=5), reason="Cải cách")
    for reader in (factories.doctor(), factories.mentorship_admin(), factories.auditor()):
        graphql.login(reader)
        now = data_of(graphql(POLICY))["quotaPolicy"]
        assert now["version"] == 1 and len(now["rules"]) == 3
        assert {"mentorTier": "CENTRAL", "menteeTier": "COMMUNE", "required": 2, "maximum": 2} in now["rules"]
        later = data_of(graphql(POLICY, {"asOf": (today() + timedelta(days=5)).isoformat()}))["quotaPolicy"]
        assert later["version"] == 2 and later["reason"] == "Cải cách"
        assert {"mentorTier": "PROVINCIAL", "menteeTier": "COMMUNE", "required": 1, "maximum": 2} in later[
            "rules"
        ]
        history = data_of(graphql(POLICIES, {"first": 1}))["quotaPolicies"]
        assert history["totalCount"] == 2 and history["pageInfo"]["hasNextPage"] is True
        assert [edge["node"]["version"] for edge in history["edges"]] == [2]
        rest = data_of(graphql(POLICIES, {"first": 10, "after": history["pageInfo"]["endCursor"]}))
        assert [edge["node"]["version"] for edge in rest["quotaPolicies"]["edges"]] == [1]


def test_others_may_not_read_the_policy(graphql):
    assert error_codes(graphql(POLICY)) == ["NOT_AUTHENTICATED"]
    graphql.login(factories.doctor(status="pending"))
    assert error_codes(graphql(POLICY)) == ["NOT_VERIFIED"]
    assert error_codes(graphql(POLICIES, {"first": 5})) == ["NOT_VERIFIED"]


def test_publishing_over_graphql(graphql):
    admin = factories.mentorship_admin()
    graphql.login(admin)
    rules = [
        {"mentorTier": "CENTRAL", "menteeTier": "PROVINCIAL", "required": 3, "maximum": 5},
        {"mentorTier": "CENTRAL", "menteeTier": "COMMUNE", "required": 2},
    ]
    variables = {"effectiveFrom": today().isoformat(), "rules": rules, "reason": "Thí điểm", "max": 3}
    payload = data_of(graphql(PUBLISH, variables))["publishQuotaPolicy"]
    assert payload["errors"] == []
    assert payload["quotaPolicy"]["version"] == 2 and payload["quotaPolicy"]["maxMentorsPerMentee"] == 3
    assert payload["quotaPolicy"]["rules"] == [
        {"mentorTier": "CENTRAL", "menteeTier": "PROVINCIAL", "required": 3, "maximum": 5},
        {"mentorTier": "CENTRAL", "menteeTier": "COMMUNE", "required": 2, "maximum": 2},
    ]

    yesterday = (today() - timedelta(days=1)).isoformat()
    payload = data_of(graphql(PUBLISH, {**variables, "effectiveFrom": yesterday, "reason": ""}))
    errors = {(error["field"], error["code"]) for error in payload["publishQuotaPolicy"]["errors"]}
    assert errors == {("effectiveFrom", "RETROACTIVE_POLICY"), ("reason", "REASON_REQUIRED")}
    bad_rule = [{"mentorTier": "DISTRICT", "menteeTier": "PROVINCIAL", "required": 1}]
    payload = data_of(graphql(PUBLISH, {**variables, "rules": bad_rule}))["publishQuotaPolicy"]
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("rules", "INVALID_RULE")]

    graphql.login(factories.doctor())
    payload = data_of(graphql(PUBLISH, variables))["publishQuotaPolicy"]
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [(None, "PERMISSION_DENIED")]
    assert payload["quotaPolicy"] is None
    assert QuotaPolicy.objects.count() == 2


# --- Administering: compliance auditors and the admin pages ----------------------------------


def test_an_administrator_grants_changes_and_revokes_an_audit_scope():
    admin, person = factories.mentorship_admin(), factories.user(is_staff=True)
    hanoi = factories.province()
    grant = grant_auditor(admin, person, AuditScope.PROVINCE, province=hanoi)
    assert (grant.scope, grant.province, grant.granted_by) == (AuditScope.PROVINCE, hanoi, admin)
    assert auditor_scope(person).province_id == hanoi.pk

    facility = factories.facility(Tier.DISTRICT)
    grant_auditor(admin, person, AuditScope.FACILITY, facility=facility)
    assert ComplianceAuditor.objects.get(user=person).facility == facility
    assert revoke_auditor(admin, person) is True
    assert auditor_scope(person) is None and revoke_auditor(admin, person) is False

    events = list(AuditEvent.objects.filter(target_id=str(person.pk)).order_by("id"))
    assert [event.action for event in events] == [
        "mentorship.auditor_granted",
        "mentorship.auditor_granted",
        "mentorship.auditor_revoked",
    ]
    assert all(event.actor == admin for event in events)
    assert events[1].details["previous"]["province_id"] == hanoi.pk


def test_an_audit_scope_names_exactly_its_place_and_only_administrators_grant_it():
    admin, person = factories.mentorship_admin(), factories.user()
    for scope, extra in (
        (AuditScope.PROVINCE, {}),
        (AuditScope.FACILITY, {"province": factories.province()}),
        (AuditScope.NATIONAL, {"facility": factories.facility()}),
        ("planet", {}),
    ):
        with pytest.raises(ServiceError):
            grant_auditor(admin, person, scope, **extra)
    refused([MentorshipErrorCode.PERMISSION_DENIED], grant_auditor, factories.doctor(), person, "national")
    refused(
        [MentorshipErrorCode.MFA_REQUIRED], revoke_auditor, factories.mentorship_admin(totp=False), person
    )
    assert not ComplianceAuditor.objects.exists()


def test_the_admin_grants_and_revokes_through_the_service():
    admin, person = factories.mentorship_admin(), factories.user(is_staff=True)
    client = Client()
    client.force_login(admin)
    add = reverse("admin:mentorship_complianceauditor_add")
    response = client.post(add, {"user": person.pk, "scope": "province"})
    assert response.status_code == 200 and not ComplianceAuditor.objects.exists()
    assert response.context["adminform"].form.errors["province"]

    response = client.post(add, {"user": person.pk, "scope": "national"})
    assert response.status_code == 302
    grant = ComplianceAuditor.objects.get(user=person)
    assert grant.granted_by == admin
    assert AuditEvent.objects.filter(action="mentorship.auditor_granted", actor=admin).exists()

    delete = reverse("admin:mentorship_complianceauditor_delete", args=[grant.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 302
    assert not ComplianceAuditor.objects.exists()
    assert AuditEvent.objects.filter(action="mentorship.auditor_revoked", actor=admin).exists()


def test_the_admin_shows_policies_and_mentorships_read_only():
    admin = factories.mentorship_admin()
    mentorship = factories.mentorship(factories.doctor(), factories.doctor(tier=Tier.COMMUNE))
    client = Client()
    client.force_login(admin)
    for name, args in (
        ("admin:mentorship_quotapolicy_changelist", []),
        ("admin:mentorship_quotapolicy_change", [policy_in_force().pk]),
        ("admin:mentorship_mentorship_changelist", []),
        ("admin:mentorship_mentorship_change", [mentorship.pk]),
    ):
        assert client.get(reverse(name, args=args)).status_code == 200, name
    listed = client.get(
        reverse("admin:mentorship_mentorship_changelist"), {"status__exact": "active", "flagged": "no"}
    )
    assert list(listed.context["cl"].result_list) == [mentorship]
    assert client.get(reverse("admin:mentorship_quotapolicy_add")).status_code == 403
    assert client.post(reverse("admin:mentorship_mentorship_delete", args=[mentorship.pk])).status_code == 403
    doctor_client = Client()
    doctor_client.force_login(factories.doctor())
    assert doctor_client.get(reverse("admin:mentorship_mentorship_changelist")).status_code == 302
