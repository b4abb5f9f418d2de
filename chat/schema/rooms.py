"""GraphQL for rooms: the room list and opening a room."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import graphene
from django.db.models import QuerySet
from graphql import GraphQLResolveInfo

from accounts.models import User
from accounts.schema import Doctor
from api.mutations import BaseMutation
from api.permissions import verified_doctor_required
from api.relay import ModelNode, PaginatedConnectionField
from chat import services
from chat.models import Room as RoomModel
from chat.schema.errors import ChatError
from chat.schema.types import Room
from chat.selectors import rooms as selectors
from common.errors import input_name
from mentorship.schema.mentorships import Mentorship
from network.schema.cases import Case
from network.schema.comments import pk_of
from referrals.schema.referrals import Referral


class RoomsQuery(graphene.ObjectType):
    rooms = PaginatedConnectionField(
        Room,
        description="Your conversations, latest activity first, with unread counts and the last message.",
    )

    @staticmethod
    def resolve_rooms(root: Any, info: GraphQLResolveInfo, **_pagination: Any) -> QuerySet[RoomModel]:
        return selectors.room_list(verified_doctor_required(info))


class _OpenRoom(BaseMutation):
    """Open (or find) a room and join it; the subject is named by one ID argument."""

    room = graphene.Field(Room)

    # The ID argument (snake_case), the node type it names, and the service opening the room.
    subject: ClassVar[tuple[str, type[ModelNode]]]
    opens: ClassVar[Callable[..., RoomModel]]

    class Meta:
        abstract = True

    @classmethod
    def perform_mutation(
        cls, root: Any, info: GraphQLResolveInfo, user: User | None, **data: Any
    ) -> _OpenRoom:
        assert user is not None
        argument, node_type = cls.subject
        global_id = data.get(argument)
        key = pk_of(global_id, node_type, input_name(argument)) if global_id else None
        room = cls.opens(user, key)
        return cls(room=selectors.room_for(user, room.pk))


class OpenCaseRoom(_OpenRoom):
    """Join the discussion room of a case you can see (idempotent)."""

    subject = ("case_id", Case)
    opens = staticmethod(services.open_case_room)

    class Arguments:
        case_id = graphene.ID(required=True)

    class Meta:
        error_type = ChatError
        permission = verified_doctor_required


class OpenDirectRoom(_OpenRoom):
    """The direct-message room with a doctor you are connected to (idempotent)."""

    subject = ("doctor_id", Doctor)
    opens = staticmethod(services.open_direct_room)

    class Arguments:
        doctor_id = graphene.ID(required=True)

    class Meta:
        error_type = ChatError
        permission = verified_doctor_required


class OpenMentorshipRoom(_OpenRoom):
    """The room of an active mentorship of yours (idempotent)."""

    subject = ("mentorship_id", Mentorship)
    opens = staticmethod(services.open_mentorship_room)

    class Arguments:
        mentorship_id = graphene.ID(required=True)

    class Meta:
        error_type = ChatError
        permission = verified_doctor_required


class OpenMentorCircleRoom(_OpenRoom):
    """The room of a mentor and all their active mentees: yours (no ``mentorId``) or your
    mentor's (idempotent)."""

    subject = ("mentor_id", Doctor)
    opens = staticmethod(services.open_mentor_circle_room)

    class Arguments:
        mentor_id = graphene.ID(description="A Doctor ID: your mentor; omit for your own circle.")

    class Meta:
        error_type = ChatError
        permission = verified_doctor_required


class OpenReferralRoom(_OpenRoom):
    """The room of a referral you requested or answer, once a consultant accepted it (idempotent)."""

    subject = ("referral_id", Referral)
    opens = staticmethod(services.open_referral_room)

    class Arguments:
        referral_id = graphene.ID(required=True)

    class Meta:
        error_type = ChatError
        permission = verified_doctor_required


class RoomsMutation(graphene.ObjectType):
    open_case_room = OpenCaseRoom.Field()
    open_direct_room = OpenDirectRoom.Field()
    open_mentorship_room = OpenMentorshipRoom.Field()
    open_mentor_circle_room = OpenMentorCircleRoom.Field()
    open_referral_room = OpenReferralRoom.Field()
