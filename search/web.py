"""The search page (/search/): doctors, cases and facilities for verified doctors, over the
same selectors as GraphQL's searches. Refused input is shown on the form's fields."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.forms import add_service_errors
from accounts.models import User
from common.errors import ServiceError
from network.web import verified_doctor_page
from search import selectors
from search.backends.base import CaseQuery, DoctorQuery, FacilityQuery
from search.forms import CASES, DOCTORS, FACILITIES, SearchForm

PAGE_SIZE = 20
# The facets the page offers; each fills the form field of the same name.
FACETS = ("specialty", "province", "tier", "status")


def _run(doctor: User, data: dict[str, Any], offset: int) -> selectors.SearchPage[Any]:
    text = data["q"] or ""
    specialty_ids = (data["specialty"].pk,) if data["specialty"] else ()
    province_codes = (data["province"].pk,) if data["province"] else ()
    tiers = (data["tier"],) if data["tier"] else ()
    if data["kind"] == CASES:
        query = CaseQuery(
            text=text,
            specialty_ids=specialty_ids,
            statuses=(data["status"],) if data["status"] else (),
            published_from=data["published_from"],
            published_to=data["published_to"],
        )
        # The case card (network/_case_card.html) shows no accepted answer: not loaded.
        return selectors.search_cases(
            doctor, query, offset=offset, limit=PAGE_SIZE, card_options={"accepted_answer": False}
        )
    if data["kind"] == FACILITIES:
        return selectors.search_facilities(
            FacilityQuery(text=text, province_codes=province_codes, tiers=tiers),
            offset=offset,
            limit=PAGE_SIZE,
        )
    doctors = DoctorQuery(text=text, specialty_ids=specialty_ids, province_codes=province_codes, tiers=tiers)
    return selectors.search_doctors(doctor, doctors, offset=offset, limit=PAGE_SIZE)


@verified_doctor_page
def search(request: HttpRequest, doctor: User) -> HttpResponse:
    form = SearchForm(request.GET or None)
    context: dict[str, Any] = {"form": form, "kind": DOCTORS}
    if form.is_bound and form.is_valid():
        data = {**form.cleaned_data, "kind": form.cleaned_data["kind"] or DOCTORS}
        try:
            page_number = max(1, int(request.GET.get("page", "1")))
        except ValueError:
            page_number = 1
        try:
            page = _run(doctor, data, (page_number - 1) * PAGE_SIZE)
        except ServiceError as refusal:
            add_service_errors(form, refusal, aliases={"query": "q"})
        else:
            query = request.GET.copy()
            query.pop("page", None)
            context.update(
                kind=data["kind"],
                page=page,
                results=[(row, page.highlights.get(row.pk, [])) for row in page.rows],
                facets=[
                    (name, form.fields[name].label, values)
                    for name, values in page.facets.items()
                    if name in FACETS and values
                ],
                page_number=page_number,
                previous_page=page_number - 1 if page_number > 1 else None,
                next_page=page_number + 1 if page_number * PAGE_SIZE < page.total else None,
                base_query=query.urlencode(),
            )
    return render(request, "search/search.html", context)
