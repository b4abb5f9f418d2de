"""The search page's form: what to look for, and the filters the facets offer."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.forms import DateInput
from facilities.models import Province, Specialty, Tier
from network.models import Case
from search.selectors import MAX_QUERY_LENGTH

DOCTORS, CASES, FACILITIES = "doctors", "cases", "facilities"


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=MAX_QUERY_LENGTH)
    kind = forms.ChoiceField(
        label=_("Look for"),
        choices=[(DOCTORS, _("Doctors")), (CASES, _("Cases")), (FACILITIES, _("Facilities"))],
        initial=DOCTORS,
        required=False,
    )
    specialty = forms.ModelChoiceField(label=_("Specialty"), queryset=Specialty.objects.all(), required=False)
    province = forms.ModelChoiceField(label=_("Province"), queryset=Province.objects.all(), required=False)
    tier = forms.ChoiceField(label=_("Tier"), choices=[("", _("Any")), *Tier.choices], required=False)
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", _("Any")), *Case.Status.choices], required=False
    )
    published_from = forms.DateField(label=_("Published from"), required=False, widget=DateInput())
    published_to = forms.DateField(label=_("Published to"), required=False, widget=DateInput())
