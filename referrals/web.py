"""The referral pages for verified doctors, at /referrals/: thin adapters over the services and
selectors GraphQL calls.

- ``home``: what waits for me (my queue), my requests, the referrals I answer;
- ``new``: refer one of my published cases (to my mentor, or to a facility's queue);
- ``detail``: one referral, with the buttons and forms of the steps I may take now
  (``services.referrals.actions_for``, the services' own table);
- ``act``: one step (POST), then back to the referral.

A referral the viewer may not see is a 404; a refusal is shown with the service's own text.
"""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.models import User
from common.errors import ServiceError
from network.web import perform, show_refusal, verified_doctor_page
from referrals.forms import ReferralForm
from referrals.models import Referral
from referrals.selectors import referrals as selectors
from referrals.services import referrals as services
from referrals.services.referrals import Action

LISTED = 50


@verified_doctor_page
def home(request: HttpRequest, doctor: User) -> HttpResponse:
    context = {
        "queue": selectors.queue_of(doctor)[:LISTED],
        "requested": selectors.referrals_of(doctor, role=selectors.REQUESTER)[:LISTED],
        "answering": selectors.referrals_of(doctor, role=selectors.CONSULTANT)[:LISTED],
    }
    return render(request, "referrals/home.html", context)


@verified_doctor_page
def new(request: HttpRequest, doctor: User) -> HttpResponse:
    form = ReferralForm(doctor, request.POST or None, initial={"case": request.GET.get("case")})
    previews = {}
    if request.method == "POST" and form.is_valid():
        texts = {name: form.cleaned_data.get(name) or "" for name in ("question", "done_so_far")}
        try:
            referral = services.request_referral(doctor, **form.service_arguments())
        except ServiceError as refusal:
            previews = show_refusal(form, refusal, texts, {"caseId": "case", "facilityId": "facility"})
        else:
            messages.success(request, _("Your referral was sent."))
            return redirect("referrals:detail", referral.public_id)
    return render(request, "referrals/new.html", {"form": form, "previews": previews})


def _referral_of(doctor: User, referral_id: uuid.UUID) -> Referral:
    referral = (
        selectors.with_parties(selectors.referrals_visible_to(doctor), doctor)
        .filter(public_id=referral_id)
        .first()
    )
    if referral is None:
        raise Http404
    return referral


@verified_doctor_page
def detail(request: HttpRequest, doctor: User, referral_id: uuid.UUID) -> HttpResponse:
    referral = _referral_of(doctor, referral_id)
    context = {
        "referral": referral,
        "actions": {action.value for action in services.actions_for(doctor, referral)},
        "overdue": selectors.response_overdue(referral),
        "completion_overdue": selectors.completion_overdue(referral),
        "is_participant": doctor.pk in {referral.requester_id, referral.consultant_id},
    }
    return render(request, "referrals/detail.html", context)


def _flag(value: str | None) -> bool | None:
    return {"yes": True, "no": False}.get(value or "")


def _number(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


# Each step: the service call (doctor, referral key, the POST data) and what to say when it worked.
STEPS = {
    Action.ACCEPT: (lambda d, k, p: services.accept_referral(d, k), gettext_lazy("You took this referral.")),
    Action.REJECT: (
        lambda d, k, p: services.reject_referral(d, k, reason=p.get("reason", "")),
        gettext_lazy("Declined."),
    ),
    Action.START: (lambda d, k, p: services.start_referral(d, k), gettext_lazy("Started.")),
    Action.HOLD: (
        lambda d, k, p: services.request_information(d, k, question=p.get("question", "")),
        gettext_lazy("Your question was sent; the referral waits for the answer."),
    ),
    Action.RESUME: (
        lambda d, k, p: services.give_information(d, k, answer=p.get("answer", "")),
        gettext_lazy("Your answer was sent."),
    ),
    Action.COMPLETE: (
        lambda d, k, p: services.complete_referral(
            d,
            k,
            assessment=p.get("assessment", ""),
            recommendation=p.get("recommendation", ""),
            transfer_advised=_flag(p.get("transfer_advised")),
            follow_up_plan=p.get("follow_up_plan", ""),
        ),
        gettext_lazy("Answered; the consultation record was generated."),
    ),
    Action.CANCEL: (lambda d, k, p: services.cancel_referral(d, k), gettext_lazy("Cancelled.")),
    Action.CLOSE: (
        lambda d, k, p: services.close_referral(
            d,
            k,
            transfer_avoided=_flag(p.get("transfer_avoided")),
            plan_changed=_flag(p.get("plan_changed")),
            usefulness=_number(p.get("usefulness")),
        ),
        gettext_lazy("Thank you: the outcome was recorded."),
    ),
}


@require_POST
@verified_doctor_page
def act(request: HttpRequest, doctor: User, referral_id: uuid.UUID, action: str) -> HttpResponse:
    try:
        step, success = STEPS[Action(action)]
    except ValueError:
        raise Http404 from None
    perform(request, lambda: step(doctor, referral_id, request.POST), str(success))
    if not selectors.referrals_visible_to(doctor).filter(public_id=referral_id).exists():
        return redirect("referrals:home")
    return redirect("referrals:detail", referral_id)
