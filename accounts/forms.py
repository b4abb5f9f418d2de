"""Web forms for accounts. They only parse input: every rule is checked by ``accounts.services``,
whose ``ServiceError`` is put back onto the form by :func:`add_service_errors`."""

from __future__ import annotations

import re

from django import forms
from django.contrib.auth import forms as auth_forms
from django.core.files.uploadedfile import UploadedFile
from django.http import QueryDict
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext_lazy as _

from accounts.models import LicenceKind, User
from common.errors import ServiceError
from facilities.models import Facility, Specialty

_CAMEL_BOUNDARY = re.compile(r"(?<!^)(?=[A-Z])")


def add_service_errors(form: forms.Form, error: ServiceError, aliases: dict[str, str] | None = None) -> None:
    """Show each problem of ``error`` on the form field it names (services name fields in
    camelCase, as GraphQL does), or above the form when it names none of the form's fields."""
    for problem in error.errors:
        name = None
        if problem.field:
            name = (aliases or {}).get(problem.field) or _CAMEL_BOUNDARY.sub("_", problem.field).lower()
        form.add_error(name if name in form.fields else None, problem.message)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%d")


class LicenceSubmissionForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind of document"), choices=LicenceKind.choices)
    licence_number = forms.CharField(label=_("Licence number"), help_text=_("As printed on the licence."))
    issuing_authority = forms.CharField(
        label=_("Issuing authority"), help_text=_("For example: Sở Y tế Hà Nội, Bộ Y tế.")
    )
    issued_on = forms.DateField(label=_("Issued on"), widget=DateInput())
    expires_on = forms.DateField(
        label=_("Expires on"), required=False, widget=DateInput(), help_text=_("Leave empty if none.")
    )
    scan = forms.FileField(
        label=_("Scan of the licence"),
        help_text=_("A JPEG, PNG or PDF file. Do not upload your citizen ID card."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,application/pdf"}),
    )


class ProfileForm(forms.Form):
    full_name = forms.CharField(label=_("Full name"), required=False)
    title = forms.CharField(
        label=_("Professional title"), required=False, help_text=_("For example: BS.CKII")
    )
    position = forms.CharField(label=_("Position"), required=False)
    phone = forms.CharField(label=_("Phone"), required=False)
    bio = forms.CharField(label=_("Short bio"), required=False, widget=forms.Textarea(attrs={"rows": 4}))
    facility = forms.ModelChoiceField(
        label=_("Facility"),
        queryset=Facility.objects.filter(is_active=True).select_related("province"),
        required=False,
        help_text=_("Where you practise now."),
    )
    specialties = forms.ModelMultipleChoiceField(
        label=_("Specialties"),
        queryset=Specialty.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    avatar = forms.FileField(
        label=_("Photo"),
        required=False,
        help_text=_("JPEG, PNG or WebP, at most 5 MB. Location and camera data are removed."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )

    # Service field name -> form field name, where camelCase-to-snake_case is not enough.
    service_fields = {"facilityId": "facility", "specialtyIds": "specialties"}

    @classmethod
    def for_user(
        cls, user: User, data: QueryDict | None = None, files: MultiValueDict[str, UploadedFile] | None = None
    ) -> ProfileForm:
        initial = {
            "full_name": user.full_name,
            "title": user.title,
            "position": user.position,
            "phone": user.phone,
            "bio": user.bio,
            "facility": user.facility_id,
            "specialties": [specialty.pk for specialty in user.specialties.all()],
            "avatar": user.avatar or None,
        }
        return cls(data, files, initial=initial)


class DecisionForm(forms.Form):
    """A verifier's decision on one pending submission; the button pressed says which."""

    decision = forms.ChoiceField(choices=[("approve", _("Approve")), ("reject", _("Reject"))])
    reason = forms.CharField(label=_("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class RevocationForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class RegistryExtractForm(forms.Form):
    file = forms.FileField(
        label=_("National registry extract (CSV)"),
        help_text=_("UTF-8 CSV with the columns licence_number, name, title."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )


# --- Admin ------------------------------------------------------------------------------------


class AdminUserCreationForm(auth_forms.AdminUserCreationForm):
    """The admin's "add user" form for a user who signs in with an email address."""

    class Meta:
        model = User
        fields = ("email", "full_name")

    def clean_email(self) -> str:
        email = User.objects.normalize_email(self.cleaned_data["email"]).lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(_("A user with this email address already exists."))
        return email


class AdminUserChangeForm(auth_forms.UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"
