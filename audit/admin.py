"""The audit log in the admin: readable and filterable, never writable, even by superusers."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("occurred_at", "action", "actor", "target_type", "target_id", "ip_address")
    list_filter = ("action", "occurred_at", "target_type")
    list_select_related = ("actor",)
    search_fields = ("=target_id", "actor__email", "ip_address")
    date_hierarchy = "occurred_at"
    fields = ("occurred_at", "action", "actor", "target_type", "target_id", "ip_address", "details")
    readonly_fields = fields
    actions = None

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
