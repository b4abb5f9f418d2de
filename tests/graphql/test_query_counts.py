"""No N+1: each screen's query costs the same number of database queries at any page size.

Each test measures the small case, then asserts the large case stays within that count.
"""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import VerificationStatus
from facilities.services import load_administrative_units
from tests import factories
from tests.graphql.conftest import data_of

FACILITIES = """query ($first: Int!) { facilities(first: $first) {
    totalCount edges { cursor node { id name tier province { code name } commune { name } } }
} }"""

QUEUE = """query ($first: Int!) { pendingLicenceSubmissions(first: $first) {
    totalCount
    edges { node {
        id licenceNumber kind issuedOn submittedAt
        doctor { id fullName title phone email verificationStatus
                 facility { name tier province { name } } specialties { code name } }
    } }
} }"""

ME = """{ me { id fullName phone email verificationStatus
    facility { name tier province { name } commune { name } } specialties { code name } } }"""


def count_queries(graphql, query, variables=None) -> tuple[int, dict]:
    with CaptureQueriesContext(connection) as captured:
        data = data_of(graphql(query, variables))
    return len(captured), data


def test_facilities_cost_the_same_for_1_and_50_rows(db, graphql, django_assert_max_num_queries):
    for n in range(50):
        factories.facility(name=f"Trung tâm y tế khu vực {n:02d}")
    small, data = count_queries(graphql, FACILITIES, {"first": 1})
    assert len(data["facilities"]["edges"]) == 1
    with django_assert_max_num_queries(small):
        data = data_of(graphql(FACILITIES, {"first": 50}))
    assert len(data["facilities"]["edges"]) == 50


def test_the_review_queue_costs_the_same_for_2_and_20_submissions(db, graphql, django_assert_max_num_queries):
    cardiology = factories.specialty()
    paediatrics = factories.specialty(code="paediatrics", name_vi="Nhi khoa", name_en="Paediatrics")
    for _ in range(20):
        doctor = factories.doctor(status=VerificationStatus.UNVERIFIED)
        doctor.specialties.add(cardiology, paediatrics)
        factories.licence_submission(doctor)
    graphql.login(factories.verifier())

    small, data = count_queries(graphql, QUEUE, {"first": 2})
    assert len(data["pendingLicenceSubmissions"]["edges"]) == 2
    with django_assert_max_num_queries(small):
        data = data_of(graphql(QUEUE, {"first": 20}))
    edges = data["pendingLicenceSubmissions"]["edges"]
    assert len(edges) == 20
    assert all(len(edge["node"]["doctor"]["specialties"]) == 2 for edge in edges)
    assert all(edge["node"]["doctor"]["phone"] is not None for edge in edges)


def test_me_costs_the_same_with_one_or_many_specialties(db, graphql, django_assert_max_num_queries):
    specialties = [
        factories.specialty(code=f"s{n}", name_vi=f"Chuyên khoa {n}", name_en=f"S {n}") for n in range(8)
    ]
    few = factories.doctor()
    few.specialties.add(specialties[0])
    many = factories.doctor()
    many.specialties.add(*specialties)

    graphql.login(few)
    small, data = count_queries(graphql, ME)
    assert len(data["me"]["specialties"]) == 1

    graphql.login(many)
    with django_assert_max_num_queries(small):
        data = data_of(graphql(ME))
    assert len(data["me"]["specialties"]) == 8


PROVINCES = "{ provinces { code name divisionType } }"
SPECIALTIES = "{ specialties { id code name nameVi nameEn } }"


def test_provinces_cost_the_same_for_3_and_34_rows(db, graphql, django_assert_max_num_queries):
    for code, name in ((1, "Thành phố Hà Nội"), (79, "Thành phố Hồ Chí Minh"), (48, "Thành phố Đà Nẵng")):
        factories.province(code=code, name=name)
    small, data = count_queries(graphql, PROVINCES)
    assert len(data["provinces"]) == 3

    load_administrative_units()
    with django_assert_max_num_queries(small):
        data = data_of(graphql(PROVINCES))
    assert len(data["provinces"]) == 34


def test_specialties_cost_the_same_for_2_and_30_rows(db, graphql, django_assert_max_num_queries):
    for n in range(2):
        factories.specialty(code=f"s{n:02d}", name_vi=f"Chuyên khoa {n:02d}", name_en=f"Specialty {n:02d}")
    small, data = count_queries(graphql, SPECIALTIES)
    assert len(data["specialties"]) == 2

    for n in range(2, 30):
        factories.specialty(code=f"s{n:02d}", name_vi=f"Chuyên khoa {n:02d}", name_en=f"Specialty {n:02d}")
    with django_assert_max_num_queries(small):
        data = data_of(graphql(SPECIALTIES))
    assert len(data["specialties"]) == 30
