"""Mentorship in the admin: the policy's history and every mentorship, read-only (statuses
change only through the services), and the compliance auditors, granted and revoked through
``mentorship.services.auditors``. A new policy version is published with the
``publishQuotaPolicy`` mutation (``mentorship.services.policy.publish_policy``)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from common.admin import ReadOnlyAdmin, ReadOnlyInline
from common.errors import ServiceError
from mentorship.models import ComplianceAuditor, Mentorship, MentorshipActivity, QuotaPolicy, QuotaRule
from mentorship.services.auditors import grant_auditor, revoke_auditor, scope_problems
from mentorship.services.permissions import is_mentorship_admin, require_mentorship_admin


class MentorshipAdminAccess:
    """Mentorship administrators see these pages without Django's per-model view permissions."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return super().has_module_permission(request) or is_mentorship_admin(request.user)  # type: ignore[misc]

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_view_permission(request, obj) or is_mentorship_admin(request.user)  # type: ignore[misc]


class QuotaRuleInline(ReadOnlyInline):
    model = QuotaRule
    fields = ("mentor_tier", "mentee_tier", "required", "maximum")


@admin.register(QuotaPolicy)
class QuotaPolicyAdmin(MentorshipAdminAccess, ReadOnlyAdmin):
    list_display = ("version", "effective_from", "max_mentors_per_mentee", "published_by", "published_at")
    list_select_related = ("published_by",)
    fields = ("version", "effective_from", "max_mentors_per_mentee", "reason", "published_by", "published_at")
    readonly_fields = fields
    inlines = (QuotaRuleInline,)
    ordering = ("-effective_from", "-version")


class FlaggedFilter(admin.SimpleListFilter):
    title = _("flagged for review")
    parameter_name = "flagged"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "yes":
            return queryset.filter(flagged_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(flagged_at__isnull=True)
        return queryset


class MentorshipActivityInline(ReadOnlyInline):
    model = MentorshipActivity
    fields = ("kind", "subject_id", "occurred_at")


@admin.register(Mentorship)
class MentorshipAdmin(MentorshipAdminAccess, ReadOnlyAdmin):
    list_display = (
        "mentor",
        "mentee",
        "mentor_tier",
        "mentee_tier",
        "status",
        "proposed_as",
        "proposed_at",
        "started_at",
        "review_reason",
    )
    list_select_related = ("mentor", "mentee")
    list_filter = ("status", "review_reason", FlaggedFilter, "mentor_tier", "mentee_tier", "proposed_as")
    search_fields = ("mentor__full_name", "mentor__email", "mentee__full_name", "mentee__email")
    date_hierarchy = "proposed_at"
    fields = (
        "public_id",
        "mentor",
        "mentee",
        "mentor_tier",
        "mentee_tier",
        "specialty",
        "status",
        "proposed_by",
        "proposed_as",
        "plan",
        "message",
        "proposed_at",
        "expires_at",
        "mentor_accepted_at",
        "mentee_accepted_at",
        "decided_at",
        "started_at",
        "ended_at",
        "ended_by",
        "end_reason",
        "last_activity_at",
        "review_reason",
        "flagged_at",
    )
    readonly_fields = fields
    inlines = (MentorshipActivityInline,)


class ComplianceAuditorForm(forms.ModelForm):
    """Checked by the service before anything is saved: its refusals show on the form."""

    request: HttpRequest | None = None

    class Meta:
        model = ComplianceAuditor
        fields = ("user", "scope", "province", "facility")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        problems = scope_problems(cleaned.get("scope", ""), cleaned.get("province"), cleaned.get("facility"))
        try:
            if self.request is not None:
                require_mentorship_admin(self.request.user)
            if problems:
                raise ServiceError.many(problems)
        except ServiceError as error:
            for problem in error.errors:
                self.add_error(problem.field if problem.field in self.fields else None, problem.message)
        return cleaned


@admin.register(ComplianceAuditor)
class ComplianceAuditorAdmin(MentorshipAdminAccess, admin.ModelAdmin):
    form = ComplianceAuditorForm
    list_display = ("user", "scope", "province", "facility", "granted_by", "granted_at")
    list_select_related = ("user", "province", "facility", "granted_by")
    list_filter = ("scope",)
    search_fields = ("user__full_name", "user__email")
    raw_id_fields = ("user", "facility")
    readonly_fields = ("granted_by", "granted_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return is_mentorship_admin(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_mentorship_admin(request.user)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_mentorship_admin(request.user)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # A grant belongs to one person: to grant someone else, add a new one.
        return ("user", *self.readonly_fields) if obj is not None else self.readonly_fields

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change, **kwargs)
        return type(form.__name__, (form,), {"request": request})

    def save_model(self, request: HttpRequest, obj: ComplianceAuditor, form: Any, change: bool) -> None:
        grant = grant_auditor(
            request.user,  # type: ignore[arg-type]
            obj.user,
            obj.scope,
            province=obj.province,
            facility=obj.facility,
        )
        obj.pk, obj.granted_by, obj.granted_at = grant.pk, grant.granted_by, grant.granted_at

    def delete_model(self, request: HttpRequest, obj: ComplianceAuditor) -> None:
        revoke_auditor(request.user, obj.user)  # type: ignore[arg-type]

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[ComplianceAuditor]) -> None:
        for grant in queryset.select_related("user"):
            revoke_auditor(request.user, grant.user)  # type: ignore[arg-type]
