"""FHIR R4 export: ServiceRequest + Task in a Bundle, valid by the R4 (4.0.1) models of
fhirclient at every state; an invalid resource is rejected by the same validation."""

from __future__ import annotations

import json

import pytest
from fhirclient.models.fhirabstractbase import FHIRValidationError
from fhirclient.models.task import Task

from referrals import fhir
from referrals.models import Referral
from tests.referrals.conftest import advance, refer

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "state",
    [Referral.Status.REQUESTED, Referral.Status.ON_HOLD, Referral.Status.COMPLETED, Referral.Status.REJECTED],
)
def test_the_export_is_valid_fhir_r4(requester, consultant, case, state):
    referral = advance(
        refer(requester, case, consultant, icd10_codes=["I20.0", "E11.9"]), state, requester, consultant
    )
    bundle = fhir.export_referral(Referral.objects.get(pk=referral.pk), case_visible=True)
    request, task = (entry["resource"] for entry in bundle["entry"])
    assert request["resourceType"] == "ServiceRequest" and task["resourceType"] == "Task"
    assert task["status"] == state
    assert [coding["coding"][0]["code"] for coding in request["reasonCode"]] == ["I20.0", "E11.9"]
    assert task["basedOn"][0]["reference"] == bundle["entry"][0]["fullUrl"]
    if state == Referral.Status.COMPLETED:
        outputs = {output["type"]["text"]: output for output in task["output"]}
        assert outputs["transfer-advised"]["valueBoolean"] is False
        assert outputs["assessment"]["valueString"].startswith("Hội chứng")


def test_the_validation_rejects_what_r4_does_not_allow(requester, consultant, case):
    task = fhir.task(refer(requester, case, consultant))
    task["status"] = 42  # a code must be a string
    with pytest.raises(FHIRValidationError):
        Task(task, strict=True)
    del task["status"]
    task["executionPeriodX"] = {}
    with pytest.raises(FHIRValidationError):
        Task(task, strict=True)


def test_the_export_is_served_to_those_who_see_the_referral(client, requester, consultant, case):
    from tests import factories

    referral = refer(requester, case, consultant)
    url = f"/referrals/{referral.public_id}/fhir.json"
    client.force_login(factories.doctor())
    assert client.get(url).status_code == 404
    client.force_login(consultant)
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"].startswith("application/fhir+json")
    assert json.loads(response.content)["resourceType"] == "Bundle"


def test_the_export_names_the_case_only_to_who_may_see_it(client, requester, consultant, case):
    """The named doctor still sees the referral once the case is no longer shared with them, but
    the export no longer names the case (its identifier, age band and sex)."""
    from network.models import Case

    referral = refer(requester, case, consultant)
    Case.objects.filter(pk=case.pk).update(visibility=Case.Visibility.NAMED)  # an empty audience
    client.force_login(consultant)
    response = client.get(f"/referrals/{referral.public_id}/fhir.json")
    assert response.status_code == 200
    subject = json.loads(response.content)["entry"][0]["resource"]["subject"]
    assert subject == {"display": "De-identified patient"}
    assert str(case.public_id) not in response.content.decode()
