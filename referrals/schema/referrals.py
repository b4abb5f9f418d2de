"""GraphQL for referrals: yours, your queue, the response targets, requesting one and every step
of its lifecycle (errors as data, ``ReferralErrorCode``).

A referral is seen by its requester, consultant, named doctor and, while it waits in a queue,
the queue's members (``referrals.selectors.referrals.referrals_visible_to``); its ``case`` only
by whoever may see the case. Rules live in ``referrals.services``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any, ClassVar

import graphene
from django.db.models import QuerySet
from graphql import GraphQLResolveInfo

from accounts.models import User
from accounts.schema import Doctor
from api.mutations import BaseMutation
from api.permissions import login_required, verified_doctor_required, viewer
from api.relay import (
    ModelNode,
    PaginatedConnectionField,
    instance_from_global_id,
    key_from_global_id,
    selected_fields,
)
from facilities.schema import Facility, Specialty
from network.schema.cases import Case
from referrals import fhir
from referrals import models as referral_models
from referrals.schema.errors import ReferralError
from referrals.selectors import referrals as selectors
from referrals.services import referrals as services

ReferralStatusEnum = graphene.Enum.from_enum(
    referral_models.Referral.Status,
    name="ReferralStatus",
    description=(
        "FHIR Task states: REQUESTED → ACCEPTED | REJECTED; ACCEPTED → IN_PROGRESS → COMPLETED; "
        "IN_PROGRESS ⇄ ON_HOLD; REQUESTED or ACCEPTED → CANCELLED by the requester."
    ),
)
ReferralUrgencyEnum = graphene.Enum.from_enum(
    referral_models.Urgency, name="ReferralUrgency", description="How soon an answer is needed."
)


class RequestedUrgency(graphene.Enum):
    """The urgency asked for. EMERGENCY is refused (EMERGENCY_NOT_REFERRAL): use emergency transfer."""

    ROUTINE = "routine"
    URGENT = "urgent"
    EMERGENCY = "emergency"


class ReferralRole(graphene.Enum):
    """Your side of a referral."""

    REQUESTER = selectors.REQUESTER
    CONSULTANT = selectors.CONSULTANT


class ResponseTarget(graphene.ObjectType):
    """The response-time policy for one urgency (policy data)."""

    urgency = graphene.Field(ReferralUrgencyEnum, required=True)
    first_response_hours = graphene.Int(required=True)
    completion_hours = graphene.Int(required=True)
    escalation_step_hours = graphene.Int(required=True, description="Time each escalated queue has.")


class InformationRequest(graphene.ObjectType):
    """The consultant's question that put the referral on hold, and the answer."""

    question = graphene.String(required=True)
    asked_at = graphene.DateTime(required=True)
    answer = graphene.String()
    answered_at = graphene.DateTime()


class ConsultationRecord(graphene.ObjectType):
    """The consultation record (biên bản hội chẩn) PDF generated on completion."""

    sha256 = graphene.String(required=True, description="Hex SHA-256 of the PDF, as in the audit log.")
    created_at = graphene.DateTime(required=True)
    download_path = graphene.String(required=True, description="Where participants download the PDF.")

    @staticmethod
    def resolve_download_path(root: referral_models.ConsultationRecord, info: GraphQLResolveInfo) -> str:
        from django.urls import reverse

        return reverse("referrals:record", args=[root.referral.public_id])


def _blank_to_none(name: str) -> Any:
    def resolve(root: referral_models.Referral, info: GraphQLResolveInfo) -> Any:
        return getattr(root, name) or None

    return resolve


class Referral(ModelNode):
    """A request for help with a case from a higher level of care."""

    case = graphene.Field(Case, description="Null when you may not see the case.")
    requester = graphene.Field(Doctor, required=True)
    requester_facility = graphene.Field(Facility, required=True)
    target_doctor = graphene.Field(Doctor, description="The named doctor; null while it waits in a queue.")
    target_facility = graphene.Field(Facility, required=True, description="Where it waits, or is answered.")
    specialty = graphene.Field(Specialty, required=True)
    consultant = graphene.Field(Doctor, description="Who accepted or claimed it.")
    status = graphene.Field(ReferralStatusEnum, required=True)
    urgency = graphene.Field(ReferralUrgencyEnum, required=True)
    icd10_codes = graphene.List(graphene.NonNull(graphene.String), required=True)
    reject_reason = graphene.String(resolver=_blank_to_none("reject_reason"))
    assessment = graphene.String(resolver=_blank_to_none("assessment"))
    recommendation = graphene.String(resolver=_blank_to_none("recommendation"))
    follow_up_plan = graphene.String(resolver=_blank_to_none("follow_up_plan"))
    response_overdue = graphene.Boolean(required=True, description="Unanswered past its response due time.")
    completion_overdue = graphene.Boolean(
        required=True, description="Accepted but still without its answer past its completion due time."
    )
    information_requests = graphene.List(graphene.NonNull(InformationRequest), required=True)
    record = graphene.Field(ConsultationRecord, description="Once completed.")
    fhir = graphene.JSONString(
        required=True, description="The referral as a FHIR R4 Bundle (ServiceRequest + Task), validated."
    )

    class Meta:
        model = referral_models.Referral
        fields = (
            "question",
            "done_so_far",
            "preferred_response_hours",
            "created_at",
            "response_due_at",
            "completion_due_at",
            "first_response_at",
            "accepted_at",
            "started_at",
            "completed_at",
            "rejected_at",
            "cancelled_at",
            "escalation_level",
            "escalated_at",
            "transfer_advised",
            "closed_at",
            "transfer_avoided",
            "plan_changed",
            "usefulness",
        )

    lookup_field = "public_id"

    @classmethod
    def get_queryset(cls, queryset: QuerySet[Any], info: GraphQLResolveInfo) -> QuerySet[Any]:
        # Connections' selectors load the cards already; this only filters.
        return selectors.referrals_visible_to(viewer(info), queryset)

    @classmethod
    def get_node(cls, info: GraphQLResolveInfo, id: str) -> referral_models.Referral | None:
        key = cls.clean_key(id)
        if key is None:
            return None
        return _card(info, referral_models.Referral.objects.filter(public_id=key))

    @staticmethod
    def resolve_id(root: referral_models.Referral, info: GraphQLResolveInfo) -> str:
        return str(root.public_id)

    @staticmethod
    def resolve_case(root: referral_models.Referral, info: GraphQLResolveInfo) -> Any:
        return root.case if getattr(root, "case_visible", False) else None

    @staticmethod
    def resolve_response_overdue(root: referral_models.Referral, info: GraphQLResolveInfo) -> bool:
        return selectors.response_overdue(root)

    @staticmethod
    def resolve_completion_overdue(root: referral_models.Referral, info: GraphQLResolveInfo) -> bool:
        return selectors.completion_overdue(root)

    @staticmethod
    def resolve_information_requests(root: referral_models.Referral, info: GraphQLResolveInfo) -> Any:
        return root.information_requests.all()

    @staticmethod
    def resolve_record(root: referral_models.Referral, info: GraphQLResolveInfo) -> Any:
        # Only a completed referral has one (no query for the others).
        return (
            getattr(root, "record", None)
            if root.status == referral_models.Referral.Status.COMPLETED
            else None
        )

    @staticmethod
    def resolve_fhir(root: referral_models.Referral, info: GraphQLResolveInfo) -> dict[str, Any]:
        return fhir.export_referral(root, case_visible=getattr(root, "case_visible", False))


def _card(info: GraphQLResolveInfo, referrals: QuerySet[referral_models.Referral]) -> Any:
    """One referral the viewer may see, with everything its card shows; None otherwise."""
    user = viewer(info)
    return selectors.with_parties(selectors.referrals_visible_to(user, referrals), user).first()


class ReferralsQuery(graphene.ObjectType):
    """Root query fields for referrals."""

    my_referrals = PaginatedConnectionField(
        Referral,
        role=graphene.Argument(
            ReferralRole, description="Only as requester or as consultant; both by default."
        ),
        status=graphene.List(graphene.NonNull(ReferralStatusEnum), description="Only these statuses."),
        description="Your referrals, newest first.",
    )
    referral_queue = PaginatedConnectionField(
        Referral,
        description=(
            "What waits for you: referrals named to you and those in your facility's queues for your "
            "specialties, the soonest due first."
        ),
    )
    referral_targets = graphene.List(
        graphene.NonNull(ResponseTarget), required=True, description="The response-time targets per urgency."
    )

    @staticmethod
    def resolve_my_referrals(
        root: Any, info: GraphQLResolveInfo, role: Any = None, status: list[Any] | None = None, **_page: Any
    ) -> QuerySet[referral_models.Referral]:
        user = verified_doctor_required(info)
        statuses = None if status is None else [_value(item) for item in status]
        return selectors.referrals_of(user, role=_value(role), statuses=statuses, parts=_asked_parts(info))

    @staticmethod
    def resolve_referral_queue(
        root: Any, info: GraphQLResolveInfo, **_page: Any
    ) -> QuerySet[referral_models.Referral]:
        return selectors.queue_of(verified_doctor_required(info), parts=_asked_parts(info))

    @staticmethod
    def resolve_referral_targets(root: Any, info: GraphQLResolveInfo) -> Any:
        login_required(info)
        return selectors.response_targets()


# Where each card field's object is joined from; below it, only what the query selects is
# joined too (each join left out makes the statement cheaper to plan as well as to run).
_FIELD_PATHS = {
    "case": "case",
    "requester": "requester",
    "consultant": "consultant",
    "targetDoctor": "target_doctor",
    "targetFacility": "target_facility",
    "requesterFacility": "requester_facility",
    "specialty": "specialty",
    "record": "record",
}
_DOCTOR_FIELDS = {"requester": "requester", "consultant": "consultant", "targetDoctor": "target_doctor"}
_FACILITY_FIELDS = {"targetFacility": "target_facility", "requesterFacility": "requester_facility"}
_FACILITY_PARTS = ("province", "commune")


def _joins_below(info: GraphQLResolveInfo, field: str) -> set[str]:
    """The joins ``field`` of the nodes needs for what the query selects below it."""
    node = ("edges", "node", field)
    facility: tuple[str, tuple[str, ...]] | None = None
    joins = {_FIELD_PATHS[field]}
    if field == "case" and "specialty" in selected_fields(info, *node):
        joins.add("case__specialty")
    elif field in _FACILITY_FIELDS:
        facility = (_FACILITY_FIELDS[field], node)
    elif field in _DOCTOR_FIELDS and "facility" in selected_fields(info, *node):
        facility = (f"{_DOCTOR_FIELDS[field]}__facility", (*node, "facility"))
    if facility is not None:
        path, where = facility
        joins.add(path)
        joins.update(f"{path}__{part}" for part in _FACILITY_PARTS if part in selected_fields(info, *where))
    return joins


def _asked_parts(info: GraphQLResolveInfo) -> selectors.CardParts:
    """The parts of the card a connection's nodes select, so its selector loads just those
    (the FHIR export reads every party and the case)."""
    fields = selected_fields(info, "edges", "node")
    joins: set[str] = set(selectors.CARD_JOINS) if "fhir" in fields else set()
    for field in fields & _FIELD_PATHS.keys():
        joins |= _joins_below(info, field)
    prefetch = [
        f"{name}__specialties"
        for field, name in _DOCTOR_FIELDS.items()
        if "specialties" in selected_fields(info, "edges", "node", field)
    ]
    if "informationRequests" in fields:
        prefetch.append("information_requests")
    return selectors.CardParts(joins=sorted(joins), prefetch=prefetch, case="case" in fields)


# --- Mutations -------------------------------------------------------------------------------


def _value(member: Any) -> Any:
    return getattr(member, "value", member)


def _key(referral_id: str) -> uuid.UUID:
    key: uuid.UUID = key_from_global_id(referral_id, Referral, "id")
    return key


def _loaded(referral: referral_models.Referral, info: GraphQLResolveInfo) -> referral_models.Referral | None:
    """The referral as the payload shows it (if the actor may still see it)."""
    return _card(info, referral_models.Referral.objects.filter(pk=referral.pk))


class ReferralPayload:
    referral = graphene.Field(Referral)


class RequestReferral(ReferralPayload, BaseMutation):
    """Refer one of your published cases to a named doctor (your active mentor when neither a
    doctor nor a facility is given) or to a facility's specialty queue, at a higher tier."""

    class Arguments:
        case_id = graphene.ID(required=True, description="A Case ID (yours).")
        urgency = RequestedUrgency(required=True)
        question = graphene.String(required=True)
        done_so_far = graphene.String(description="What was already done.")
        icd10_codes = graphene.List(graphene.NonNull(graphene.String), description="Defaults to the case's.")
        preferred_response_hours = graphene.Int()
        doctor_id = graphene.ID(description="A Doctor ID: the named doctor.")
        facility_id = graphene.ID(description="A Facility ID: its queue for the specialty.")
        specialty_id = graphene.ID(description="A Specialty ID; defaults to the case's.")

    class Meta:
        error_type = ReferralError
        permission = verified_doctor_required

    @classmethod
    def perform_mutation(cls, root: Any, info: GraphQLResolveInfo, user: User | None, **data: Any) -> Any:
        case = instance_from_global_id(info, data["case_id"], Case, "caseId")
        doctor_id, facility_id, specialty_id = (
            data.get("doctor_id"),
            data.get("facility_id"),
            data.get("specialty_id"),
        )
        referral = services.request_referral(
            user,
            case_id=case.pk,
            urgency=_value(data["urgency"]),
            question=data["question"],
            done_so_far=data.get("done_so_far") or "",
            icd10_codes=data.get("icd10_codes"),
            preferred_response_hours=data.get("preferred_response_hours"),
            doctor_id=instance_from_global_id(info, doctor_id, Doctor, "doctorId").pk if doctor_id else None,
            facility_id=key_from_global_id(facility_id, Facility, "facilityId") if facility_id else None,
            specialty_id=key_from_global_id(specialty_id, Specialty, "specialtyId") if specialty_id else None,
        )
        return cls(referral=_loaded(referral, info))


class ReferralStep(ReferralPayload, BaseMutation):
    """One step of a referral's lifecycle: ``service(user, key, **arguments)``, the arguments
    being the mutation's own (besides ``id``) under the service's keyword names."""

    service: ClassVar[staticmethod[..., referral_models.Referral]]

    class Meta:
        abstract = True

    @classmethod
    def perform_mutation(cls, root: Any, info: GraphQLResolveInfo, user: User | None, **data: Any) -> Any:
        assert user is not None
        referral_id = data.pop("id")
        return cls(referral=_loaded(cls.service(user, _key(referral_id), **data), info))


def _step(
    name: str, service: Callable[..., referral_models.Referral], doc: str, **arguments: graphene.Argument
) -> type[ReferralStep]:
    """A ReferralStep mutation named ``name`` calling ``service`` (verified doctors only)."""
    return type(
        name,
        (ReferralStep,),
        {
            "__doc__": doc,
            "service": staticmethod(service),
            "Arguments": type(
                "Arguments", (), {"id": graphene.ID(required=True, description="A Referral ID."), **arguments}
            ),
            "Meta": type("Meta", (), {"error_type": ReferralError, "permission": verified_doctor_required}),
        },
    )


AcceptReferral = _step(
    "AcceptReferral",
    services.accept_referral,
    "Accept a referral named to you, or claim one from your queue (the first claim wins; later ones "
    "get ALREADY_CLAIMED).",
)
RejectReferral = _step(
    "RejectReferral",
    services.reject_referral,
    "Decline a referral waiting for you, saying why.",
    reason=graphene.String(required=True),
)
StartReferral = _step("StartReferral", services.start_referral, "Start working on a referral you accepted.")
RequestReferralInformation = _step(
    "RequestReferralInformation",
    services.request_information,
    "Ask the requester for more information: the referral is on hold until they answer.",
    question=graphene.String(required=True),
)
GiveReferralInformation = _step(
    "GiveReferralInformation",
    services.give_information,
    "Answer the consultant's question: the referral is in progress again.",
    answer=graphene.String(required=True),
)
CompleteReferral = _step(
    "CompleteReferral",
    services.complete_referral,
    "Answer in full; the consultation record (PDF) is generated and its hash audited.",
    assessment=graphene.String(required=True),
    recommendation=graphene.String(required=True),
    transfer_advised=graphene.Boolean(required=True),
    follow_up_plan=graphene.String(required=True),
)
CancelReferral = _step(
    "CancelReferral", services.cancel_referral, "Cancel your referral while it is requested or accepted."
)
CloseReferral = _step(
    "CloseReferral",
    services.close_referral,
    "Record the outcome of your completed referral.",
    transfer_avoided=graphene.Boolean(required=True),
    plan_changed=graphene.Boolean(required=True),
    usefulness=graphene.Int(required=True, description="1 (useless) to 5 (very useful)."),
)


class ReferralsMutation(graphene.ObjectType):
    """Root mutation fields for referrals."""

    request_referral = RequestReferral.Field()
    accept_referral = AcceptReferral.Field()
    reject_referral = RejectReferral.Field()
    start_referral = StartReferral.Field()
    request_referral_information = RequestReferralInformation.Field()
    give_referral_information = GiveReferralInformation.Field()
    complete_referral = CompleteReferral.Field()
    cancel_referral = CancelReferral.Field()
    close_referral = CloseReferral.Field()
