"""GraphQL for reference data: facilities of the four tiers, provinces, specialties (public)."""

from __future__ import annotations

from typing import Any

import graphene
from django.db.models import QuerySet
from django.utils.translation import get_language
from graphene_django import DjangoObjectType
from graphql import GraphQLResolveInfo

from api.relay import ModelNode, PaginatedConnectionField
from facilities import models as facility_models
from facilities import selectors

TierEnum = graphene.Enum.from_enum(
    facility_models.Tier,
    name="Tier",
    description="Level of care, from the top: CENTRAL, PROVINCIAL, DISTRICT (regional health centre), COMMUNE.",
)
OwnershipEnum = graphene.Enum.from_enum(
    facility_models.Facility.Ownership, name="Ownership", description="Public or private facility."
)


class Province(DjangoObjectType):
    """A province or centrally governed city (34 since 1 July 2025)."""

    code = graphene.Int(required=True, description="The official administrative code.")

    class Meta:
        model = facility_models.Province
        fields = ("code", "name", "division_type")


class Commune(DjangoObjectType):
    """A commune-level unit: commune (xã), ward (phường) or special zone (đặc khu)."""

    code = graphene.Int(required=True, description="The official administrative code.")

    class Meta:
        model = facility_models.Commune
        fields = ("code", "name", "division_type")


class Specialty(ModelNode):
    name = graphene.String(required=True, description="The name in the request's language.")

    class Meta:
        model = facility_models.Specialty
        fields = ("code", "name_vi", "name_en")

    @staticmethod
    def resolve_name(root: facility_models.Specialty, info: GraphQLResolveInfo) -> str:
        return root.name_en if (get_language() or "").startswith("en") else root.name_vi


class Facility(ModelNode):
    """A health facility of one of the four tiers."""

    tier = graphene.Field(TierEnum, required=True)
    ownership = graphene.Field(OwnershipEnum, required=True)
    # Declared here, not converted: graphene-django's foreign-key fields would run one query
    # per row through get_queryset; the selectors already join these.
    province = graphene.Field(Province, required=True)
    commune = graphene.Field(Commune)

    class Meta:
        model = facility_models.Facility
        fields = ("name", "national_code")

    @classmethod
    def get_queryset(cls, queryset: QuerySet[Any], info: GraphQLResolveInfo) -> QuerySet[Any]:
        return selectors.active_facilities(queryset)

    @staticmethod
    def resolve_province(root: facility_models.Facility, info: GraphQLResolveInfo) -> Any:
        return root.province

    @staticmethod
    def resolve_commune(root: facility_models.Facility, info: GraphQLResolveInfo) -> Any:
        return root.commune


class FacilitiesQuery(graphene.ObjectType):
    facilities = PaginatedConnectionField(
        Facility,
        tier=graphene.Argument(TierEnum),
        province_code=graphene.Int(),
        search=graphene.String(description="Words the facility's name contains."),
        description="Active facilities, by name.",
    )
    provinces = graphene.List(
        graphene.NonNull(Province), required=True, description="All provinces, by name."
    )
    specialties = graphene.List(
        graphene.NonNull(Specialty), required=True, description="All specialties, by Vietnamese name."
    )

    @staticmethod
    def resolve_facilities(
        root: Any,
        info: GraphQLResolveInfo,
        tier: str | None = None,
        province_code: int | None = None,
        search: str | None = None,
        **_pagination: Any,
    ) -> QuerySet[facility_models.Facility]:
        return selectors.search_facilities(tier=tier, province_code=province_code, search=search)

    @staticmethod
    def resolve_provinces(root: Any, info: GraphQLResolveInfo) -> QuerySet[facility_models.Province]:
        return selectors.provinces()

    @staticmethod
    def resolve_specialties(root: Any, info: GraphQLResolveInfo) -> QuerySet[facility_models.Specialty]:
        return selectors.specialties()
