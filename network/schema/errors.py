from __future__ import annotations

import graphene

from api.errors import BaseError, error_code_enum
from network.errors import NetworkErrorCode as NetworkErrorCodes

NetworkErrorCode = error_code_enum(
    "NetworkErrorCode",
    NetworkErrorCodes,
    description="Why a network request (connections, cases...) was refused.",
)


class NetworkError(BaseError):
    """Why a network mutation was refused; ``spans`` point at patient identifiers to remove."""

    code = graphene.Field(NetworkErrorCode, required=True)
