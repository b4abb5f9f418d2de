"""Forms of the referral pages: they only collect input; the services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from facilities.models import Facility, Specialty, Tier
from network.models import Case
from referrals.models import Urgency
from referrals.services.referrals import EMERGENCY

TEXTAREA = forms.Textarea(attrs={"rows": 3})


class ReferralForm(forms.Form):
    case = forms.ModelChoiceField(label=_("Case"), queryset=Case.objects.none())
    urgency = forms.ChoiceField(
        label=_("Urgency"), choices=[*Urgency.choices, (EMERGENCY, _("Emergency"))], initial=Urgency.ROUTINE
    )
    question = forms.CharField(label=_("Your question"), widget=TEXTAREA, required=False)
    done_so_far = forms.CharField(label=_("What was already done"), widget=TEXTAREA, required=False)
    icd10_codes = forms.CharField(label=_("ICD-10 codes (comma-separated)"), required=False)
    preferred_response_hours = forms.IntegerField(label=_("Preferred response time (hours)"), required=False)
    facility = forms.ModelChoiceField(
        label=_("Facility queue (leave empty to ask your mentor)"),
        queryset=Facility.objects.none(),
        required=False,
    )
    specialty = forms.ModelChoiceField(
        label=_("Specialty (the case's by default)"), queryset=Specialty.objects.all(), required=False
    )

    def __init__(self, doctor: User, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        case_field, facility_field = self.fields["case"], self.fields["facility"]
        assert isinstance(case_field, forms.ModelChoiceField) and isinstance(
            facility_field, forms.ModelChoiceField
        )
        case_field.queryset = Case.objects.filter(
            author=doctor, published_at__isnull=False, deleted_at__isnull=True
        ).order_by("-published_at")
        # The queues a doctor may pick: higher tiers of their province, and the central hospitals.
        tier = doctor.facility.tier if doctor.facility else Tier.COMMUNE
        higher = [choice.value for choice in Tier][: Tier.rank(tier)]
        province = doctor.facility.province_id if doctor.facility else None
        facility_field.queryset = Facility.objects.filter(
            Q(tier=Tier.CENTRAL) | Q(province_id=province), is_active=True, tier__in=higher
        ).select_related("province")

    def service_arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        codes = [code for code in (data.get("icd10_codes") or "").split(",") if code.strip()]
        return {
            "case_id": data["case"].pk,
            "urgency": data.get("urgency") or "",
            "question": data.get("question") or "",
            "done_so_far": data.get("done_so_far") or "",
            "icd10_codes": codes or None,
            "preferred_response_hours": data.get("preferred_response_hours"),
            "facility_id": data["facility"].pk if data.get("facility") else None,
            "specialty_id": data["specialty"].pk if data.get("specialty") else None,
        }
