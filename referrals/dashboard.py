"""The referral section of the administrators' audit dashboard (``/audit/``): the last year's
figures in the auditor's scope and the CSV downloads. The dashboard view adds
:func:`audit_section` to its context and includes ``referrals/_audit_section.html``."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from mentorship.services.permissions import Scope
from referrals.selectors import metrics

EXPORT_LABELS = {
    metrics.Grouping.NATIONAL: _("Summary"),
    metrics.Grouping.PROVINCE: _("Provinces"),
    metrics.Grouping.FACILITY: _("Facilities"),
    metrics.Grouping.SPECIALTY: _("Specialties"),
    metrics.Grouping.MONTH: _("Months"),
}


def audit_section(scope: Scope) -> dict[str, Any]:
    """One statement: the figures of the referrals made in the last year, in ``scope``."""
    rows = metrics.referral_metrics(scope, metrics.Grouping.NATIONAL)
    date_from, date_to = metrics.period(metrics.MetricsFilters())
    return {
        "figures": rows[0] if rows else None,
        "date_from": date_from,
        "date_to": date_to,
        "exports": [
            (reverse(f"referrals:metrics_{grouping.value}"), label)
            for grouping, label in EXPORT_LABELS.items()
        ],
    }
