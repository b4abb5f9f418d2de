"""GraphQL for referral metrics (administrators with the audit permission).

Only auditors may ask (``mentorship.services.permissions.require_auditor``, the compliance
audit's grant and scope); anyone else gets a top-level PERMISSION_DENIED (NOT_AUTHENTICATED
when anonymous). Each answer is one SQL statement cut to the auditor's scope
(``referrals.selectors.metrics``, whose docstring defines every figure).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import graphene
from graphql import GraphQLResolveInfo

from api.permissions import viewer
from api.relay import key_from_global_id
from facilities.schema import Specialty
from mentorship.services.permissions import require_auditor
from referrals.selectors import metrics as selectors

ReferralMetricsGroupingEnum = graphene.Enum.from_enum(
    selectors.Grouping,
    name="ReferralMetricsGrouping",
    description="NATIONAL (one row), or one row per PROVINCE, FACILITY (that answers), SPECIALTY or MONTH.",
)


class ReferralMetricsRow(graphene.ObjectType):
    """Referral performance of one group over the period."""

    key = graphene.String(
        required=True, description="Province code, facility id, specialty id, YYYY-MM or 'national'."
    )
    label = graphene.String(required=True)
    referrals = graphene.Int(required=True)
    responded = graphene.Int(required=True, description="Accepted or rejected.")
    median_response_hours = graphene.Float()
    p90_response_hours = graphene.Float()
    median_completion_hours = graphene.Float()
    p90_completion_hours = graphene.Float()
    response_within_target = graphene.Float(description="Percent answered by their response due time.")
    completion_within_target = graphene.Float(description="Percent of accepted ones completed in time.")
    escalation_rate = graphene.Float(description="Percent escalated at least once.")
    transfers_advised = graphene.Int(required=True)
    outcomes = graphene.Int(required=True, description="Closed with an outcome.")
    transfers_avoided = graphene.Int(required=True)


class ReferralMetricsQuery(graphene.ObjectType):
    referral_metrics = graphene.List(
        graphene.NonNull(ReferralMetricsRow),
        required=True,
        group_by=graphene.Argument(ReferralMetricsGroupingEnum, required=True),
        date_from=graphene.Date(
            description="First day of the period (referrals made); a year before dateTo by default."
        ),
        date_to=graphene.Date(description="Last day of the period; today by default."),
        province_code=graphene.Int(),
        specialty_id=graphene.ID(description="A Specialty ID."),
        description="Referral response times, targets met, escalations and outcomes, within your audit scope.",
    )

    @staticmethod
    def resolve_referral_metrics(
        root: Any,
        info: GraphQLResolveInfo,
        group_by: Any,
        date_from: date | None = None,
        date_to: date | None = None,
        province_code: int | None = None,
        specialty_id: str | None = None,
    ) -> list[selectors.MetricsRow]:
        scope = require_auditor(viewer(info))
        filters = selectors.MetricsFilters(
            date_from=date_from,
            date_to=date_to,
            province_id=province_code,
            specialty_id=key_from_global_id(specialty_id, Specialty, "specialtyId") if specialty_id else None,
        )
        return selectors.referral_metrics(
            scope, selectors.Grouping(getattr(group_by, "value", group_by)), filters
        )
