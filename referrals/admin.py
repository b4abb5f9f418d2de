"""Referrals in the admin: read-only (every step goes through ``referrals.services``), and the
response-time targets, changed through ``referrals.services.targets`` (audited)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from common.admin import ReadOnlyAdmin
from common.errors import ServiceError
from mentorship.admin import MentorshipAdminAccess
from mentorship.services.permissions import is_mentorship_admin, require_mentorship_admin
from referrals.models import ConsultationRecord, Referral, ResponseTarget
from referrals.services.targets import FIELDS, set_response_target, target_problems


@admin.register(Referral)
class ReferralAdmin(ReadOnlyAdmin):
    list_display = (
        "public_id",
        "status",
        "urgency",
        "requester",
        "consultant",
        "target_facility",
        "created_at",
    )
    list_select_related = ("requester", "consultant", "target_facility")
    list_filter = ("status", "urgency")
    search_fields = ("public_id",)
    fields = (
        "public_id",
        "status",
        "urgency",
        "requester",
        "target_doctor",
        "target_facility",
        "specialty",
        "consultant",
        "created_at",
        "response_due_at",
        "completion_due_at",
        "first_response_at",
        "completed_at",
        "escalation_level",
        "closed_at",
    )
    readonly_fields = fields


@admin.register(ConsultationRecord)
class ConsultationRecordAdmin(ReadOnlyAdmin):
    list_display = ("referral", "sha256", "created_at")
    fields = ("referral", "file", "sha256", "created_at")
    readonly_fields = fields


class ResponseTargetForm(forms.ModelForm):
    """Checked by the service's rules before anything is saved: its refusals show on the form."""

    request: HttpRequest | None = None

    class Meta:
        model = ResponseTarget
        fields = FIELDS

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        try:
            if self.request is not None:
                require_mentorship_admin(self.request.user)
            problems = target_problems(*(cleaned.get(name) or 0 for name in FIELDS))
            if problems:
                raise ServiceError.many(problems)
        except ServiceError as error:
            for problem in error.errors:
                self.add_error(problem.field if problem.field in self.fields else None, problem.message)
        return cleaned


@admin.register(ResponseTarget)
class ResponseTargetAdmin(MentorshipAdminAccess, admin.ModelAdmin):
    form = ResponseTargetForm
    list_display = (
        "urgency",
        "first_response_hours",
        "completion_hours",
        "escalation_step_hours",
        "updated_at",
    )
    readonly_fields = ("urgency", "updated_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_mentorship_admin(request.user)

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change, **kwargs)
        return type(form.__name__, (form,), {"request": request})

    def save_model(self, request: HttpRequest, obj: ResponseTarget, form: Any, change: bool) -> None:
        set_response_target(
            request.user,
            obj.urgency,
            first_response_hours=obj.first_response_hours,
            completion_hours=obj.completion_hours,
            escalation_step_hours=obj.escalation_step_hours,
        )
