"""Server-rendered pages for doctors and verifiers: thin adapters over ``accounts.services``."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from pathlib import PurePath
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import selectors, services
from accounts.forms import (
    DecisionForm,
    LicenceSubmissionForm,
    ProfileForm,
    RegistryExtractForm,
    RevocationForm,
    add_service_errors,
)
from accounts.models import LicenceSubmission, User
from common.errors import ServiceError

PAGE_SIZE = 50

View = Callable[..., HttpResponseBase]


def verifier_required(view: View) -> View:
    """Sign-in first, then the same verifier rule the services apply (403 otherwise)."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            services.require_verifier(request.user)
        except ServiceError as error:
            raise PermissionDenied(str(error)) from error
        return view(request, *args, **kwargs)

    return wrapper


def _signed_in_user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _flash_errors(request: HttpRequest, error: ServiceError) -> None:
    for problem in error.errors:
        messages.error(request, problem.message)


# --- Doctors ---------------------------------------------------------------------------------


@login_required
def submit_licence(request: HttpRequest) -> HttpResponse:
    doctor = _signed_in_user(request)
    form = LicenceSubmissionForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.submit_licence(doctor, **form.cleaned_data)
        except ServiceError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Your licence was sent for review. We will email you the decision."))
            return redirect("home")
    return render(request, "accounts/licence_form.html", {"form": form, "doctor": doctor})


@login_required
def edit_profile(request: HttpRequest) -> HttpResponse:
    user = _signed_in_user(request)
    form = ProfileForm.for_user(selectors.profile_of(user), request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        values = form.cleaned_data
        try:
            services.update_profile(
                user,
                # A new upload, or False when the widget's "clear" box is ticked; else the current file.
                avatar=values["avatar"] if isinstance(values["avatar"], UploadedFile) else None,
                remove_avatar=values["avatar"] is False,
                facility_id=values["facility"].pk if values["facility"] else None,
                specialty_ids=[specialty.pk for specialty in values["specialties"]],
                **{name: values[name] for name in services.PROFILE_FIELDS},
            )
        except ServiceError as error:
            add_service_errors(form, error, ProfileForm.service_fields)
        else:
            messages.success(request, _("Your profile was saved."))
            return redirect("accounts:profile")
    return render(request, "accounts/profile_form.html", {"form": form})


@login_required
def licence_scan(request: HttpRequest, submission_id: int) -> FileResponse:
    """Stream a licence scan to whoever the service lets open it (it audits the viewing).

    Scans live in private storage that no URL serves; anyone else gets a 404, so the view
    does not reveal which submissions exist.
    """
    try:
        submission = services.open_licence_scan(_signed_in_user(request), submission_id)
        scan = submission.scan.open("rb")
    except (ServiceError, FileNotFoundError) as error:
        raise Http404 from error
    extension = PurePath(submission.scan.name).suffix  # the service names it by the detected type
    response = FileResponse(
        scan,
        as_attachment=True,
        filename=f"licence-{submission.pk}{extension}",
        content_type=submission.scan_content_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


# --- Verifiers -------------------------------------------------------------------------------


def _paginate(request: HttpRequest, rows: QuerySet[LicenceSubmission]) -> Any:
    return Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))


@verifier_required
def review_queue(request: HttpRequest) -> HttpResponse:
    pending = selectors.pending_licence_submissions(_signed_in_user(request))
    return render(request, "accounts/review_queue.html", {"page": _paginate(request, pending)})


@verifier_required
def verified_doctors(request: HttpRequest) -> HttpResponse:
    """Current verifications, searchable, each with a revoke form."""
    query = request.GET.get("q", "").strip()
    verified = selectors.verified_doctors_for_review(_signed_in_user(request), query)
    return render(
        request,
        "accounts/verified_doctors.html",
        {"page": _paginate(request, verified), "query": query},
    )


@require_POST
@verifier_required
def decide(request: HttpRequest, submission_id: int) -> HttpResponse:
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose approve or reject."))
        return redirect("accounts:review_queue")
    approve = form.cleaned_data["decision"] == "approve"
    try:
        submission = services.review_licence(
            _signed_in_user(request), submission_id, approve=approve, reason=form.cleaned_data["reason"]
        )
    except ServiceError as error:
        _flash_errors(request, error)
    else:
        doctor = submission.doctor
        if approve:
            messages.success(request, _("%(doctor)s is now verified.") % {"doctor": doctor})
        else:
            messages.success(request, _("The licence of %(doctor)s was rejected.") % {"doctor": doctor})
    return redirect("accounts:review_queue")


@require_POST
@verifier_required
def revoke(request: HttpRequest, doctor_id: int) -> HttpResponse:
    form = RevocationForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        submission = services.revoke_verification(_signed_in_user(request), doctor_id, reason=reason)
    except ServiceError as error:
        _flash_errors(request, error)
    else:
        messages.success(
            request, _("The verification of %(doctor)s was revoked.") % {"doctor": submission.doctor}
        )
    return redirect("accounts:verified_doctors")


@verifier_required
def bulk_verify(request: HttpRequest) -> HttpResponse:
    """Verify pending doctors found in the national practitioner registry extract."""
    form = RegistryExtractForm(request.POST or None, request.FILES or None)
    report = None
    verified: list[User] = []
    if request.method == "POST" and form.is_valid():
        try:
            report = services.bulk_verify_from_registry(_signed_in_user(request), form.cleaned_data["file"])
        except ServiceError as error:
            add_service_errors(form, error)
        else:
            verified = selectors.doctors_verified_in_bulk(_signed_in_user(request), report.verified)
    return render(
        request, "accounts/bulk_verify.html", {"form": form, "report": report, "verified": verified}
    )
