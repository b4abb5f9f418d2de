"""GraphQL for connections: requests, connections, mutual connections, suggestions, blocks and
followed specialties.

Every list is for verified doctors only (NOT_VERIFIED otherwise) and never shows a doctor
blocked either way; every rule lives in ``network.services.connections`` / ``follows`` and
``network.selectors.connections`` / ``suggestions``. Doctors are named by their Doctor global
IDs (public UUIDs), requests by their ConnectionRequest global IDs.
"""

from __future__ import annotations

from typing import Any, ClassVar

import graphene
from django.db.models import QuerySet
from graphene_django import DjangoObjectType
from graphql import GraphQLResolveInfo

from accounts.models import User
from accounts.schema import Doctor
from api.mutations import BaseMutation
from api.permissions import verified_doctor_required, viewer
from api.relay import (
    CountableConnection,
    ModelNode,
    PaginatedConnectionField,
    instance_from_global_id,
    key_from_global_id,
    offset_connection,
    offset_page_bounds,
)
from facilities.models import Specialty as SpecialtyModel
from facilities.schema import Specialty
from network import models as network_models
from network.schema.errors import NetworkError
from network.selectors import connections as selectors
from network.selectors.suggestions import Suggestion, suggestion_page
from network.services import connections as services
from network.services import follows

ConnectionRequestStatusEnum = graphene.Enum.from_enum(
    network_models.ConnectionRequest.Status,
    name="ConnectionRequestStatus",
    description="PENDING until the recipient ACCEPTS or DECLINES it, or the sender CANCELS it.",
)


INCOMING, OUTGOING = "incoming", "outgoing"


class ConnectionRequestDirection(graphene.Enum):
    """Requests sent to you (INCOMING) or by you (OUTGOING)."""

    INCOMING = INCOMING
    OUTGOING = OUTGOING


class ConnectionRequest(ModelNode):
    """A doctor asking another to connect. Seen by the two doctors only."""

    sender = graphene.Field(Doctor, required=True)
    recipient = graphene.Field(Doctor, required=True)
    status = graphene.Field(ConnectionRequestStatusEnum, required=True)

    class Meta:
        model = network_models.ConnectionRequest
        fields = ("message", "created_at", "decided_at")

    @classmethod
    def get_queryset(cls, queryset: QuerySet[Any], info: GraphQLResolveInfo) -> QuerySet[Any]:
        return selectors.requests_visible_to(viewer(info), queryset)

    @staticmethod
    def resolve_sender(root: network_models.ConnectionRequest, info: GraphQLResolveInfo) -> User:
        return root.sender

    @staticmethod
    def resolve_recipient(root: network_models.ConnectionRequest, info: GraphQLResolveInfo) -> User:
        return root.recipient


class ConnectedDoctor(DjangoObjectType):
    """One of your connections."""

    doctor = graphene.Field(Doctor, required=True)
    connected_at = graphene.DateTime(required=True)

    class Meta:
        model = network_models.Connection
        fields = ()
        use_connection = True
        connection_class = CountableConnection

    @staticmethod
    def resolve_doctor(root: network_models.Connection, info: GraphQLResolveInfo) -> User:
        return root.peer

    @staticmethod
    def resolve_connected_at(root: network_models.Connection, info: GraphQLResolveInfo) -> Any:
        return root.created_at


class ConnectionSuggestion(graphene.ObjectType):
    """A doctor you may know, with the reasons behind their rank:
    score = 3 * sharedConnections + 3 * mentorshipTies + 2 * sharedSpecialties + 2 if sameProvince
    (or 1 if neighbouringProvince)."""

    doctor = graphene.Field(Doctor, required=True)
    score = graphene.Int(required=True)
    shared_connections = graphene.Int(required=True, description="Connections you have in common.")
    mentorship_ties = graphene.Int(
        required=True,
        description="Active mentorships linking them to you or to your mentors and mentees.",
    )
    shared_specialties = graphene.Int(required=True, description="Specialties you have in common.")
    same_province = graphene.Boolean(required=True, description="Works in your province.")
    neighbouring_province = graphene.Boolean(
        required=True, description="Works in a province bordering yours."
    )


class ConnectionSuggestionConnection(graphene.relay.Connection):
    class Meta:
        node = ConnectionSuggestion


class ConnectionsQuery(graphene.ObjectType):
    """Root query fields for connections."""

    connections = PaginatedConnectionField(ConnectedDoctor, description="Your connections, newest first.")
    mutual_connections = PaginatedConnectionField(
        Doctor,
        doctor_id=graphene.ID(required=True, description="A Doctor ID."),
        description="Doctors connected to both you and that doctor, by name.",
    )
    connection_requests = PaginatedConnectionField(
        ConnectionRequest,
        direction=graphene.Argument(ConnectionRequestDirection, required=True),
        description="Pending requests sent to you or by you, newest first.",
    )
    connection_suggestions = graphene.Field(
        ConnectionSuggestionConnection,
        first=graphene.Int(),
        after=graphene.String(),
        description="People you may know, best first (see ConnectionSuggestion for the score).",
    )
    blocked_doctors = PaginatedConnectionField(Doctor, description="Doctors you blocked, by name.")
    followed_specialties = graphene.List(
        graphene.NonNull(Specialty), required=True, description="Specialties whose cases your feed shows."
    )

    @staticmethod
    def resolve_connections(root: Any, info: GraphQLResolveInfo, **_pagination: Any) -> QuerySet[Any]:
        return selectors.connections_of(verified_doctor_required(info))

    @staticmethod
    def resolve_mutual_connections(
        root: Any, info: GraphQLResolveInfo, doctor_id: str, **_pagination: Any
    ) -> QuerySet[User]:
        doctor = verified_doctor_required(info)
        other = instance_from_global_id(info, doctor_id, Doctor, "doctorId")
        return selectors.mutual_connections(doctor, other.pk)

    @staticmethod
    def resolve_connection_requests(
        root: Any, info: GraphQLResolveInfo, direction: Any, **_pagination: Any
    ) -> QuerySet[Any]:
        doctor = verified_doctor_required(info)
        if getattr(direction, "value", direction) == INCOMING:
            return selectors.incoming_requests(doctor)
        return selectors.outgoing_requests(doctor)

    @staticmethod
    def resolve_connection_suggestions(
        root: Any, info: GraphQLResolveInfo, first: int | None = None, after: str | None = None
    ) -> ConnectionSuggestionConnection:
        doctor = verified_doctor_required(info)
        # Cursors are ranks; no total count (it would cost as much again).
        start, size = offset_page_bounds(info, first, after)
        rows: list[Suggestion] = suggestion_page(doctor, offset=start, limit=size + 1)
        return offset_connection(
            ConnectionSuggestionConnection, rows[:size], start, has_next=len(rows) > size
        )

    @staticmethod
    def resolve_blocked_doctors(root: Any, info: GraphQLResolveInfo, **_pagination: Any) -> QuerySet[User]:
        return selectors.blocked_doctors(verified_doctor_required(info))

    @staticmethod
    def resolve_followed_specialties(root: Any, info: GraphQLResolveInfo) -> QuerySet[SpecialtyModel]:
        return selectors.followed_specialties(verified_doctor_required(info))


# --- Mutations -------------------------------------------------------------------------------


def _doctor_pk(info: GraphQLResolveInfo, doctor_id: str) -> int:
    doctor: User = instance_from_global_id(info, doctor_id, Doctor, "doctorId")
    return doctor.pk


def _request_pk(request_id: str) -> int:
    key: int = key_from_global_id(request_id, ConnectionRequest, "requestId")
    return key


class SendConnectionRequest(BaseMutation):
    """Ask a doctor to connect (at most NETWORK_DAILY_CONNECTION_REQUESTS a day); they are notified."""

    connection_request = graphene.Field(ConnectionRequest)

    class Arguments:
        doctor_id = graphene.ID(required=True)
        message = graphene.String(description="A short note (300 characters at most).")

    class Meta:
        error_type = NetworkError
        permission = verified_doctor_required

    @classmethod
    def perform_mutation(
        cls, root: Any, info: GraphQLResolveInfo, user: User | None, **data: Any
    ) -> SendConnectionRequest:
        assert user is not None
        request = services.send_connection_request(
            user, _doctor_pk(info, data["doctor_id"]), data.get("message") or ""
        )
        return cls(connection_request=request)


class RequestAnswer(BaseMutation):
    """Answering or withdrawing one connection request; the payload returns it. Each subclass
    names the service that does it (``service(user, request_pk)``)."""

    connection_request = graphene.Field(ConnectionRequest)
    service: ClassVar[staticmethod[[User, int], network_models.ConnectionRequest]]

    class Arguments:
        request_id = graphene.ID(required=True)

    class Meta:
        abstract = True

    @classmethod
    def perform_mutation(cls, root: Any, info: GraphQLResolveInfo, user: User | None, **data: Any) -> Any:
        assert user is not None
        return cls(connection_request=cls.service(user, _request_pk(data["request_id"])))


class AcceptConnectionRequest(RequestAnswer):
    """Accept a request sent to you: you are connected; the sender is notified."""

    service = staticmethod(services.accept_connection_request)

    class Meta:
        error_type = NetworkError
        permission = verified_doctor_required


class DeclineConnectionRequest(RequestAnswer):
    """Decline a request sent to you (the sender is not told)."""

    service = staticmethod(services.decline_connection_request)

    class Meta:
        error_type = NetworkError
        permission = verified_doctor_required


class CancelConnectionRequest(RequestAnswer):
    """Withdraw a pending request you sent."""

    service = staticmethod(services.cancel_connection_request)

    class Meta:
        error_type = NetworkError
        permission = verified_doctor_required


class DoctorMutation(BaseMutation):
    """A change to your relation with one doctor; the payload returns that doctor. Each subclass
    names the service that does it (``service(user, doctor_pk)``)."""

    doctor = graphene.Field(Doctor)
    service: ClassVar[staticmethod[[User, int], Any]]

    class Arguments:
        doctor_id = graphene.ID(required=True)

    class Meta:
        abstract = True

    @classmethod
    def perform_mutation(cls, root: Any, info: GraphQLResolveInfo, user: User | None, **data: Any) -> Any:
        assert user is not None
        doctor = instance_from_global_id(info, data["doctor_id"], Doctor, "doctorId")
        cls.service(user, doctor.pk)
        return cls(doctor=doctor)


class RemoveConnection(DoctorMutation):
    """End a connection, for both of you."""

    service = staticmethod(services.remove_connection)

    class Meta:
        error_type = NetworkError
        permission = verified_doctor_required


class BlockDoctor(DoctorMutation):
    """Block a doctor: any connection and pending request between you ends; neither of you sees
    the other in lists or can send a request."""

    service = staticmethod(services.block_doctor)

    class Meta:
        error_type = NetworkError
        permission = verified_doctor_required


class UnblockDoctor(DoctorMutation):
    """Lift a block (no connection is restored)."""

    service = staticmethod(services.unblock_doctor)

    class Meta:
        error_type = NetworkError
        permission = verified_doctor_required


class SpecialtyMutation(BaseMutation):
    """Following or unfollowing one specialty; the payload returns it. Each subclass names the
    service that does it (``service(user, specialty_pk)``)."""

    specialty = graphene.Field(Specialty)
    service: ClassVar[staticmethod[[User, int], Any]]

    class Arguments:
        specialty_id = graphene.ID(required=True)

    class Meta:
        abstract = True

    @classmethod
    def perform_mutation(cls, root: Any, info: GraphQLResolveInfo, user: User | None, **data: Any) -> Any:
        assert user is not None
        specialty_pk = key_from_global_id(data["specialty_id"], Specialty, "specialtyId")
        cls.service(user, specialty_pk)
        return cls(specialty=SpecialtyModel.objects.get(pk=specialty_pk))


class FollowSpecialty(SpecialtyMutation):
    """Follow a specialty: its cases visible to you appear in your feed."""

    service = staticmethod(follows.follow_specialty)

    class Meta:
        error_type = NetworkError
        permission = verified_doctor_required


class UnfollowSpecialty(SpecialtyMutation):
    """Stop following a specialty."""

    service = staticmethod(follows.unfollow_specialty)

    class Meta:
        error_type = NetworkError
        permission = verified_doctor_required


class ConnectionsMutation(graphene.ObjectType):
    """Root mutation fields for connections."""

    send_connection_request = SendConnectionRequest.Field()
    accept_connection_request = AcceptConnectionRequest.Field()
    decline_connection_request = DeclineConnectionRequest.Field()
    cancel_connection_request = CancelConnectionRequest.Field()
    remove_connection = RemoveConnection.Field()
    block_doctor = BlockDoctor.Field()
    unblock_doctor = UnblockDoctor.Field()
    follow_specialty = FollowSpecialty.Field()
    unfollow_specialty = UnfollowSpecialty.Field()
