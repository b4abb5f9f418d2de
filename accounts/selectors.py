"""Reads of accounts: who may see which doctor and which licence submission, shaped for screens.

Every adapter (GraphQL types, web views) filters through these functions, so a visibility rule
is written once. Querysets come with the joins their screen needs (no N+1).
"""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts import services
from accounts.errors import AccountErrorCode
from accounts.models import LicenceSubmission, User, VerificationStatus
from common.errors import ServiceError

Viewer = AbstractBaseUser | AnonymousUser | None


def is_verifier(user: Viewer) -> bool:
    try:
        services.require_verifier(user)
    except ServiceError:
        return False
    return True


def _signed_in(user: Viewer) -> User | None:
    if isinstance(user, User) and user.is_authenticated:
        return user
    return None


def verified_doctors_q() -> Q:
    """Doctors who pass ``services.require_verified_doctor``, as a filter: active, verified,
    licence not lapsed (the daily expiry job may not have run yet)."""
    return Q(is_active=True, verification_status=VerificationStatus.VERIFIED) & (
        Q(licence_expires_on__isnull=True) | Q(licence_expires_on__gte=timezone.localdate())
    )


def with_profile(doctors: QuerySet[User]) -> QuerySet[User]:
    """What a doctor card shows: facility with its province and commune, specialties."""
    return doctors.select_related("facility__province", "facility__commune").prefetch_related("specialties")


def doctors_visible_to(viewer: Viewer, doctors: QuerySet[User] | None = None) -> QuerySet[User]:
    """Verifiers see every account; other signed-in users see verified doctors and themselves;
    anonymous visitors see nobody."""
    doctors = User.objects.all() if doctors is None else doctors
    user = _signed_in(viewer)
    if user is None:
        return doctors.none()
    if is_verifier(user):
        return doctors
    return doctors.filter(verified_doctors_q() | Q(pk=user.pk))


def profile_of(user: User) -> User:
    """The user's own profile, loaded for the profile screen."""
    return with_profile(User.objects.filter(pk=user.pk)).get()


def can_see_private_details(viewer: Viewer, doctor: User) -> bool:
    """Phone, email and licence expiry: the doctor themselves and verifiers only."""
    user = _signed_in(viewer)
    return user is not None and (user.pk == doctor.pk or is_verifier(user))


def licence_submissions_visible_to(
    viewer: Viewer, submissions: QuerySet[LicenceSubmission] | None = None
) -> QuerySet[LicenceSubmission]:
    """Verifiers see every submission; a doctor sees their own; nobody else sees any."""
    submissions = LicenceSubmission.objects.all() if submissions is None else submissions
    user = _signed_in(viewer)
    if user is None:
        return submissions.none()
    if is_verifier(user):
        return submissions
    return submissions.filter(doctor_id=user.pk)


def pending_licence_submissions(verifier: User) -> QuerySet[LicenceSubmission]:
    """The review queue, oldest first, with what the review screen shows of each doctor."""
    services.require_verifier(verifier)
    return (
        LicenceSubmission.objects.filter(status=VerificationStatus.PENDING)
        .select_related("doctor__facility__province", "doctor__facility__commune")
        .prefetch_related("doctor__specialties")
        .order_by("submitted_at", "id")
    )


def verified_doctors_for_review(verifier: User, search: str = "") -> QuerySet[LicenceSubmission]:
    """The verified-doctors screen: current verifications, latest decision first, each with the
    doctor's facility and the verifier who decided; ``search`` matches part of the doctor's
    name or email, or of the licence number."""
    services.require_verifier(verifier)
    verified = (
        LicenceSubmission.objects.filter(status=VerificationStatus.VERIFIED)
        .select_related("doctor__facility__province", "reviewed_by")
        .order_by("-reviewed_at", "-id")
    )
    search = search.strip()
    if search:
        verified = verified.filter(
            Q(doctor__full_name__icontains=search)
            | Q(doctor__email__icontains=search)
            | Q(licence_number__icontains=search)
        )
    return verified


def latest_licence_submission(doctor: User) -> LicenceSubmission | None:
    """The doctor's most recent submission (its decision and scan are shown on their home page)."""
    return LicenceSubmission.objects.filter(doctor_id=doctor.pk).order_by("-submitted_at", "-id").first()


def doctors_verified_in_bulk(verifier: User, doctor_ids: list[int]) -> list[User]:
    """The rows of a registry import's result, in the order the extract listed them."""
    doctors = doctors_visible_to(verifier).filter(pk__in=doctor_ids).select_related("facility")
    position = {doctor_id: index for index, doctor_id in enumerate(doctor_ids)}
    return sorted(doctors, key=lambda doctor: position[doctor.pk])


def needs_authenticator_to_verify(user: Viewer) -> bool:
    """Whether ``user`` holds the verifier role but may not use it until they set up an
    authenticator app (the home page prompts them instead of linking to refused pages)."""
    try:
        services.require_verifier(user)
    except ServiceError as error:
        return error.code == AccountErrorCode.MFA_REQUIRED
    return False
