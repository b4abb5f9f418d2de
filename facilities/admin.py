"""Admin for reference data. Provinces and communes come from the official list
(``load_reference_data``), so the admin only shows them."""

from __future__ import annotations

from django.contrib import admin

from common.admin import ReadOnlyAdmin
from facilities.models import Commune, Facility, Province, Specialty


@admin.register(Province)
class ProvinceAdmin(ReadOnlyAdmin):
    list_display = ("name", "code", "division_type", "phone_code")
    search_fields = ("name", "codename")


@admin.register(Commune)
class CommuneAdmin(ReadOnlyAdmin):
    list_display = ("name", "division_type", "province", "code")
    list_filter = ("division_type", "province")
    list_select_related = ("province",)
    search_fields = ("name", "codename")


@admin.register(Facility)
class FacilityAdmin(admin.ModelAdmin):
    list_display = ("name", "tier", "province", "commune", "ownership", "is_active")
    list_filter = ("tier", "ownership", "is_active", "province")
    list_select_related = ("province", "commune")
    search_fields = ("name", "national_code")
    autocomplete_fields = ("province", "commune")


@admin.register(Specialty)
class SpecialtyAdmin(admin.ModelAdmin):
    list_display = ("name_vi", "name_en", "code")
    search_fields = ("name_vi", "name_en", "code")
