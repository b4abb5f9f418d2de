"""Admin for users and licence submissions.

Verification is never edited here: statuses change only through ``accounts.services`` (the
review queue, or the admin action below, which calls the same service).
"""

from __future__ import annotations

from typing import Any

from allauth.account.decorators import secure_admin_login
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from accounts import selectors, services
from accounts.forms import AdminUserChangeForm, AdminUserCreationForm
from accounts.models import LicenceSubmission, User, VerificationStatus
from accounts.signals import StandingChange, doctor_standing_changed
from common.admin import ReadOnlyAdmin
from common.errors import ServiceError

# The admin's own login form would bypass allauth's rate limits and MFA: send it to allauth's.
admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = AdminUserChangeForm
    add_form = AdminUserCreationForm
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (
            _("Profile"),
            {
                "fields": (
                    "full_name",
                    "title",
                    "position",
                    "phone",
                    "bio",
                    "avatar",
                    "facility",
                    "specialties",
                )
            },
        ),
        (_("Verification"), {"fields": ("verification_status", "licence_expires_on", "submissions")}),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined", "public_id")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "full_name", "usable_password", "password1", "password2"),
            },
        ),
    )
    readonly_fields = (
        "verification_status",
        "licence_expires_on",
        "submissions",
        "last_login",
        "date_joined",
        "public_id",
    )
    list_display = ("full_name", "email", "facility", "verification_status", "is_staff", "is_active")
    list_select_related = ("facility",)
    list_filter = ("verification_status", "is_staff", "is_superuser", "is_active", "facility__tier", "groups")
    search_fields = ("full_name", "email")
    ordering = ("full_name", "email")
    autocomplete_fields = ("facility",)
    filter_horizontal = ("groups", "user_permissions", "specialties")

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        # Deactivating or moving a doctor here is a change others' records depend on.
        changes = []
        if change and "is_active" in form.changed_data and not obj.is_active:
            changes.append(StandingChange.DEACTIVATED)
        if change and "facility" in form.changed_data and form.initial.get("facility") is not None:
            changes.append(StandingChange.FACILITY_CHANGED)
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            for standing_change in changes:
                doctor_standing_changed.send(sender=User, doctor=obj, change=standing_change)

    @admin.display(description=_("Licence submissions"))
    def submissions(self, user: User) -> str:
        url = reverse("admin:accounts_licencesubmission_changelist")
        return format_html('<a href="{}?doctor__id__exact={}">{}</a>', url, user.pk, gettext("Show"))


@admin.register(LicenceSubmission)
class LicenceSubmissionAdmin(ReadOnlyAdmin):
    list_display = ("licence_number", "doctor", "kind", "status", "submitted_at", "reviewed_by", "review")
    list_filter = ("status", "kind", "submitted_at")
    list_select_related = ("doctor", "reviewed_by")
    search_fields = ("licence_number", "doctor__full_name", "doctor__email")
    date_hierarchy = "submitted_at"
    # The scan is private: it is offered only through the permission-checked, audited view.
    fields = (
        "doctor",
        "kind",
        "licence_number",
        "issuing_authority",
        "issued_on",
        "expires_on",
        "scan_link",
        "status",
        "submitted_at",
        "reviewed_by",
        "reviewed_at",
        "decision_reason",
        "review",
    )
    readonly_fields = fields
    actions = ["approve"]

    def has_verify_permission(self, request: HttpRequest) -> bool:
        return selectors.is_verifier(request.user)

    @admin.display(description=_("Scan"))
    def scan_link(self, submission: LicenceSubmission) -> str:
        url = reverse("accounts:licence_scan", args=[submission.pk])
        return format_html('<a href="{}">{}</a>', url, gettext("Download the scan"))

    @admin.display(description=_("Review"))
    def review(self, submission: LicenceSubmission) -> str:
        if submission.status == VerificationStatus.PENDING:
            url = reverse("accounts:review_queue")
            return format_html(
                '<a href="{}#submission-{}">{}</a>', url, submission.pk, gettext("Approve or reject")
            )
        if submission.status == VerificationStatus.VERIFIED:
            url = reverse("accounts:verified_doctors") + "?" + urlencode({"q": submission.licence_number})
            return format_html('<a href="{}">{}</a>', url, gettext("Revoke"))
        return "—"

    @admin.action(description=_("Approve the selected pending licences"), permissions=["verify"])
    def approve(self, request: HttpRequest, queryset: QuerySet[LicenceSubmission]) -> None:
        assert isinstance(request.user, User)
        approved = 0
        for submission_id in queryset.values_list("pk", flat=True):
            try:
                services.review_licence(request.user, submission_id, approve=True)
            except ServiceError as error:
                self.message_user(request, f"#{submission_id}: {error}", messages.ERROR)
            else:
                approved += 1
        if approved:
            message = ngettext("%(count)d licence approved.", "%(count)d licences approved.", approved)
            self.message_user(request, message % {"count": approved}, messages.SUCCESS)
