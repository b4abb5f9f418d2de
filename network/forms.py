"""Web forms for the network. They only parse input into the services' keywords: every rule
(required text, lengths, ICD-10 codes, the identifier guard, consent) is the services' own, and
their ``ServiceError`` is put back onto the form (``accounts.forms.add_service_errors``).

Free text is passed on exactly as typed (no stripping; only the browser's CRLF line breaks
become LF), so the spans the identifier guard reports index the text the form shows back.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from facilities.models import Specialty
from network.models import AgeBand, Case, ContentReport, NotificationKind, Sex
from network.services.moderation import MAX_REASON_LENGTH

# Separates ICD-10 codes and tags in their one-line inputs.
LIST_SEPARATOR = ","


def display_name(doctor: User) -> str:
    """A doctor's name as others see it (never the e-mail address ``str(user)`` falls back to)."""
    return doctor.full_name or str(_("A doctor"))


def mention_text(doctor: User) -> str:
    """What the mention picker writes into a comment for ``doctor``: "@" and the given name (the
    name's last word, as colleagues address each other). Never the full name: the identifier
    guard would take a full Vietnamese name in a comment for a patient's. The mention itself is
    sent as the doctor's id."""
    words = display_name(doctor).split()
    return f"@{words[-1]}" if words else "@"


def specialty_name(specialty: Specialty) -> str:
    """The specialty's name in the request's language (as GraphQL's ``Specialty.name``)."""
    return specialty.name_en if (get_language() or "").startswith("en") else specialty.name_vi


class SpecialtyChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return specialty_name(obj)


class FreeTextField(forms.CharField):
    """Text handed to the identifier guard as typed: not stripped, line breaks as LF."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(strip=False, **kwargs)

    def to_python(self, value: Any) -> str:
        text = super().to_python(value)
        return str(text).replace("\r\n", "\n").replace("\r", "\n")


class ListField(forms.CharField):
    """A comma-separated list in one line: ``I21.0, E11.65`` → ``["I21.0", "E11.65"]``."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        text = super().to_python(value)
        return [item.strip() for item in str(text).split(LIST_SEPARATOR) if item.strip()]

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list | tuple):
            return f"{LIST_SEPARATOR} ".join(value)
        return value


def _textarea(rows: int) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


class CaseForm(forms.Form):
    """Every field of a case, for writing one and for editing it."""

    title = FreeTextField(label=_("Title"), help_text=_("A short summary, without the patient's name."))
    specialty = SpecialtyChoiceField(
        label=_("Specialty"), queryset=Specialty.objects.order_by("name_vi"), empty_label="—"
    )
    icd10_codes = ListField(
        label=_("ICD-10 codes"), help_text=_("Optional, separated by commas, for example: I21.0, E11.65")
    )
    age_band = forms.ChoiceField(label=_("Age band"), choices=[("", "—"), *AgeBand.choices])
    sex = forms.ChoiceField(label=_("Sex"), choices=[("", "—"), *Sex.choices])
    presenting_problem = FreeTextField(label=_("Presenting problem"), widget=_textarea(4))
    history = FreeTextField(label=_("History"), widget=_textarea(4))
    findings = FreeTextField(label=_("Examination findings"), widget=_textarea(4))
    investigations = FreeTextField(label=_("Investigations"), widget=_textarea(4))
    question = FreeTextField(label=_("Your question"), widget=_textarea(3))
    tags = ListField(label=_("Tags"), help_text=_("Optional, separated by commas."))
    visibility = forms.ChoiceField(
        label=_("Who may see it"),
        choices=Case.Visibility.choices,
        initial=Case.Visibility.NETWORK,
        widget=forms.RadioSelect,
    )
    audience = forms.TypedMultipleChoiceField(
        label=_("Named doctors"),
        required=False,
        coerce=uuid.UUID,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Only for “Named doctors only”: the colleagues who may see the case."),
    )
    consent_by = forms.ChoiceField(
        label=_("Consent given by"),
        required=False,
        choices=[("", _("No consent recorded")), *Case.ConsentBy.choices],
        help_text=_("Required before a case with images is published."),
    )
    consent_method = forms.ChoiceField(
        label=_("How consent was given"),
        required=False,
        choices=[("", "—"), *Case.ConsentMethod.choices],
    )
    consent_note = FreeTextField(label=_("Note on consent"), widget=_textarea(2))

    # Service field name -> form field name, where camelCase-to-snake_case is not enough.
    service_fields = {"specialtyId": "specialty", "audienceIds": "audience"}
    # The fields the identifier guard reads, in the order the form shows them.
    guarded_fields = (
        "title",
        "presenting_problem",
        "history",
        "findings",
        "investigations",
        "question",
        "tags",
        "consent_note",
    )

    def __init__(self, *args: Any, audience_choices: Iterable[User] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["audience"]
        assert isinstance(field, forms.TypedMultipleChoiceField)
        field.choices = [(str(doctor.public_id), display_name(doctor)) for doctor in audience_choices]

    @classmethod
    def initial_of(cls, case: Case, audience_ids: Iterable[uuid.UUID]) -> dict[str, Any]:
        """The form's initial values for editing ``case``."""
        return {
            **{
                name: getattr(case, name) for name in cls.base_fields if name not in {"specialty", "audience"}
            },
            "specialty": case.specialty_id,
            "audience": [str(public_id) for public_id in audience_ids],
        }

    def service_values(self) -> dict[str, Any]:
        """The keywords of ``create_case`` / ``update_case``."""
        values = dict(self.cleaned_data)
        values["specialty_id"] = values.pop("specialty").pk
        values["audience_ids"] = values.pop("audience")
        return values


class AttachmentForm(forms.Form):
    file = forms.FileField(
        label=_("Image or PDF"),
        help_text=_("JPEG, PNG, WebP or PDF. Location and camera data are removed from images."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp,application/pdf"}),
    )
    caption = FreeTextField(label=_("Caption"))


class PublicIdListField(forms.Field):
    """Public ids sent as repeated inputs of one name (``mentions=<uuid>&mentions=<uuid>``), in
    order, without repeats."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {"invalid": _("Unknown doctor.")}

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> list[uuid.UUID]:
        if not value:
            return []
        values = value if isinstance(value, list | tuple) else [value]
        try:
            return list(dict.fromkeys(uuid.UUID(str(item)) for item in values if str(item).strip()))
        except ValueError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None


class CommentForm(forms.Form):
    body = FreeTextField(label=_("Comment"), widget=_textarea(3))
    parent = forms.UUIDField(required=False, widget=forms.HiddenInput)
    # Doctors to notify, as ``add_comment``'s ``mention_ids``: the mention picker adds one
    # checked box per doctor chosen; unticking one drops the mention.
    mentions = PublicIdListField(label=_("Mentioned doctors"))

    # Service field name -> form field name.
    service_fields = {"mentionIds": "mentions", "parentId": "parent"}


class CommentEditForm(forms.Form):
    body = FreeTextField(label=_("Comment"), widget=_textarea(5))


class ReportForm(forms.Form):
    reason = forms.ChoiceField(label=_("Reason"), choices=ContentReport.Reason.choices)
    details = forms.CharField(label=_("Details"), required=False, widget=_textarea(2))


class HideContentForm(forms.Form):
    """A moderator hides the reported case or comment; the author is told the reason."""

    reason = forms.CharField(
        label=_("Reason for hiding (the author will see it)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": MAX_REASON_LENGTH}),
    )


class DismissReportForm(forms.Form):
    """A moderator closes a report without action."""

    note = forms.CharField(
        label=_("Note (optional, for moderators)"),
        required=False,
        widget=forms.Textarea(
            attrs={"rows": 2, "maxlength": ContentReport._meta.get_field("resolution_note").max_length}
        ),
    )


class ConnectForm(forms.Form):
    message = forms.CharField(
        label=_("Message"),
        required=False,
        widget=_textarea(2),
        help_text=_("Optional: say how you know each other."),
    )


class FollowSpecialtyForm(forms.Form):
    specialty = SpecialtyChoiceField(
        label=_("Follow a specialty"),
        queryset=Specialty.objects.order_by("name_vi"),
        empty_label=_("Choose a specialty"),
    )

    def __init__(self, *args: Any, followed: Iterable[Specialty] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["specialty"]
        assert isinstance(field, forms.ModelChoiceField) and field.queryset is not None
        field.queryset = field.queryset.exclude(pk__in=[specialty.pk for specialty in followed])


class NotificationPreferencesForm(forms.Form):
    muted = forms.MultipleChoiceField(
        label=_("Do not notify me of"),
        required=False,
        choices=NotificationKind.choices,
        widget=forms.CheckboxSelectMultiple,
    )
