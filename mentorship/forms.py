"""Forms of the mentoring pages (``mentorship.web``). They only carry what the services take:
every rule (tiers, quota, a reason to end, the note's length) is the services' to apply, and
their refusals are put on these forms' fields (``accounts.forms.add_service_errors``)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from mentorship.selectors.mentorships import MENTEE, MENTOR
from mentorship.services.mentorships import MESSAGE_MAX_LENGTH


class ProposeForm(forms.Form):
    """Propose a mentorship to ``doctor``, taking the side ``role`` (yours)."""

    doctor = forms.UUIDField(widget=forms.HiddenInput)
    role = forms.ChoiceField(choices=[(MENTOR, _("Mentor")), (MENTEE, _("Mentee"))], widget=forms.HiddenInput)
    message = forms.CharField(
        label=_("A note (optional)"),
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": MESSAGE_MAX_LENGTH}),
    )

    def service_values(self, me: int, other: int) -> dict[str, Any]:
        """``propose_mentorship``'s keywords, with the two doctors' keys."""
        mentor, mentee = (me, other) if self.cleaned_data["role"] == MENTOR else (other, me)
        message = self.cleaned_data["message"].replace("\r\n", "\n")
        return {"mentor_id": mentor, "mentee_id": mentee, "message": message}


class EndForm(forms.Form):
    """End an active mentorship; the service asks for the reason (REASON_REQUIRED)."""

    reason = forms.CharField(
        label=_("Why does the mentorship end?"),
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def reason_text(self) -> str:
        return str(self.cleaned_data.get("reason") or "").replace("\r\n", "\n")
