"""``{% mentorship_propose person %}``: the "Propose a mentorship" form for another doctor's
page, shown only when the viewer is a verified doctor, the policy in force pairs the two
doctors' tiers and they have no mentorship proposed or active
(``mentorship.selectors.mentorships.proposal_role``). It posts to /mentorship/propose/ and
comes back to the page; the service decides again."""

from __future__ import annotations

from typing import Any

from django import template

from accounts.models import User
from accounts.services import is_verified_doctor
from mentorship.selectors.mentorships import proposal_role
from mentorship.web import propose_form

register = template.Library()


@register.inclusion_tag("mentorship/_propose_button.html", takes_context=True)
def mentorship_propose(context: template.Context, person: User) -> dict[str, Any]:
    request = context.get("request")
    viewer = getattr(request, "user", None)
    role = None
    if isinstance(viewer, User) and is_verified_doctor(viewer):
        role = proposal_role(viewer, person)
    return {
        "role": role,
        "form": propose_form(person, role) if role else None,
        "next": request.path if request is not None else "",
        "csrf_token": context.get("csrf_token"),
        "LANGUAGE_CODE": context.get("LANGUAGE_CODE"),
    }
