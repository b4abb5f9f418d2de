"""GraphQL for the compliance audit: the summary, roll-ups by province, facility and specialty,
the mentors page (worst first) and the monthly trend, as of any past date.

Only auditors may ask (``mentorship.services.permissions.require_auditor``); anyone else gets a
top-level error: PERMISSION_DENIED when signed in, NOT_AUTHENTICATED when anonymous, with the
field null. Every answer is cut to the auditor's scope (national, one province or one facility)
inside the selectors' SQL (``mentorship.selectors.compliance``, whose docstring defines every
figure). Costs, besides authentication: the summary and the province and specialty roll-ups
2 queries (the scope, one statement), a facility or mentor page 3 at any page size (the mentors'
specialties are loaded in one more query).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import graphene
from graphql import GraphQLResolveInfo

from accounts.schema import Doctor
from api.permissions import viewer
from api.relay import key_from_global_id, offset_connection, offset_page_bounds
from facilities.schema import Facility, Province, Specialty, TierEnum
from mentorship.selectors import compliance as selectors
from mentorship.services.permissions import Scope, require_auditor

ComplianceBandEnum = graphene.Enum.from_enum(
    selectors.ComplianceBand,
    name="ComplianceBand",
    description="FULL: 100 % of the quota filled; PARTIAL: 50 % to under 100 %; LOW: under 50 %.",
)
MentorComplianceOrderEnum = graphene.Enum.from_enum(
    selectors.MentorOrder,
    name="MentorComplianceOrder",
    description=(
        "WORST_FIRST: lowest compliance, then largest deficit; BEST_FIRST; DEFICIT: largest deficit "
        "first; NAME. Ties by name."
    ),
)


def _value(enum_value: Any) -> Any:
    return getattr(enum_value, "value", enum_value)


class ComplianceFilter(graphene.InputObjectType):
    """Narrows an audit view (ANDed with your scope)."""

    tier = graphene.InputField(TierEnum, description="The mentor's facility tier.")
    province_code = graphene.Int(description="The mentor's facility's province.")
    facility_id = graphene.ID(description="A Facility ID: the mentor's facility.")
    specialty_id = graphene.ID(description="A Specialty ID: one of the mentor's specialties.")
    band = graphene.InputField(ComplianceBandEnum, description="The mentor's compliance band.")
    deficit_only = graphene.Boolean(description="Only mentors with a deficit.")


def _filters(filters: Any) -> selectors.ComplianceFilters:
    if not filters:
        return selectors.NO_FILTERS
    facility_id = filters.get("facility_id")
    specialty_id = filters.get("specialty_id")
    return selectors.ComplianceFilters(
        tier=_value(filters.get("tier")),
        province_id=filters.get("province_code"),
        facility_id=key_from_global_id(facility_id, Facility, "filters.facilityId") if facility_id else None,
        specialty_id=key_from_global_id(specialty_id, Specialty, "filters.specialtyId")
        if specialty_id
        else None,
        band=_value(filters.get("band")),
        deficit_only=bool(filters.get("deficit_only")),
    )


def _figures_of(root: Any) -> selectors.Figures:
    return root if isinstance(root, selectors.Figures) else root.figures


def _figure(name: str, kind: type[graphene.Scalar], description: str) -> graphene.Field:
    def resolve(root: Any, info: GraphQLResolveInfo) -> Any:
        return getattr(_figures_of(root), name)

    return graphene.Field(kind, required=True, description=description, resolver=resolve)


class _Figures:
    """The quota figures of a mentor or of a set of mentors (a mixin: graphene collects fields
    from every base)."""

    required = _figure("required", graphene.Int, "Mentees the quota requires (sum over rules).")
    filled = _figure("filled", graphene.Int, "Required places filled: min(inForce, required) per rule.")
    deficit = _figure("deficit", graphene.Int, "required - filled.")
    surplus = _figure("surplus", graphene.Int, "Mentorships over the allowed maximum.")
    in_force = _figure("in_force", graphene.Int, "Mentorships in force on the audit date.")
    engaged = _figure("engaged", graphene.Int, "Of those, with mentoring activity in the activity window.")
    paper = _figure("paper", graphene.Int, "Of those, without activity in the window: inForce - engaged.")
    compliance = _figure(
        "compliance", graphene.Float, "100 * filled / required (100 when nothing is required)."
    )
    engaged_compliance = _figure(
        "engaged_compliance", graphene.Float, "Compliance counting engaged mentorships only (no paper ones)."
    )
    band = graphene.Field(
        ComplianceBandEnum,
        required=True,
        resolver=lambda root, info: _figures_of(root).band,
        description="The band of this compliance.",
    )


class _RolledUp(_Figures):
    mentors = _figure("mentors", graphene.Int, "Mentors counted.")


class ComplianceFigures(_RolledUp, graphene.ObjectType):
    """Quota figures summed over a set of mentors."""


class ComplianceSummary(_RolledUp, graphene.ObjectType):
    """Everything in your scope that passes the filters, as of one date."""

    as_of = graphene.Date(required=True)
    policy_version = graphene.Int(required=True, description="The quota policy version in force then.")
    activity_days = graphene.Int(required=True, description="The activity window, in days, for `engaged`.")


class ProvinceCompliance(_RolledUp, graphene.ObjectType):
    province = graphene.Field(Province, required=True)


class FacilityCompliance(_RolledUp, graphene.ObjectType):
    facility = graphene.Field(Facility, required=True)


class SpecialtyCompliance(_RolledUp, graphene.ObjectType):
    specialty = graphene.Field(
        Specialty, description="Null for mentors with no specialty; a mentor counts in each of theirs."
    )


class TierCompliance(graphene.ObjectType):
    """One rule of the policy for one mentor: mentees of one tier."""

    mentee_tier = graphene.Field(TierEnum, required=True)
    required = graphene.Int(required=True)
    maximum = graphene.Int(required=True)
    in_force = graphene.Int(required=True)
    engaged = graphene.Int(required=True)
    paper = graphene.Int(required=True)
    filled = graphene.Int(required=True)
    deficit = graphene.Int(required=True)
    surplus = graphene.Int(required=True)


class MentorCompliance(_Figures, graphene.ObjectType):
    """A mentor's quota as of the audit date."""

    mentor = graphene.Field(Doctor, required=True)
    facility = graphene.Field(Facility, required=True)
    province = graphene.Field(Province, required=True)
    tier = graphene.Field(TierEnum, required=True, description="The mentor's facility tier.")
    tiers = graphene.List(graphene.NonNull(TierCompliance), required=True, description="Per mentee tier.")
    last_activity_at = graphene.DateTime(
        description="The latest mentoring activity before the audit date's end."
    )


class ComplianceTrendPoint(graphene.ObjectType):
    """One month, audited as of its last day (the current month as of today)."""

    month = graphene.Date(required=True, description="The first day of the month.")
    as_of = graphene.Date(required=True)
    policy_version = graphene.Int(required=True)
    total = graphene.Field(
        ComplianceFigures, required=True, description="Your whole scope (the nation for national auditors)."
    )
    provinces = graphene.List(
        graphene.NonNull(ProvinceCompliance),
        required=True,
        description="Each province in your scope, worst first.",
    )

    @staticmethod
    def resolve_total(root: selectors.TrendPoint, info: GraphQLResolveInfo) -> selectors.Figures:
        return root.figures


class FacilityComplianceConnection(graphene.relay.Connection):
    class Meta:
        node = FacilityCompliance

    total_count = graphene.Int(required=True)


class MentorComplianceConnection(graphene.relay.Connection):
    class Meta:
        node = MentorCompliance

    total_count = graphene.Int(required=True)


def _auditor(info: GraphQLResolveInfo) -> Scope:
    return require_auditor(viewer(info))


def _audit_args(**extra: Any) -> dict[str, Any]:
    return {
        "as_of": graphene.Date(description="The audit date (today by default; not in the future)."),
        "filters": graphene.Argument(ComplianceFilter),
        **extra,
    }


def _page_args() -> dict[str, Any]:
    return {"first": graphene.Int(), "after": graphene.String()}


class ComplianceQuery(graphene.ObjectType):
    """The compliance audit (auditors only; everything cut to your scope)."""

    compliance_summary = graphene.Field(
        ComplianceSummary, description="One row: your scope's figures as of a date.", **_audit_args()
    )
    compliance_by_province = graphene.List(
        graphene.NonNull(ProvinceCompliance),
        description="Provinces with mentors in your scope, worst first.",
        **_audit_args(),
    )
    compliance_by_facility = graphene.Field(
        FacilityComplianceConnection,
        description="Facilities with mentors in your scope, worst first (paged).",
        **_audit_args(**_page_args()),
    )
    compliance_by_specialty = graphene.List(
        graphene.NonNull(SpecialtyCompliance),
        description="Mentors' specialties in your scope, worst first.",
        **_audit_args(),
    )
    mentor_compliance = graphene.Field(
        MentorComplianceConnection,
        description="Mentors in your scope, worst first by default (paged).",
        **_audit_args(
            order_by=graphene.Argument(
                MentorComplianceOrderEnum, default_value=selectors.MentorOrder.WORST_FIRST
            ),
            **_page_args(),
        ),
    )
    compliance_trend = graphene.List(
        graphene.NonNull(ComplianceTrendPoint),
        months=graphene.Int(
            default_value=12, description="How many months back, the current one included (1-36)."
        ),
        filters=graphene.Argument(ComplianceFilter),
        description="Month by month, oldest first: your scope's total and each province in it.",
    )

    @staticmethod
    def resolve_compliance_summary(
        root: Any, info: GraphQLResolveInfo, as_of: date | None = None, filters: Any = None
    ) -> selectors.Summary:
        scope = _auditor(info)
        return selectors.compliance_summary(scope, selectors.audit_date(as_of), _filters(filters))

    @staticmethod
    def resolve_compliance_by_province(
        root: Any, info: GraphQLResolveInfo, as_of: date | None = None, filters: Any = None
    ) -> list[selectors.ProvinceRow]:
        scope = _auditor(info)
        return selectors.compliance_by_province(scope, selectors.audit_date(as_of), _filters(filters))

    @staticmethod
    def resolve_compliance_by_facility(
        root: Any,
        info: GraphQLResolveInfo,
        as_of: date | None = None,
        filters: Any = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Any:
        scope = _auditor(info)
        offset, limit = offset_page_bounds(info, first, after)
        page = selectors.compliance_by_facility(
            scope, selectors.audit_date(as_of), _filters(filters), offset=offset, limit=limit
        )
        return offset_connection(
            FacilityComplianceConnection,
            page.rows,
            page.offset,
            has_next=page.has_next,
            total_count=page.total,
        )

    @staticmethod
    def resolve_compliance_by_specialty(
        root: Any, info: GraphQLResolveInfo, as_of: date | None = None, filters: Any = None
    ) -> list[selectors.SpecialtyRow]:
        scope = _auditor(info)
        return selectors.compliance_by_specialty(scope, selectors.audit_date(as_of), _filters(filters))

    @staticmethod
    def resolve_mentor_compliance(
        root: Any,
        info: GraphQLResolveInfo,
        as_of: date | None = None,
        filters: Any = None,
        order_by: Any = selectors.MentorOrder.WORST_FIRST,
        first: int | None = None,
        after: str | None = None,
    ) -> Any:
        scope = _auditor(info)
        offset, limit = offset_page_bounds(info, first, after)
        page = selectors.mentor_compliance(
            scope,
            selectors.audit_date(as_of),
            _filters(filters),
            order=selectors.MentorOrder(_value(order_by)),
            offset=offset,
            limit=limit,
        )
        selectors.with_specialties(page.rows)
        return offset_connection(
            MentorComplianceConnection, page.rows, page.offset, has_next=page.has_next, total_count=page.total
        )

    @staticmethod
    def resolve_compliance_trend(
        root: Any, info: GraphQLResolveInfo, months: int = 12, filters: Any = None
    ) -> list[selectors.TrendPoint]:
        scope = _auditor(info)
        return selectors.compliance_trend(scope, months, _filters(filters))
