"""``{% case_chat case %}``: the chat panel of a case page (``chat.web.case_panel``)."""

from __future__ import annotations

from typing import Any

from django import template

from chat.web import case_panel
from network.models import Case

register = template.Library()


@register.inclusion_tag("chat/_case_panel.html", takes_context=True)
def case_chat(context: template.Context, case: Case) -> dict[str, Any]:
    return {**case_panel(context["request"].user, case), "csrf_token": context.get("csrf_token")}
