"""The compliance audit's web pages, mounted at /audit/: the dashboard and the CSV download.

Thin adapters over ``mentorship.selectors.compliance``: sign-in, then the audit permission
(``require_auditor``, whose scope cuts every figure; anyone else gets a 403 page), then one
selector call per panel. Filters and the audit date come from the query string, so every view
can be bookmarked and the CSV link carries the same filters.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import wraps
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from common.errors import ServiceError
from facilities.models import Facility, Province, Specialty, Tier
from mentorship.exports import ExportView, export_response
from mentorship.selectors import compliance as selectors
from mentorship.services.permissions import Scope, require_auditor

MENTORS_PER_PAGE = 50
WORST_FACILITIES = 10

View = Callable[..., HttpResponseBase]


def permission_page(rule: Callable[[Any], Any]) -> Callable[[View], View]:
    """Sign-in first, then ``rule`` (the service's own check); the view receives what the rule
    grants. A refusal is a 403 page saying why."""

    def decorate(view: View) -> View:
        @login_required
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            try:
                granted = rule(request.user)
            except ServiceError as refusal:
                return render(request, "mentorship/not_auditor.html", {"reason": str(refusal)}, status=403)
            return view(request, granted, *args, **kwargs)

        return wrapper

    return decorate


# The view receives the auditor's scope.
auditor_page = permission_page(require_auditor)


class AuditFilterForm(forms.Form):
    """The audit date and filters, from the query string."""

    as_of = forms.DateField(
        label=_("As of"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    tier = forms.ChoiceField(label=_("Mentor tier"), required=False)
    province = forms.ModelChoiceField(label=_("Province"), queryset=Province.objects.none(), required=False)
    specialty = forms.ModelChoiceField(label=_("Specialty"), queryset=Specialty.objects.all(), required=False)
    band = forms.ChoiceField(label=_("Compliance"), required=False)
    page = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, scope: Scope, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.scope = scope
        any_choice = ("", _("All"))
        tier_field, band_field = self.fields["tier"], self.fields["band"]
        assert isinstance(tier_field, forms.ChoiceField) and isinstance(band_field, forms.ChoiceField)
        tier_field.choices = [any_choice, *Tier.choices]
        band_field.choices = [
            any_choice,
            (selectors.ComplianceBand.FULL.value, _("Full (100%)")),
            (selectors.ComplianceBand.PARTIAL.value, _("Partial (50 to 99%)")),
            (selectors.ComplianceBand.LOW.value, _("Low (under 50%)")),
        ]
        provinces = Province.objects.all()
        if scope.province_id is not None:
            provinces = provinces.filter(code=scope.province_id)
        elif scope.facility_id is not None:
            provinces = provinces.filter(facilities=scope.facility_id)
        province_field = self.fields["province"]
        assert isinstance(province_field, forms.ModelChoiceField)
        province_field.queryset = provinces
        province_field.empty_label = str(_("All"))
        specialty_field = self.fields["specialty"]
        assert isinstance(specialty_field, forms.ModelChoiceField)
        specialty_field.empty_label = str(_("All"))

    def clean_as_of(self) -> date:
        value = self.cleaned_data.get("as_of")
        if value is not None and value > timezone.localdate():
            raise forms.ValidationError(_("The audit date cannot be in the future."))
        result: date = value or timezone.localdate()
        return result

    def audit(self) -> tuple[date, selectors.ComplianceFilters, int]:
        """(audit date, filters, page number); defaults for whatever did not validate."""
        data = self.cleaned_data if self.is_valid() else {}
        province = data.get("province")
        specialty = data.get("specialty")
        filters = selectors.ComplianceFilters(
            tier=data.get("tier") or None,
            province_id=province.code if province else None,
            specialty_id=specialty.pk if specialty else None,
            band=data.get("band") or None,
        )
        return data.get("as_of") or timezone.localdate(), filters, data.get("page") or 1


def _query(request: HttpRequest, **changes: Any) -> str:
    query = request.GET.copy()
    for key, value in changes.items():
        if value is None:
            query.pop(key, None)
        else:
            query[key] = str(value)
    return query.urlencode()


def _bar_width(compliance: float) -> int:
    return max(0, min(100, round(compliance)))


@auditor_page
def dashboard(request: HttpRequest, scope: Scope) -> HttpResponse:
    form = AuditFilterForm(scope, request.GET or None)
    as_of, filters, page_number = form.audit()
    summary = selectors.compliance_summary(scope, as_of, filters)
    provinces = selectors.compliance_by_province(scope, as_of, filters)
    facilities = selectors.compliance_by_facility(scope, as_of, filters, limit=WORST_FACILITIES)
    in_deficit = selectors.ComplianceFilters(**{**filters.__dict__, "deficit_only": True})
    mentors = selectors.mentor_compliance(
        scope, as_of, in_deficit, offset=(page_number - 1) * MENTORS_PER_PAGE, limit=MENTORS_PER_PAGE
    )
    scope_facility = (
        Facility.objects.select_related("province").filter(pk=scope.facility_id).first()
        if scope.facility_id is not None
        else None
    )
    scope_province = (
        Province.objects.filter(code=scope.province_id).first() if scope.province_id is not None else None
    )
    from referrals.dashboard import audit_section  # the referrals app sits above this one

    context = {
        "referrals": audit_section(scope),
        "form": form,
        "as_of": as_of,
        "scope": scope,
        "scope_province": scope_province,
        "scope_facility": scope_facility,
        "summary": summary,
        "provinces": [(row, _bar_width(row.figures.compliance)) for row in provinces],
        "facilities": facilities,
        "mentors": mentors,
        "mentor_rows": [(row, [(Tier(t.mentee_tier).label, t) for t in row.tiers]) for row in mentors.rows],
        "page_number": page_number,
        "previous_query": _query(request, page=page_number - 1 if page_number > 2 else None)
        if page_number > 1
        else None,
        "next_query": _query(request, page=page_number + 1) if mentors.has_next else None,
        "export_query": _query(request, page=None),
        "export_views": [
            (ExportView.MENTORS.value, _("Mentors")),
            (ExportView.FACILITIES.value, _("Facilities")),
            (ExportView.PROVINCES.value, _("Provinces")),
            (ExportView.SPECIALTIES.value, _("Specialties")),
            (ExportView.SUMMARY.value, _("Summary")),
            (ExportView.TREND.value, _("Monthly trend")),
        ],
    }
    return render(request, "mentorship/dashboard.html", context)


@auditor_page
def export(request: HttpRequest, scope: Scope, view: str) -> HttpResponseBase:
    form = AuditFilterForm(scope, request.GET or None)
    as_of, filters, _page = form.audit()
    auditor = request.user
    assert isinstance(auditor, User)
    return export_response(auditor, scope, ExportView(view), as_of, filters)
