from __future__ import annotations

import graphene

from api.errors import BaseError, error_code_enum
from referrals.errors import ReferralErrorCode as ReferralErrorCodes

ReferralErrorCode = error_code_enum(
    "ReferralErrorCode",
    ReferralErrorCodes,
    description="Why a referral request or step was refused.",
)


class ReferralError(BaseError):
    """Why a referral mutation was refused; ``spans`` point at patient identifiers to remove."""

    code = graphene.Field(ReferralErrorCode, required=True)
