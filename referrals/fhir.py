"""A referral as FHIR R4 (4.0.1) for hospital systems: a ``Bundle`` (type collection) holding
the ``ServiceRequest`` (what is asked) and the ``Task`` (its workflow, our states).

Every resource is checked by the FHIR R4 models of ``fhirclient`` (SMART Health IT, generated
from FHIR 4.0.1) in strict mode before it leaves: a wrong type, a missing required element or
an unknown element raises ``FHIRValidationError``. The patient is de-identified: the subject is
the case's identifier with its age band and sex, never a person.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.utils import timezone
from fhirclient.models.bundle import Bundle
from fhirclient.models.servicerequest import ServiceRequest
from fhirclient.models.task import Task

from accounts.models import User
from facilities.models import Facility
from referrals.models import Referral

SYSTEM = "urn:tuyen"
ICD10 = "http://hl7.org/fhir/sid/icd-10"
FHIR_VERSION = "4.0.1"

# Our states are FHIR Task codes; the ServiceRequest only knows whether it is still wanted.
REQUEST_STATUS: dict[str, str] = {
    Referral.Status.REQUESTED: "active",
    Referral.Status.ACCEPTED: "active",
    Referral.Status.IN_PROGRESS: "active",
    Referral.Status.ON_HOLD: "on-hold",
    Referral.Status.COMPLETED: "completed",
    Referral.Status.REJECTED: "revoked",
    Referral.Status.CANCELLED: "revoked",
}
PRIORITY = {"routine": "routine", "urgent": "urgent"}


def _instant(moment: Any) -> str | None:
    return timezone.localtime(moment).isoformat(timespec="seconds") if moment else None


def _practitioner(doctor: User) -> dict[str, Any]:
    return {
        "identifier": {"system": f"{SYSTEM}/doctor", "value": str(doctor.public_id)},
        "display": " ".join(part for part in (doctor.title, doctor.full_name) if part),
        "type": "Practitioner",
    }


def _organization(facility: Facility) -> dict[str, Any]:
    reference: dict[str, Any] = {"type": "Organization", "display": facility.name}
    reference["identifier"] = {
        "system": f"{SYSTEM}/facility" if not facility.national_code else f"{SYSTEM}/facility-code",
        "value": facility.national_code or str(facility.pk),
    }
    return reference


def _compact(value: Any) -> Any:
    """Drop empty elements: FHIR forbids empty strings, lists and objects."""
    if isinstance(value, dict):
        cleaned = {key: _compact(item) for key, item in value.items()}
        return {key: item for key, item in cleaned.items() if item not in (None, "", [], {})}
    if isinstance(value, list):
        return [item for item in (_compact(item) for item in value) if item not in (None, "", [], {})]
    return value


def _performer(referral: Referral) -> dict[str, Any]:
    """Who answers: the consultant, else the named doctor, else the queue's facility."""
    doctor = referral.consultant or referral.target_doctor
    return _practitioner(doctor) if doctor is not None else _organization(referral.target_facility)


def _subject(referral: Referral, case_visible: bool) -> dict[str, Any]:
    """The de-identified case; only a reference without the case for whoever may not see it."""
    if not case_visible:
        return {"display": "De-identified patient"}
    case = referral.case
    return {
        "identifier": {"system": f"{SYSTEM}/case", "value": str(case.public_id)},
        "display": f"De-identified patient ({case.age_band}, {case.sex})",
    }


def service_request(referral: Referral, *, case_visible: bool) -> dict[str, Any]:
    return _compact(
        {
            "resourceType": "ServiceRequest",
            "id": str(referral.public_id),
            "identifier": [{"system": f"{SYSTEM}/referral", "value": str(referral.public_id)}],
            "status": REQUEST_STATUS[referral.status],
            "intent": "order",
            "category": [
                {
                    "coding": [
                        {"system": "http://snomed.info/sct", "code": "3457005", "display": "Patient referral"}
                    ]
                }
            ],
            "priority": PRIORITY[referral.urgency],
            "code": {"text": referral.specialty.name_en},
            "subject": _subject(referral, case_visible),
            "authoredOn": _instant(referral.created_at),
            "requester": _practitioner(referral.requester),
            "performer": [_performer(referral)],
            "reasonCode": [{"coding": [{"system": ICD10, "code": code}]} for code in referral.icd10_codes],
            "note": [{"text": referral.question}, {"text": referral.done_so_far}],
        }
    )


def task_id(referral: Referral) -> uuid.UUID:
    """The Task's id, derived from the referral's (stable across exports)."""
    return uuid.uuid5(referral.public_id, "task")


def task(referral: Referral) -> dict[str, Any]:
    output = [
        ("assessment", referral.assessment),
        ("recommendation", referral.recommendation),
        ("follow-up-plan", referral.follow_up_plan),
    ]
    outputs: list[dict[str, Any]] = [
        {"type": {"text": name}, "valueString": text} for name, text in output if text
    ]
    if referral.transfer_advised is not None:
        outputs.append({"type": {"text": "transfer-advised"}, "valueBoolean": referral.transfer_advised})
    return _compact(
        {
            "resourceType": "Task",
            "id": str(task_id(referral)),
            "basedOn": [{"reference": f"urn:uuid:{referral.public_id}"}],
            "status": referral.status,
            "statusReason": {"text": referral.reject_reason},
            "intent": "order",
            "priority": PRIORITY[referral.urgency],
            "focus": {"reference": f"urn:uuid:{referral.public_id}"},
            "authoredOn": _instant(referral.created_at),
            "lastModified": _instant(
                referral.closed_at
                or referral.completed_at
                or referral.cancelled_at
                or referral.rejected_at
                or referral.started_at
                or referral.accepted_at
                or referral.created_at
            ),
            "executionPeriod": {
                "start": _instant(referral.accepted_at),
                "end": _instant(referral.completed_at),
            },
            "requester": _practitioner(referral.requester),
            "owner": _practitioner(referral.consultant)
            if referral.consultant
            else _organization(referral.target_facility),
            "restriction": {"period": {"end": _instant(referral.completion_due_at)}},
            "output": outputs,
        }
    )


def export_referral(referral: Referral, *, case_visible: bool) -> dict[str, Any]:
    """The referral as a validated FHIR R4 Bundle (raises ``FHIRValidationError`` if invalid);
    ``case_visible``: the reader may see the case (``cases_visible_to``), else it is not named."""
    resources = [service_request(referral, case_visible=case_visible), task(referral)]
    ServiceRequest(resources[0], strict=True)
    Task(resources[1], strict=True)
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "meta": {"tag": [{"system": f"{SYSTEM}/fhir-version", "code": FHIR_VERSION}]},
        "timestamp": _instant(timezone.now()),
        "entry": [
            {"fullUrl": f"urn:uuid:{referral.public_id}", "resource": resources[0]},
            {"fullUrl": f"urn:uuid:{task_id(referral)}", "resource": resources[1]},
        ],
    }
    Bundle(bundle, strict=True)
    return bundle
