"""GraphQL for accounts: the viewer, doctors' profiles, licence verification."""

from __future__ import annotations

from typing import Any

import graphene
from django.db.models import QuerySet
from graphql import GraphQLResolveInfo

from accounts import models as account_models
from accounts import selectors, services
from accounts.errors import AccountErrorCode as AccountErrorCodes
from api.errors import BaseError, error_code_enum
from api.mutations import BaseMutation
from api.permissions import login_required, verifier_required, viewer
from api.relay import ModelNode, PaginatedConnectionField, instance_from_global_id, key_from_global_id
from api.scalars import Upload
from facilities.schema import Facility, Specialty

AccountErrorCode = error_code_enum(
    "AccountErrorCode", AccountErrorCodes, description="Why an account or verification request was refused."
)


class AccountError(BaseError):
    """Why an account or verification mutation was refused."""

    code = graphene.Field(AccountErrorCode, required=True)


VerificationStatusEnum = graphene.Enum.from_enum(
    account_models.VerificationStatus,
    name="VerificationStatus",
    description="Where a doctor's practice licence stands: only VERIFIED doctors take part in the network.",
)
LicenceKindEnum = graphene.Enum.from_enum(
    account_models.LicenceKind,
    name="LicenceKind",
    description="PRACTICE_LICENCE (giấy phép hành nghề) or PRACTICE_CERTIFICATE (chứng chỉ hành nghề).",
)


class Doctor(ModelNode):
    """A user's profile: a doctor, or a verifier or administrator with a profile."""

    verification_status = graphene.Field(VerificationStatusEnum, required=True)
    avatar_url = graphene.String(description="Absolute URL of the avatar image.")
    facility = graphene.Field(Facility)
    specialties = graphene.List(graphene.NonNull(Specialty), required=True)
    # Private details: null unless the viewer is this doctor or a verifier.
    email = graphene.String()
    phone = graphene.String()
    licence_expires_on = graphene.Date()

    class Meta:
        model = account_models.User
        fields = ("full_name", "title", "position", "bio")

    # The global ID carries the public UUID, not the sequential key.
    lookup_field = "public_id"

    @classmethod
    def get_queryset(cls, queryset: QuerySet[Any], info: GraphQLResolveInfo) -> QuerySet[Any]:
        return selectors.with_profile(selectors.doctors_visible_to(viewer(info), queryset))

    @staticmethod
    def resolve_id(root: account_models.User, info: GraphQLResolveInfo) -> str:
        return str(root.public_id)

    @staticmethod
    def resolve_avatar_url(root: account_models.User, info: GraphQLResolveInfo) -> str | None:
        return info.context.build_absolute_uri(root.avatar.url) if root.avatar else None

    @staticmethod
    def resolve_facility(root: account_models.User, info: GraphQLResolveInfo) -> Any:
        return root.facility

    @staticmethod
    def resolve_specialties(root: account_models.User, info: GraphQLResolveInfo) -> Any:
        return root.specialties.all()

    @staticmethod
    def resolve_email(root: account_models.User, info: GraphQLResolveInfo) -> str | None:
        return root.email if selectors.can_see_private_details(viewer(info), root) else None

    @staticmethod
    def resolve_phone(root: account_models.User, info: GraphQLResolveInfo) -> str | None:
        return root.phone if selectors.can_see_private_details(viewer(info), root) else None

    @staticmethod
    def resolve_licence_expires_on(root: account_models.User, info: GraphQLResolveInfo) -> Any:
        return root.licence_expires_on if selectors.can_see_private_details(viewer(info), root) else None


class LicenceSubmission(ModelNode):
    """A practice licence sent for review. Seen by verifiers and by the doctor who sent it."""

    doctor = graphene.Field(Doctor, required=True)
    kind = graphene.Field(LicenceKindEnum, required=True)
    status = graphene.Field(VerificationStatusEnum, required=True)

    class Meta:
        model = account_models.LicenceSubmission
        fields = (
            "licence_number",
            "issuing_authority",
            "issued_on",
            "expires_on",
            "scan_content_type",
            "submitted_at",
            "reviewed_at",
            "decision_reason",
        )

    @classmethod
    def get_queryset(cls, queryset: QuerySet[Any], info: GraphQLResolveInfo) -> QuerySet[Any]:
        return selectors.licence_submissions_visible_to(viewer(info), queryset)

    @staticmethod
    def resolve_doctor(root: account_models.LicenceSubmission, info: GraphQLResolveInfo) -> Any:
        return root.doctor


class AccountsQuery(graphene.ObjectType):
    me = graphene.Field(Doctor, description="The signed-in user; null for anonymous visitors.")
    doctor = graphene.Field(
        Doctor,
        id=graphene.ID(required=True),
        description="A verified doctor (any signed-in user), yourself, or anyone (verifiers); else null.",
    )
    pending_licence_submissions = PaginatedConnectionField(
        LicenceSubmission, description="Licences waiting for review, oldest first (verifiers only)."
    )

    @staticmethod
    def resolve_me(root: Any, info: GraphQLResolveInfo) -> account_models.User | None:
        user = viewer(info)
        return selectors.profile_of(user) if user is not None else None

    @staticmethod
    def resolve_doctor(root: Any, info: GraphQLResolveInfo, id: str) -> Any:
        return Doctor.get_node(info, key_from_global_id(id, Doctor, "id"))

    @staticmethod
    def resolve_pending_licence_submissions(
        root: Any, info: GraphQLResolveInfo, **_pagination: Any
    ) -> QuerySet[account_models.LicenceSubmission]:
        return selectors.pending_licence_submissions(verifier_required(info))


# --- Mutations -------------------------------------------------------------------------------


class UpdateProfileInput(graphene.InputObjectType):
    """Only the fields given change."""

    full_name = graphene.String()
    title = graphene.String()
    position = graphene.String()
    phone = graphene.String()
    bio = graphene.String()
    facility_id = graphene.ID(description="A Facility ID.")
    specialty_ids = graphene.List(
        graphene.NonNull(graphene.ID), description="Specialty IDs; replaces the list."
    )
    avatar = Upload(
        description="A new photo (JPEG, PNG or WebP, at most 5 MB); stored re-encoded, without metadata."
    )
    remove_avatar = graphene.Boolean(description="Remove the current photo.")


class UpdateProfile(BaseMutation):
    """Change your own profile."""

    doctor = graphene.Field(Doctor)

    class Arguments:
        input = UpdateProfileInput(required=True)

    class Meta:
        error_type = AccountError
        permission = login_required

    @classmethod
    def perform_mutation(
        cls, root: Any, info: GraphQLResolveInfo, user: account_models.User | None, **data: Any
    ) -> UpdateProfile:
        assert user is not None
        values = dict(data["input"])
        facility_id = values.pop("facility_id", None)
        specialty_ids = values.pop("specialty_ids", None)
        updated = services.update_profile(
            user,
            avatar=values.pop("avatar", None),
            remove_avatar=bool(values.pop("remove_avatar", False)),
            facility_id=key_from_global_id(facility_id, Facility, "facilityId") if facility_id else None,
            specialty_ids=(
                [key_from_global_id(value, Specialty, "specialtyIds") for value in specialty_ids]
                if specialty_ids is not None
                else None
            ),
            **{key: value for key, value in values.items() if value is not None},
        )
        return cls(doctor=selectors.profile_of(updated))


class SubmitVerificationInput(graphene.InputObjectType):
    kind = LicenceKindEnum(required=True)
    licence_number = graphene.String(required=True)
    issuing_authority = graphene.String(required=True)
    issued_on = graphene.Date(required=True)
    expires_on = graphene.Date()
    scan = Upload(required=True, description="The licence scan: PDF, JPEG or PNG.")


class SubmitVerification(BaseMutation):
    """Send your practice licence for review (no citizen-ID document is asked for)."""

    submission = graphene.Field(LicenceSubmission)
    doctor = graphene.Field(Doctor)

    class Arguments:
        input = SubmitVerificationInput(required=True)

    class Meta:
        error_type = AccountError
        permission = login_required

    @classmethod
    def perform_mutation(
        cls, root: Any, info: GraphQLResolveInfo, user: account_models.User | None, **data: Any
    ) -> SubmitVerification:
        assert user is not None
        values = data["input"]
        submission = services.submit_licence(
            user,
            kind=str(values["kind"].value),
            licence_number=values["licence_number"],
            issuing_authority=values["issuing_authority"],
            issued_on=values["issued_on"],
            expires_on=values.get("expires_on"),
            scan=values["scan"],
        )
        return cls(submission=submission, doctor=selectors.profile_of(user))


class ReviewVerification(BaseMutation):
    """Approve or reject a pending licence (verifiers; a rejection needs a reason)."""

    submission = graphene.Field(LicenceSubmission)

    class Arguments:
        submission_id = graphene.ID(required=True)
        approve = graphene.Boolean(required=True)
        reason = graphene.String()

    class Meta:
        error_type = AccountError
        permission = verifier_required

    @classmethod
    def perform_mutation(
        cls, root: Any, info: GraphQLResolveInfo, user: account_models.User | None, **data: Any
    ) -> ReviewVerification:
        assert user is not None
        submission_id = key_from_global_id(data["submission_id"], LicenceSubmission, "submissionId")
        submission = services.review_licence(
            user, submission_id, approve=data["approve"], reason=data.get("reason") or ""
        )
        return cls(submission=submission)


class RevokeVerification(BaseMutation):
    """Withdraw a doctor's verification (verifiers; a reason is required)."""

    submission = graphene.Field(LicenceSubmission)
    doctor = graphene.Field(Doctor)

    class Arguments:
        doctor_id = graphene.ID(required=True)
        reason = graphene.String(required=True)

    class Meta:
        error_type = AccountError
        permission = verifier_required

    @classmethod
    def perform_mutation(
        cls, root: Any, info: GraphQLResolveInfo, user: account_models.User | None, **data: Any
    ) -> RevokeVerification:
        assert user is not None
        doctor = instance_from_global_id(info, data["doctor_id"], Doctor, "doctorId")
        submission = services.revoke_verification(user, doctor.pk, reason=data["reason"])
        return cls(submission=submission, doctor=selectors.profile_of(submission.doctor))


class AccountsMutation(graphene.ObjectType):
    update_profile = UpdateProfile.Field()
    submit_verification = SubmitVerification.Field()
    review_verification = ReviewVerification.Field()
    revoke_verification = RevokeVerification.Field()
