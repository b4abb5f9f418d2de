"""The audit log in the admin: readable and filterable, never writable, even by superusers."""

from __future__ import annotations

from django.contrib import admin

from audit.models import AuditEvent
from common.admin import ReadOnlyAdmin


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ("occurred_at", "action", "actor", "target_type", "target_id", "ip_address")
    list_filter = ("action", "occurred_at", "target_type")
    list_select_related = ("actor",)
    search_fields = ("=target_id", "actor__email", "ip_address")
    date_hierarchy = "occurred_at"
    fields = ("occurred_at", "action", "actor", "target_type", "target_id", "ip_address", "details")
    readonly_fields = fields
    actions = None
