"""The mentoring pages: thin adapters over the services and selectors GraphQL calls.

- For verified doctors, at /mentorship/ (``network.web.verified_doctor_page``): my mentors and
  mentees, proposals to answer (accept, decline) and proposals waiting on the other doctor
  (withdraw, for the proposer), ending a mentorship with a reason, my quota as a mentor
  (``quota_of``, GraphQL's ``myQuota``), and suggestions (``mentorship.selectors.matching``,
  GraphQL's ``mentorSuggestions`` / ``mentorCandidates``) each with a "Propose" form.
- For mentorship administrators, at /audit/plans/ (``require_mentorship_admin``: permission and
  TOTP): the nationwide planner's runs, a plan's summary and pairs, run / apply / discard.

Every write is one service call (``mentorship.services.mentorships``, ``.planner``); a refusal is
shown with the service's own text, as a message or on the form it concerns, and nothing changes.
A mentorship, doctor or plan the viewer may not see is a 404, as if it did not exist.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_GET, require_POST

from accounts.forms import add_service_errors
from accounts.models import User
from common.errors import ServiceError
from facilities.models import Tier
from mentorship.forms import EndForm, ProposeForm
from mentorship.models import Mentorship, MentorshipPlan
from mentorship.selectors.matching import Match, mentee_suggestion_page, mentor_candidate_page
from mentorship.selectors.mentorships import (
    MENTEE,
    MENTOR,
    MentorQuota,
    TierQuota,
    mentoring_overview,
    mentorship_plans,
    plan_pairs,
    quota_of,
)
from mentorship.services import mentorships as services
from mentorship.services import planner
from mentorship.services.permissions import require_mentorship_admin
from mentorship.views import permission_page
from network.web import doctor_key, not_found_is_404, perform, verified_doctor_page

SUGGESTIONS_SHOWN = 5
CLOSED_SHOWN = 20
PLANS_PER_PAGE = 20
PAIRS_PER_PAGE = 50


def _back(request: HttpRequest, default: str) -> HttpResponse:
    """Redirect to the form's ``next`` (a path on this site, e.g. a doctor's profile), else to
    ``default``."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect(default)


# --- The doctor's page ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Suggestion:
    """A suggested doctor with the reasons for the rank and the form proposing to them."""

    match: Match
    form: ProposeForm


@dataclass(frozen=True)
class QuotaLine:
    """One mentee tier of my quota, and mentees of that tier I might propose to (only while
    I have open slots)."""

    tier_label: str
    quota: TierQuota
    suggestions: list[Suggestion]


def propose_form(person: User, role: str) -> ProposeForm:
    """A blank proposal to ``person``, taking ``role``; field ids unique on the page."""
    return ProposeForm(
        initial={"doctor": person.public_id, "role": role}, auto_id=f"propose-{person.public_id}-%s"
    )


def _suggestions(matches: list[Match], role: str) -> list[Suggestion]:
    return [Suggestion(match, propose_form(match.doctor, role)) for match in matches]


def _quota_lines(doctor: User, quota: MentorQuota) -> list[QuotaLine]:
    lines = []
    for line in sorted(quota.tiers, key=lambda line: Tier.rank(line.mentee_tier)):
        matches: list[Match] = []
        if line.remaining > 0:
            try:
                matches = mentee_suggestion_page(doctor, line.mentee_tier, offset=0, limit=SUGGESTIONS_SHOWN)
            except ServiceError:
                matches = []
        lines.append(QuotaLine(str(Tier(line.mentee_tier).label), line, _suggestions(matches, MENTOR)))
    return lines


def _mentor_candidates(doctor: User) -> list[Suggestion] | None:
    """Mentors I might ask, or None when the policy gives my tier none (or I have no facility)."""
    try:
        matches = mentor_candidate_page(doctor, offset=0, limit=SUGGESTIONS_SHOWN)
    except ServiceError:
        return None
    return _suggestions(matches, MENTEE)


def _render_page(
    request: HttpRequest,
    doctor: User,
    refused_end: tuple[uuid.UUID, EndForm] | None = None,
) -> HttpResponse:
    overview = mentoring_overview(doctor, closed_limit=CLOSED_SHOWN)
    quota = quota_of(doctor)

    def end_form(mentorship: Mentorship) -> EndForm:
        if refused_end is not None and refused_end[0] == mentorship.public_id:
            return refused_end[1]
        return EndForm(auto_id=f"end-{mentorship.public_id}-%s")

    context = {
        "doctor": doctor,
        "overview": overview,
        "mentors": [(m, end_form(m)) for m in overview.mentors],
        "mentees": [(m, end_form(m)) for m in overview.mentees],
        "quota": quota,
        "quota_lines": _quota_lines(doctor, quota),
        "candidates": _mentor_candidates(doctor),
        "refused_end": refused_end[0] if refused_end else None,
    }
    return render(request, "mentorship/mentoring.html", context)


@require_GET
@verified_doctor_page
def mentoring(request: HttpRequest, doctor: User) -> HttpResponse:
    """My mentors and mentees, proposals both ways, my quota, suggestions, closed mentorships."""
    return _render_page(request, doctor)


@require_POST
@verified_doctor_page
def propose(request: HttpRequest, doctor: User) -> HttpResponse:
    """Propose a mentorship to a suggested doctor (or from a doctor's profile), as their mentor
    or their mentee; the proposal counts as my acceptance. Refusals come back as messages."""
    form = ProposeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a doctor to propose a mentorship to."))
        return _back(request, reverse("mentoring:home"))
    other = doctor_key(doctor, form.cleaned_data["doctor"])
    try:
        services.propose_mentorship(doctor, **form.service_values(doctor.pk, other))
    except ServiceError as refusal:
        not_found_is_404(refusal)
        add_service_errors(form, refusal)
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
    else:
        messages.success(
            request, _("Your proposal is sent. The mentorship starts when the other doctor accepts.")
        )
    return _back(request, reverse("mentoring:home"))


ANSWERS: dict[str, tuple[Callable[[User, uuid.UUID], Mentorship], str]] = {
    "accept": (services.accept_mentorship, gettext_noop("You accepted the mentorship.")),
    "decline": (services.decline_mentorship, gettext_noop("You declined the proposal.")),
    "withdraw": (services.withdraw_mentorship, gettext_noop("You withdrew your proposal.")),
}


@require_POST
@verified_doctor_page
def answer(request: HttpRequest, doctor: User, mentorship_id: uuid.UUID, action: str) -> HttpResponse:
    """Accept or decline a proposal made to me; withdraw one I made."""
    change, success = ANSWERS[action]
    perform(request, lambda: change(doctor, mentorship_id), _(success))
    return _back(request, reverse("mentoring:home"))


@require_POST
@verified_doctor_page
def end(request: HttpRequest, doctor: User, mentorship_id: uuid.UUID) -> HttpResponse:
    """End an active mentorship with a reason; a refusal is shown on the form, page kept."""
    form = EndForm(request.POST, auto_id=f"end-{mentorship_id}-%s")
    form.is_valid()  # no rule of its own: the service decides
    try:
        services.end_mentorship(doctor, mentorship_id, reason=form.reason_text())
    except ServiceError as refusal:
        not_found_is_404(refusal)
        add_service_errors(form, refusal)
        return _render_page(request, doctor, refused_end=(mentorship_id, form))
    messages.success(request, _("The mentorship has ended."))
    return redirect("mentoring:home")


# --- The planner, for administrators --------------------------------------------------------------


# Sign-in, then ``require_mentorship_admin`` (the permission and an authenticator app), as
# GraphQL's planner fields apply it. Staff reach no page at all without TOTP
# (``accounts.middleware.StaffMFARequiredMiddleware``).
mentorship_admin_page = permission_page(require_mentorship_admin)


def _plan_of(plan_id: uuid.UUID) -> MentorshipPlan:
    plan = mentorship_plans().filter(public_id=plan_id).first()
    if plan is None:
        raise Http404
    return plan


@require_GET
@mentorship_admin_page
def plans(request: HttpRequest, admin: User) -> HttpResponse:
    """The planner's runs, newest first, and the button to run it."""
    page = Paginator(mentorship_plans(), PLANS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "mentorship/plans.html", {"page": page})


@require_POST
@mentorship_admin_page
def plan_run(request: HttpRequest, admin: User) -> HttpResponse:
    """Run the planner now, in this request (tens of seconds at national scale), then show the
    draft plan."""
    try:
        plan = planner.run_plan(admin)
    except ServiceError as refusal:
        for problem in refusal.errors:
            messages.error(request, problem.message)
        return redirect("mentorship:plans")
    messages.success(request, _("The plan is ready to review. Nothing is proposed until you apply it."))
    return redirect("mentorship:plan", plan.public_id)


@dataclass(frozen=True)
class TierRow:
    label: str
    slots: int
    room: int
    filled: int
    matched: int


def _tier_rows(summary: dict[str, Any]) -> list[TierRow]:
    rows = []
    for tier, figures in (summary.get("per_tier") or {}).items():
        label = Tier(tier).label if tier in Tier.values else tier
        rows.append(
            TierRow(
                str(label),
                int(figures.get("slots", 0)),
                int(figures.get("room", 0)),
                int(figures.get("filled", 0)),
                int(figures.get("matched", 0)),
            )
        )
    return rows


@require_GET
@mentorship_admin_page
def plan_detail(request: HttpRequest, admin: User, plan_id: uuid.UUID) -> HttpResponse:
    """A plan's summary and its pairs, a page at a time; Apply and Discard while a draft."""
    plan = _plan_of(plan_id)
    pairs = Paginator(plan_pairs(plan), PAIRS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "plan": plan,
        "summary": plan.summary,
        "tiers": _tier_rows(plan.summary),
        "pairs": pairs,
        "is_draft": plan.status == MentorshipPlan.Status.DRAFT,
    }
    return render(request, "mentorship/plan_detail.html", context)


PLAN_ACTIONS: dict[str, tuple[Callable[[User, uuid.UUID], MentorshipPlan], str]] = {
    "apply": (
        planner.apply_plan,
        gettext_noop("The plan is applied: every pair is proposed to both doctors."),
    ),
    "discard": (planner.discard_plan, gettext_noop("The plan is discarded; nothing was proposed.")),
}


@require_POST
@mentorship_admin_page
def plan_action(request: HttpRequest, admin: User, plan_id: uuid.UUID, action: str) -> HttpResponse:
    """Apply a draft plan (all pairs proposed, or PLAN_STALE and none) or discard it."""
    change, success = PLAN_ACTIONS[action]
    perform(request, lambda: change(admin, plan_id), _(success))
    return redirect("mentorship:plan", plan_id)
