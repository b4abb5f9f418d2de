"""Web endpoints of the referrals app: the consultation record download and the FHIR export.

Thin adapters: who may see what is decided by ``referrals.selectors``.
"""

from __future__ import annotations

import json
import uuid

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase

from accounts.models import User
from audit.services import record
from mentorship.services.permissions import Scope
from mentorship.views import auditor_page
from referrals import fhir
from referrals.exports import metrics_csv
from referrals.selectors import metrics
from referrals.selectors import referrals as selectors


@login_required
def record_download(request: HttpRequest, referral_id: uuid.UUID) -> FileResponse:
    """The consultation record PDF, for the referral's requester and consultant; audited."""
    consultation_record = selectors.record_of(request.user, referral_id)
    if consultation_record is None:
        raise Http404
    assert isinstance(request.user, User)  # a verified doctor, or there would be no record
    record("referral.record_viewed", actor=request.user, target=consultation_record.referral)
    return FileResponse(
        consultation_record.file.open("rb"),
        as_attachment=True,
        filename=f"bien-ban-hoi-chan-{referral_id}.pdf",
        content_type="application/pdf",
    )


@login_required
def fhir_export(request: HttpRequest, referral_id: uuid.UUID) -> HttpResponse:
    """The referral as a FHIR R4 Bundle (ServiceRequest + Task), for whoever may see it."""
    referral = (
        selectors.with_parties(selectors.referrals_visible_to(request.user), request.user)
        .filter(public_id=referral_id)
        .first()
    )
    if referral is None:
        raise Http404
    body = json.dumps(
        fhir.export_referral(referral, case_visible=getattr(referral, "case_visible", False)),
        ensure_ascii=False,
    )
    return HttpResponse(body, content_type="application/fhir+json; fhirVersion=4.0")


@auditor_page
def metrics_export(request: HttpRequest, scope: Scope, grouping: str) -> HttpResponseBase:
    """The metrics of one grouping as CSV, for auditors (cut to their scope)."""
    return metrics_csv(request.user, scope, metrics.Grouping(grouping), metrics.MetricsFilters())  # type: ignore[arg-type]
