"""Following specialties: the feed shows cases of the specialties a doctor follows."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.services import require_verified_doctor
from common.errors import ServiceError
from facilities.models import Specialty
from network.errors import NetworkErrorCode
from network.models import SpecialtyFollow


def _specialty(specialty_id: int) -> Specialty:
    specialty = Specialty.objects.filter(pk=specialty_id).first()
    if specialty is None:
        raise ServiceError(NetworkErrorCode.NOT_FOUND, _("No such specialty."), "specialtyId")
    return specialty


def follow_specialty(doctor: User, specialty_id: int) -> SpecialtyFollow:
    doctor = require_verified_doctor(doctor)
    with transaction.atomic():
        specialty = _specialty(specialty_id)
        try:
            # The unique constraint decides between two concurrent follows.
            with transaction.atomic():
                return SpecialtyFollow.objects.create(doctor=doctor, specialty=specialty)
        except IntegrityError:
            raise ServiceError(
                NetworkErrorCode.ALREADY_FOLLOWING, _("You already follow this specialty."), "specialtyId"
            ) from None


def unfollow_specialty(doctor: User, specialty_id: int) -> None:
    doctor = require_verified_doctor(doctor)
    with transaction.atomic():
        specialty = _specialty(specialty_id)
        deleted, _rows = SpecialtyFollow.objects.filter(doctor=doctor, specialty=specialty).delete()
        if not deleted:
            raise ServiceError(
                NetworkErrorCode.NOT_FOLLOWING, _("You do not follow this specialty."), "specialtyId"
            )
