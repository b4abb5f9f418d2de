from __future__ import annotations

import graphene

from api.errors import BaseError, error_code_enum
from mentorship.errors import MentorshipErrorCode as MentorshipErrorCodes

MentorshipErrorCode = error_code_enum(
    "MentorshipErrorCode",
    MentorshipErrorCodes,
    description="Why a mentorship request (proposal, answer, ending, policy) was refused.",
)


class MentorshipError(BaseError):
    """Why a mentorship mutation was refused."""

    code = graphene.Field(MentorshipErrorCode, required=True)
