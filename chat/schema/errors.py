from __future__ import annotations

import graphene

from api.errors import BaseError, error_code_enum
from chat.errors import ChatErrorCode as ChatErrorCodes
from common.realtime import Delivery

ChatErrorCode = error_code_enum(
    "ChatErrorCode", ChatErrorCodes, description="Why a chat request (rooms, messages...) was refused."
)

DeliveryEnum = graphene.Enum.from_enum(
    Delivery,
    description=(
        "DELIVERED: handed to the realtime layer. DEGRADED: stored, but the realtime layer is down: "
        "receivers get it when they catch up with `messages(after:)`."
    ),
)


class ChatError(BaseError):
    """Why a chat mutation was refused; ``spans`` point at patient identifiers to remove."""

    code = graphene.Field(ChatErrorCode, required=True)
