"""The network's server-rendered pages for doctors: thin adapters over the same services and
selectors GraphQL calls (``network.services``, ``network.selectors``).

Only verified doctors see these pages (the foundation's one rule, ``require_verified_doctor``);
anyone else signed in is told why and pointed at licence submission. A case, comment or doctor
the viewer may not see is a 404, as if it did not exist. URLs name cases, comments, doctors
and notifications by their public ids, never by sequential keys.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import wraps
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop
from django.views.decorators.http import require_GET, require_POST

from accounts.forms import add_service_errors
from accounts.models import User
from accounts.selectors import doctors_visible_to, with_profile
from accounts.services import may_submit_licence, require_verified_doctor
from common.errors import CommonErrorCode, ServiceError, TextSpan, input_name
from network.errors import NetworkErrorCode
from network.forms import (
    AttachmentForm,
    CaseForm,
    CommentEditForm,
    CommentForm,
    ConnectForm,
    DismissReportForm,
    FollowSpecialtyForm,
    HideContentForm,
    NotificationPreferencesForm,
    ReportForm,
    display_name,
    mention_text,
)
from network.identifier_guard import KIND_LABELS, IdentifierKind
from network.models import Case, ConnectionRequest, Notification
from network.selectors.cases import cases_of_author, cases_visible_to, with_card_data
from network.selectors.comments import comments_of_case, comments_visible_to
from network.selectors.connections import (
    are_connected,
    blocked_doctors,
    connections_of,
    followed_specialties,
    incoming_requests,
    mutual_connections,
    outgoing_requests,
)
from network.selectors.feed import FeedPosition, feed_cards
from network.selectors.mentions import mentionable_doctors
from network.selectors.moderation import moderation_queue
from network.selectors.notifications import notification_preferences, notifications_of, unread_count
from network.selectors.suggestions import suggestion_page
from network.services import cases as case_services
from network.services import comments as comment_services
from network.services import connections as connection_services
from network.services import follows, moderation
from network.services import notifications as notification_services

FEED_PAGE_SIZE = 20
COMMENTS_PAGE_SIZE = 50
LIST_PAGE_SIZE = 50
PENDING_REQUESTS_SHOWN = 50
SUGGESTIONS_SHOWN = 10
PROFILE_CASES_SHOWN = 10
MUTUAL_CONNECTIONS_SHOWN = 12

View = Callable[..., HttpResponseBase]


# --- Who may open the pages ----------------------------------------------------------------------


def verified_doctor_page(view: View) -> View:
    """Sign-in first, then the one rule: the view receives the verified doctor after the
    request. Anyone else gets a page saying why (403), with the way to get verified."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            doctor = require_verified_doctor(request.user)
        except ServiceError as refusal:
            user = request.user
            assert isinstance(user, User)
            context = {"reason": str(refusal), "may_submit": may_submit_licence(user)}
            return render(request, "network/not_verified.html", context, status=403)
        return view(request, doctor, *args, **kwargs)

    return wrapper


# --- Helpers shared by the pages -----------------------------------------------------------------


def _back(request: HttpRequest, default: str) -> HttpResponse:
    """Redirect to the form's ``next`` (a path on this site), else to ``default``."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect(default)


def perform(request: HttpRequest, action: Callable[[], object], success: str) -> bool:
    """Run a service call for a button (here and on the mentoring pages): say what happened, or
    why not. A NOT_FOUND refusal is a 404 page, as for anything the viewer may not see."""
    try:
        action()
    except ServiceError as refusal:
        not_found_is_404(refusal)
        for problem in refusal.errors:
            messages.error(request, problem.message)
        return False
    messages.success(request, success)
    return True


def not_found_is_404(refusal: ServiceError) -> None:
    """Raise Http404 when the refusal is NOT_FOUND (every app's code has that value)."""
    if any(problem.code == CommonErrorCode.NOT_FOUND for problem in refusal.errors):
        raise Http404 from refusal


def _case_of(doctor: User, case_id: uuid.UUID) -> Case:
    """The case with what its page shows, if ``doctor`` may see it; else 404."""
    case = with_card_data(cases_visible_to(doctor).filter(public_id=case_id), doctor).first()
    if case is None:
        raise Http404
    return case


def _case_key(doctor: User, case_id: uuid.UUID) -> int:
    key = cases_visible_to(doctor).filter(public_id=case_id).values_list("pk", flat=True).first()
    if key is None:
        raise Http404
    return key


@dataclass(frozen=True)
class _CommentRef:
    pk: int
    case_id: uuid.UUID  # the case's public id, for the way back


def _comment_ref(doctor: User, comment_id: uuid.UUID) -> _CommentRef:
    row = (
        comments_visible_to(doctor).filter(public_id=comment_id).values_list("pk", "case__public_id").first()
    )
    if row is None:
        raise Http404
    return _CommentRef(pk=row[0], case_id=row[1])


def _case_url(case_id: uuid.UUID, comment_id: uuid.UUID | None = None) -> str:
    url = reverse("network:case", args=[case_id])
    return f"{url}#comment-{comment_id}" if comment_id else url


def _doctor_of(doctor: User, doctor_id: uuid.UUID) -> User:
    """A doctor's profile as ``doctor`` may see it (GraphQL's ``doctor(id:)``); else 404."""
    person = with_profile(doctors_visible_to(doctor, User.objects.filter(public_id=doctor_id))).first()
    if person is None:
        raise Http404
    return person


# --- The identifier guard's refusals, shown inside the text ----------------------------------------


@dataclass(frozen=True)
class Segment:
    """A run of a field's text: plain (``kind`` ""), or a patient identifier to remove, with its
    kind (an ``IdentifierKind`` value) and that kind's label in the request's language."""

    text: str
    kind: str = ""
    label: str = ""


def highlighted(text: str, spans: Sequence[TextSpan]) -> list[Segment]:
    """``text`` cut into plain runs and the identifiers ``spans`` point at, in order.

    If a span does not index ``text`` (it was reported on another rendering of the field), only
    the identifiers are listed, so nothing is highlighted in the wrong place."""
    ordered = sorted(spans, key=lambda span: span.start)
    if any(text[span.start : span.end] != span.text for span in ordered):
        return [Segment(span.text, span.kind, _kind_label(span.kind)) for span in ordered]
    segments: list[Segment] = []
    at = 0
    for span in ordered:
        if span.start > at:
            segments.append(Segment(text[at : span.start]))
        segments.append(Segment(span.text, span.kind, _kind_label(span.kind)))
        at = span.end
    if at < len(text):
        segments.append(Segment(text[at:]))
    return segments


def _kind_label(kind: str) -> str:
    try:
        return str(KIND_LABELS[IdentifierKind(kind)])
    except ValueError:
        return kind


def identifier_previews(
    refusal: ServiceError, texts: dict[str, str], aliases: dict[str, str] | None = None
) -> dict[str, list[Segment]]:
    """For each form field the guard refused: its text with the identifiers marked.

    ``texts`` maps form field names to the text the service checked; the refusal names fields
    as services do (camelCase), optionally through ``aliases``."""
    by_service_name = {input_name(name): name for name in texts} | (aliases or {})
    previews: dict[str, list[Segment]] = {}
    for problem in refusal.errors:
        name = by_service_name.get(problem.field or "")
        if problem.spans and name in texts:
            previews[name] = highlighted(texts[name], problem.spans)
    return previews


def show_refusal(
    form: forms.Form, refusal: ServiceError, texts: dict[str, str], aliases: dict[str, str] | None = None
) -> dict[str, list[Segment]]:
    """Put a service's refusal on ``form``, field by field; returns the guard's previews.

    ``texts`` must be read from the form before this call: ``Form.add_error`` drops the field
    from ``cleaned_data``."""
    previews = identifier_previews(refusal, texts, aliases)
    add_service_errors(form, refusal, aliases)
    return previews


@dataclass(frozen=True)
class FieldRow:
    """A form field and, if the guard refused its text, that text with the identifiers marked."""

    field: forms.BoundField
    preview: list[Segment] | None = None


def _rows(form: forms.Form, names: Iterable[str], previews: dict[str, list[Segment]]) -> list[FieldRow]:
    return [FieldRow(form[name], previews.get(name)) for name in names]


# --- Feed ------------------------------------------------------------------------------------------


@verified_doctor_page
def feed(request: HttpRequest, doctor: User) -> HttpResponse:
    """The personalised feed, newest first; "older" continues after the last case shown."""
    position = None
    if after := request.GET.get("after"):
        try:
            position = FeedPosition.from_cursor(after)
        except ValueError:
            raise Http404 from None
    # One case more than shown tells whether an older page exists (as GraphQL's feed does).
    cases = feed_cards(doctor, first=FEED_PAGE_SIZE + 1, after=position)
    shown = cases[:FEED_PAGE_SIZE]
    older = FeedPosition.of(shown[-1]).cursor if len(cases) > FEED_PAGE_SIZE else None
    return render(
        request,
        "network/feed.html",
        {"doctor": doctor, "cases": shown, "older": older, "first_page": position is None},
    )


@verified_doctor_page
def my_cases(request: HttpRequest, doctor: User) -> HttpResponse:
    """The doctor's own cases, drafts included, last changed first."""
    page = Paginator(cases_of_author(doctor), FEED_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "network/my_cases.html", {"doctor": doctor, "page": page})


# --- Case page -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RevisionRow:
    edited_at: datetime
    fields: list[str]  # labels of the fields the edit changed


# Revisions name the services' keywords; the form's labels name them for people.
_REVISION_FIELDS = {"specialty_id": "specialty", "audience_ids": "audience"}


def _revision_rows(case: Case) -> list[RevisionRow]:
    def label(name: str) -> str:
        field = CaseForm.base_fields.get(_REVISION_FIELDS.get(name, name))
        return str(field.label) if field is not None else name

    return [
        RevisionRow(revision.edited_at, [label(name) for name in revision.previous])
        for revision in case.revisions.all()
    ]


def _render_case(
    request: HttpRequest,
    doctor: User,
    case: Case,
    comment_form: CommentForm | None = None,
    previews: dict[str, list[Segment]] | None = None,
    mentioned: Sequence[MentionChip] = (),
) -> HttpResponse:
    comments = Paginator(comments_of_case(doctor, case.pk), COMMENTS_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    is_author = case.author_id == doctor.pk
    context = {
        "doctor": doctor,
        "case": case,
        "comments": comments,
        "is_author": is_author,
        "can_discuss": case.status in case_services.OPEN_FOR_DISCUSSION,
        "revisions": _revision_rows(case) if is_author else [],
        "comment_form": comment_form or CommentForm(),
        "comment_preview": (previews or {}).get("body"),
        "mentioned": mentioned,
        "report_form": ReportForm(),
    }
    return render(request, "network/case_detail.html", context)


@verified_doctor_page
def case_detail(request: HttpRequest, doctor: User, case_id: uuid.UUID) -> HttpResponse:
    return _render_case(request, doctor, _case_of(doctor, case_id))


CASE_SECTIONS = (
    (gettext_lazy("The case"), ("title", "specialty", "icd10_codes", "age_band", "sex")),
    (
        gettext_lazy("Clinical details"),
        ("presenting_problem", "history", "findings", "investigations", "question", "tags"),
    ),
    (gettext_lazy("Audience"), ("visibility", "audience")),
    (gettext_lazy("Consent"), ("consent_by", "consent_method", "consent_note")),
)


def _guarded_texts(form: CaseForm) -> dict[str, str]:
    """The text the guard read, per form field: as typed; the tags as the service joins them."""
    values = form.cleaned_data
    texts = {name: values.get(name) or "" for name in form.guarded_fields if name != "tags"}
    texts["tags"] = case_services.TAG_SEPARATOR.join(values.get("tags") or [])
    return texts


def _render_case_form(
    request: HttpRequest, form: CaseForm, previews: dict[str, list[Segment]], case: Case | None
) -> HttpResponse:
    sections = [(title, _rows(form, names, previews)) for title, names in CASE_SECTIONS]
    context = {"form": form, "sections": sections, "case": case, "refused": bool(previews)}
    return render(request, "network/case_form.html", context)


def _audience_choices(doctor: User, case: Case | None = None) -> list[User]:
    """Who a NAMED case can be shown to here: the author's connections, and whoever the case
    already names."""
    choices = {connection.peer.pk: connection.peer for connection in connections_of(doctor)}
    if case is not None:
        for person in User.objects.filter(pk__in=case.audience.values("doctor_id")):
            choices.setdefault(person.pk, person)
    return sorted(choices.values(), key=lambda person: (person.full_name, person.pk))


@verified_doctor_page
def case_new(request: HttpRequest, doctor: User) -> HttpResponse:
    """Write a case: saved as a draft, or published at once ("Publish")."""
    form = CaseForm(request.POST or None, audience_choices=_audience_choices(doctor))
    previews: dict[str, list[Segment]] = {}
    if request.method == "POST" and form.is_valid():
        try:
            case = case_services.create_case(doctor, **form.service_values())
        except ServiceError as refusal:
            previews = show_refusal(form, refusal, _guarded_texts(form), CaseForm.service_fields)
        else:
            if "publish" in request.POST:
                perform(
                    request,
                    lambda: case_services.publish_case(doctor, case.pk),
                    _("Your case is published."),
                )
            else:
                messages.success(request, _("Your draft is saved. Only you can see it until you publish it."))
            return redirect("network:case", case.public_id)
    return _render_case_form(request, form, previews, None)


@verified_doctor_page
def case_edit(request: HttpRequest, doctor: User, case_id: uuid.UUID) -> HttpResponse:
    """Edit one's own case (the previous version is kept in its history)."""
    case = _case_of(doctor, case_id)
    if case.author_id != doctor.pk:
        raise PermissionDenied(_("Only the author of the case can do this."))
    audience = _audience_choices(doctor, case)
    named = case.audience.values_list("doctor__public_id", flat=True)
    form = CaseForm(request.POST or None, initial=CaseForm.initial_of(case, named), audience_choices=audience)
    previews: dict[str, list[Segment]] = {}
    if request.method == "POST" and form.is_valid():
        try:
            case_services.update_case(doctor, case.pk, **form.service_values())
        except ServiceError as refusal:
            previews = show_refusal(form, refusal, _guarded_texts(form), CaseForm.service_fields)
        else:
            messages.success(request, _("Your case is saved."))
            return redirect("network:case", case.public_id)
    return _render_case_form(request, form, previews, case)


CASE_ACTIONS: dict[str, tuple[Callable[[User, int], object], str]] = {
    "publish": (case_services.publish_case, gettext_noop("Your case is published.")),
    "close": (case_services.close_case, gettext_noop("The case is closed to new comments.")),
    "reopen": (case_services.reopen_case, gettext_noop("The case is open for discussion again.")),
}


@require_POST
@verified_doctor_page
def case_action(request: HttpRequest, doctor: User, case_id: uuid.UUID, action: str) -> HttpResponse:
    """Publish, close or reopen one's own case."""
    change, success = CASE_ACTIONS[action]
    key = _case_key(doctor, case_id)
    perform(request, lambda: change(doctor, key), _(success))
    return redirect("network:case", case_id)


@require_POST
@verified_doctor_page
def case_delete(request: HttpRequest, doctor: User, case_id: uuid.UUID) -> HttpResponse:
    key = _case_key(doctor, case_id)
    if perform(request, lambda: case_services.delete_case(doctor, key), _("Your case is deleted.")):
        return redirect("network:my_cases")
    return redirect("network:case", case_id)


@verified_doctor_page
def case_attachments(request: HttpRequest, doctor: User, case_id: uuid.UUID) -> HttpResponse:
    """One's own case's attachments: list, add (POST), with links to remove."""
    case = _case_of(doctor, case_id)
    if case.author_id != doctor.pk:
        raise PermissionDenied(_("Only the author of the case can do this."))
    form = AttachmentForm(request.POST or None, request.FILES or None)
    previews: dict[str, list[Segment]] = {}
    if request.method == "POST" and form.is_valid():
        try:
            case_services.add_attachment(
                doctor, case.pk, form.cleaned_data["file"], caption=form.cleaned_data["caption"]
            )
        except ServiceError as refusal:
            previews = show_refusal(form, refusal, {"caption": form.cleaned_data["caption"]})
        else:
            messages.success(request, _("The file is attached."))
            return redirect("network:case_attachments", case.public_id)
    context = {"case": case, "form": form, "rows": _rows(form, form.fields, previews)}
    return render(request, "network/case_attachments.html", context)


@require_POST
@verified_doctor_page
def attachment_remove(request: HttpRequest, doctor: User, attachment_id: int) -> HttpResponse:
    removed: list[Case] = []
    perform(
        request,
        lambda: removed.append(case_services.remove_attachment(doctor, attachment_id)),
        _("The attachment is removed."),
    )
    if removed:
        return redirect("network:case_attachments", removed[0].public_id)
    return _back(request, reverse("network:my_cases"))


# --- Discussion ------------------------------------------------------------------------------------


@require_POST
@verified_doctor_page
def comment_add(request: HttpRequest, doctor: User, case_id: uuid.UUID) -> HttpResponse:
    """Comment on a case, or reply to a comment (``parent``). A refusal by the identifier guard
    shows the case page again with the text and what to remove marked in it."""
    case = _case_of(doctor, case_id)
    form = CommentForm(request.POST)
    if form.is_valid():
        parent = form.cleaned_data["parent"]
        parent_key = _comment_ref(doctor, parent).pk if parent else None
        mention_ids = form.cleaned_data["mentions"]
        try:
            comment = comment_services.add_comment(
                doctor, case.pk, form.cleaned_data["body"], parent_id=parent_key, mention_ids=mention_ids
            )
        except ServiceError as refusal:
            # An unknown mentioned doctor is the form's problem; anything else missing is a 404.
            if any(
                problem.code == NetworkErrorCode.NOT_FOUND and problem.field != "mentionIds"
                for problem in refusal.errors
            ):
                raise Http404 from refusal
            previews = show_refusal(
                form, refusal, {"body": form.cleaned_data["body"]}, CommentForm.service_fields
            )
            return _render_case(request, doctor, case, form, previews, _mentioned(doctor, mention_ids))
        messages.success(request, _("Your comment is posted."))
        return redirect(_case_url(case.public_id, comment.public_id))
    return _render_case(request, doctor, case, form)


@dataclass(frozen=True)
class MentionChip:
    """A doctor chosen in the mention picker, as its ticked box shows them."""

    public_id: uuid.UUID
    name: str
    mention: str  # the text the picker wrote for them ("@Sơn")


def _mentioned(doctor: User, mention_ids: Sequence[uuid.UUID]) -> list[MentionChip]:
    """The doctors a refused comment mentioned, to show them again (ticked) with the form."""
    if not mention_ids:
        return []
    found = {
        person.public_id: person
        for person in doctors_visible_to(doctor, User.objects.filter(public_id__in=mention_ids))
    }
    return [
        MentionChip(public_id, display_name(found[public_id]), mention_text(found[public_id]))
        for public_id in mention_ids
        if public_id in found
    ]


@require_GET
@verified_doctor_page
def case_mentionable(request: HttpRequest, doctor: User, case_id: uuid.UUID) -> JsonResponse:
    """The mention picker's suggestions for a comment on the case: ``?q=`` the start of a name;
    JSON ``{"results": [{"id", "name", "title", "facility", "mention"}]}``, at most
    ``MENTION_SUGGESTIONS``, each a doctor ``add_comment`` accepts in ``mention_ids``."""
    case = cases_visible_to(doctor).filter(public_id=case_id).only("pk", "author_id", "visibility").first()
    if case is None:
        raise Http404
    people = mentionable_doctors(doctor, case, request.GET.get("q", ""))
    response = JsonResponse(
        {
            "results": [
                {
                    "id": str(person.public_id),
                    "name": display_name(person),
                    "title": person.title,
                    "facility": person.facility.name if person.facility else "",
                    "mention": mention_text(person),
                }
                for person in people
            ]
        }
    )
    response["Cache-Control"] = "private, no-store"
    return response


@verified_doctor_page
def comment_edit(request: HttpRequest, doctor: User, comment_id: uuid.UUID) -> HttpResponse:
    comment = comments_visible_to(doctor).filter(public_id=comment_id).select_related("case").first()
    if comment is None:
        raise Http404
    if comment.author_id != doctor.pk or comment.deleted_at or comment.hidden_at:
        raise PermissionDenied(_("Only the author of the comment can do this."))
    form = CommentEditForm(request.POST or None, initial={"body": comment.body})
    previews: dict[str, list[Segment]] = {}
    if request.method == "POST" and form.is_valid():
        try:
            comment_services.edit_comment(doctor, comment.pk, form.cleaned_data["body"])
        except ServiceError as refusal:
            previews = show_refusal(form, refusal, {"body": form.cleaned_data["body"]})
        else:
            messages.success(request, _("Your comment is saved."))
            return redirect(_case_url(comment.case.public_id, comment_id))
    context = {"comment": comment, "form": form, "rows": _rows(form, form.fields, previews)}
    return render(request, "network/comment_form.html", context)


@require_POST
@verified_doctor_page
def comment_delete(request: HttpRequest, doctor: User, comment_id: uuid.UUID) -> HttpResponse:
    ref = _comment_ref(doctor, comment_id)
    perform(request, lambda: comment_services.delete_comment(doctor, ref.pk), _("Your comment is deleted."))
    return redirect(_case_url(ref.case_id))


@require_POST
@verified_doctor_page
def comment_helpful(request: HttpRequest, doctor: User, comment_id: uuid.UUID) -> HttpResponse:
    """Mark a comment helpful, or withdraw the mark (``helpful=0``)."""
    ref = _comment_ref(doctor, comment_id)
    if request.POST.get("helpful") == "0":
        perform(
            request, lambda: comment_services.unmark_helpful(doctor, ref.pk), _("Your mark is withdrawn.")
        )
    else:
        perform(request, lambda: comment_services.mark_helpful(doctor, ref.pk), _("Marked helpful."))
    return redirect(_case_url(ref.case_id, comment_id))


@require_POST
@verified_doctor_page
def accept_answer(request: HttpRequest, doctor: User, comment_id: uuid.UUID) -> HttpResponse:
    ref = _comment_ref(doctor, comment_id)
    case_key = _case_key(doctor, ref.case_id)
    perform(
        request,
        lambda: case_services.accept_answer(doctor, case_key, ref.pk),
        _("The answer is accepted."),
    )
    return redirect(_case_url(ref.case_id, comment_id))


REPORTED = gettext_noop("Thank you: moderators will review your report.")


@require_POST
@verified_doctor_page
def case_report(request: HttpRequest, doctor: User, case_id: uuid.UUID) -> HttpResponse:
    key = _case_key(doctor, case_id)
    form = ReportForm(request.POST)
    if form.is_valid():
        values = form.cleaned_data
        perform(
            request,
            lambda: moderation.report_case(doctor, key, values["reason"], values["details"]),
            _(REPORTED),
        )
    else:
        messages.error(request, _("Choose a reason for the report."))
    return redirect("network:case", case_id)


@require_POST
@verified_doctor_page
def comment_report(request: HttpRequest, doctor: User, comment_id: uuid.UUID) -> HttpResponse:
    ref = _comment_ref(doctor, comment_id)
    form = ReportForm(request.POST)
    if form.is_valid():
        values = form.cleaned_data
        perform(
            request,
            lambda: moderation.report_comment(doctor, ref.pk, values["reason"], values["details"]),
            _(REPORTED),
        )
    else:
        messages.error(request, _("Choose a reason for the report."))
    return redirect(_case_url(ref.case_id, comment_id))


# --- Doctors and connections -----------------------------------------------------------------------


@dataclass(frozen=True)
class Relation:
    """Where the viewer stands with a doctor, for the profile's buttons."""

    is_self: bool
    connected: bool = False
    blocked_by_viewer: bool = False
    incoming_request: ConnectionRequest | None = None
    outgoing_request: ConnectionRequest | None = None


def _relation(viewer: User, person: User) -> Relation:
    if viewer.pk == person.pk:
        return Relation(is_self=True)
    return Relation(
        is_self=False,
        connected=are_connected(viewer.pk, person.pk),
        blocked_by_viewer=blocked_doctors(viewer).filter(pk=person.pk).exists(),
        incoming_request=incoming_requests(viewer).filter(sender_id=person.pk).first(),
        outgoing_request=outgoing_requests(viewer).filter(recipient_id=person.pk).first(),
    )


@verified_doctor_page
def doctor_profile(request: HttpRequest, doctor: User, doctor_id: uuid.UUID) -> HttpResponse:
    """A doctor's profile: who they are, their cases the viewer may see, the connections both
    have, and the buttons to connect, disconnect or block."""
    person = _doctor_of(doctor, doctor_id)
    relation = _relation(doctor, person)
    cases = with_card_data(
        cases_visible_to(doctor).filter(author_id=person.pk, published_at__isnull=False), doctor
    ).order_by("-published_at", "-id")[:PROFILE_CASES_SHOWN]
    mutual = (
        [] if relation.is_self else list(mutual_connections(doctor, person.pk)[:MUTUAL_CONNECTIONS_SHOWN])
    )
    context = {
        "doctor": doctor,
        "person": person,
        "relation": relation,
        "cases": cases,
        "mutual": mutual,
        "connect_form": ConnectForm(),
    }
    return render(request, "network/doctor_profile.html", context)


def doctor_key(doctor: User, doctor_id: uuid.UUID) -> int:
    """A doctor the viewer may see, by public id, else 404 (the mentoring pages use it too)."""
    key = (
        doctors_visible_to(doctor, User.objects.filter(public_id=doctor_id))
        .values_list("pk", flat=True)
        .first()
    )
    if key is None:
        raise Http404
    return key


@require_POST
@verified_doctor_page
def connect(request: HttpRequest, doctor: User, doctor_id: uuid.UUID) -> HttpResponse:
    key = doctor_key(doctor, doctor_id)
    form = ConnectForm(request.POST)
    message = form.cleaned_data["message"] if form.is_valid() else ""
    perform(
        request,
        lambda: connection_services.send_connection_request(doctor, key, message),
        _("Your connection request is sent."),
    )
    return _back(request, reverse("network:doctor", args=[doctor_id]))


DOCTOR_ACTIONS: dict[str, tuple[Callable[[User, int], object], str]] = {
    "disconnect": (connection_services.remove_connection, gettext_noop("You are no longer connected.")),
    "block": (connection_services.block_doctor, gettext_noop("You blocked this doctor.")),
    "unblock": (connection_services.unblock_doctor, gettext_noop("You unblocked this doctor.")),
}


@require_POST
@verified_doctor_page
def doctor_action(request: HttpRequest, doctor: User, doctor_id: uuid.UUID, action: str) -> HttpResponse:
    """Disconnect from, block or unblock a doctor."""
    change, success = DOCTOR_ACTIONS[action]
    key = doctor_key(doctor, doctor_id)
    perform(request, lambda: change(doctor, key), _(success))
    return _back(request, reverse("network:doctor", args=[doctor_id]))


REQUEST_ACTIONS: dict[str, tuple[Callable[[User, int], object], str]] = {
    "accept": (connection_services.accept_connection_request, gettext_noop("You are now connected.")),
    "decline": (connection_services.decline_connection_request, gettext_noop("The request is declined.")),
    "cancel": (connection_services.cancel_connection_request, gettext_noop("Your request is withdrawn.")),
}


@require_POST
@verified_doctor_page
def request_action(request: HttpRequest, doctor: User, request_id: int, action: str) -> HttpResponse:
    """Accept or decline a request sent to you; cancel one you sent."""
    change, success = REQUEST_ACTIONS[action]
    perform(request, lambda: change(doctor, request_id), _(success))
    return _back(request, reverse("network:connections"))


@verified_doctor_page
def connections(request: HttpRequest, doctor: User) -> HttpResponse:
    """My connections, requests both ways, people I may know, followed specialties, blocks."""
    followed = list(followed_specialties(doctor))
    follow_form = FollowSpecialtyForm(followed=followed)
    context = {
        "doctor": doctor,
        "page": Paginator(connections_of(doctor), LIST_PAGE_SIZE).get_page(request.GET.get("page")),
        "incoming": list(incoming_requests(doctor)[:PENDING_REQUESTS_SHOWN]),
        "outgoing": list(outgoing_requests(doctor)[:PENDING_REQUESTS_SHOWN]),
        "suggestions": suggestion_page(doctor, offset=0, limit=SUGGESTIONS_SHOWN),
        "blocked": list(blocked_doctors(doctor)),
        "followed": followed,
        "follow_form": follow_form,
    }
    return render(request, "network/connections.html", context)


@require_POST
@verified_doctor_page
def follow_specialty(request: HttpRequest, doctor: User) -> HttpResponse:
    form = FollowSpecialtyForm(request.POST)
    if form.is_valid():
        specialty = form.cleaned_data["specialty"]
        perform(
            request,
            lambda: follows.follow_specialty(doctor, specialty.pk),
            _("Cases of this specialty will show in your feed."),
        )
    else:
        messages.error(request, _("Choose a specialty."))
    return redirect("network:connections")


@require_POST
@verified_doctor_page
def unfollow_specialty(request: HttpRequest, doctor: User, specialty_id: int) -> HttpResponse:
    perform(
        request,
        lambda: follows.unfollow_specialty(doctor, specialty_id),
        _("You no longer follow this specialty."),
    )
    return redirect("network:connections")


# --- Notifications ---------------------------------------------------------------------------------


@verified_doctor_page
def notifications(request: HttpRequest, doctor: User) -> HttpResponse:
    page = Paginator(notifications_of(doctor), LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    muted = [preference.kind.value for preference in notification_preferences(doctor) if preference.muted]
    context = {
        "doctor": doctor,
        "page": page,
        "unread": unread_count(doctor),
        "preferences_form": NotificationPreferencesForm(initial={"muted": muted}),
    }
    return render(request, "network/notifications.html", context)


def notification_target(notification: Notification) -> str:
    """Where a notification leads: its case (at the comment), its referral, else the
    connections page."""
    case_id = getattr(notification, "case_public_id", None)  # annotated by notifications_of
    if case_id:
        return _case_url(case_id, getattr(notification, "comment_public_id", None))
    if notification.referral_id:
        assert notification.referral is not None
        return reverse("referrals:detail", args=[notification.referral.public_id])
    if notification.connection_request_id:
        return reverse("network:connections")
    return reverse("network:notifications")


@require_POST
@verified_doctor_page
def notification_open(request: HttpRequest, doctor: User, notification_id: uuid.UUID) -> HttpResponse:
    """Mark a notification read and go to what it is about."""
    try:
        notification = notification_services.mark_read(doctor, notification_id)
    except ServiceError as refusal:
        raise Http404 from refusal
    return redirect(notification_target(notification))


@require_POST
@verified_doctor_page
def notification_read(request: HttpRequest, doctor: User, notification_id: uuid.UUID) -> HttpResponse:
    perform(request, lambda: notification_services.mark_read(doctor, notification_id), _("Marked read."))
    return redirect("network:notifications")


@require_POST
@verified_doctor_page
def notifications_read_all(request: HttpRequest, doctor: User) -> HttpResponse:
    perform(request, lambda: notification_services.mark_all_read(doctor), _("All notifications are read."))
    return redirect("network:notifications")


@require_POST
@verified_doctor_page
def notification_preferences_save(request: HttpRequest, doctor: User) -> HttpResponse:
    form = NotificationPreferencesForm(request.POST)
    if form.is_valid():
        muted = form.cleaned_data["muted"]
        perform(
            request,
            lambda: notification_services.set_notification_preferences(doctor, muted),
            _("Your notification settings are saved."),
        )
    else:
        messages.error(request, _("Choose kinds of notification from the list."))
    return redirect("network:notifications")


# --- Moderation ------------------------------------------------------------------------------------


def moderator_page(view: View) -> View:
    """Sign-in first, then the moderators' rule (``moderation.require_moderator``, as GraphQL's
    moderation fields apply it): the view receives the moderator after the request. Anyone else
    gets the 403 page. Staff reach no page without an authenticator app
    (``accounts.middleware.StaffMFARequiredMiddleware``)."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            moderator = moderation.require_moderator(request.user)
        except ServiceError as refusal:
            raise PermissionDenied(str(refusal)) from refusal
        return view(request, moderator, *args, **kwargs)

    return wrapper


@moderator_page
def moderation_queue_page(request: HttpRequest, moderator: User) -> HttpResponse:
    """Open reports, oldest first (``moderation_queue``), each with the reported case or comment
    as moderators see it, and the forms to hide it or dismiss the report."""
    page = Paginator(moderation_queue(moderator), LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "hide_form": HideContentForm(),
        "dismiss_form": DismissReportForm(),
    }
    return render(request, "network/moderation_queue.html", context)


def _moderate(request: HttpRequest, action: Callable[[], object], success: str) -> None:
    """Run a moderation service: say what happened, or why not (moderators see every refusal,
    content gone meanwhile included, as a message on the queue)."""
    try:
        action()
    except ServiceError as refusal:
        for problem in refusal.errors:
            messages.error(request, problem.message)
    else:
        messages.success(request, success)


def _back_to_queue(request: HttpRequest) -> HttpResponse:
    return _back(request, reverse("network:moderation"))


@require_POST
@moderator_page
def moderation_hide(request: HttpRequest, moderator: User, report_id: int) -> HttpResponse:
    """Hide what an open report is about (``hide_case`` / ``hide_comment``), with the reason the
    author is told; every open report on it is resolved."""
    target = moderation_queue(moderator).filter(pk=report_id).values_list("case_id", "comment_id").first()
    if target is None:
        messages.error(request, _("This report was already resolved."))
        return _back_to_queue(request)
    case_key, comment_key = target
    form = HideContentForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    if comment_key is not None:
        _moderate(
            request,
            lambda: moderation.hide_comment(moderator, comment_key, reason),
            _("The comment is hidden and its author told why."),
        )
    else:
        _moderate(
            request,
            lambda: moderation.hide_case(moderator, case_key, reason),
            _("The case is hidden and its author told why."),
        )
    return _back_to_queue(request)


@require_POST
@moderator_page
def moderation_dismiss(request: HttpRequest, moderator: User, report_id: int) -> HttpResponse:
    """Close a report without action (``dismiss_report``)."""
    form = DismissReportForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    _moderate(
        request,
        lambda: moderation.dismiss_report(moderator, report_id, note),
        _("The report is dismissed."),
    )
    return _back_to_queue(request)
