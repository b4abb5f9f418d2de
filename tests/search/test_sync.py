"""Search follows the rows it indexes through the services that change them: the PostgreSQL
documents are rewritten in the same transaction (and Elasticsearch's through the outbox: see
test_outbox_and_fallback)."""

from __future__ import annotations

import pytest

from accounts import services as account_services
from facilities.models import Commune, Tier
from network.services import cases as case_services
from network.services import connections as connection_services
from network.services import moderation
from search.backends.base import CaseQuery, DoctorQuery, FacilityQuery
from search.selectors import search_cases, search_doctors, search_facilities
from tests import factories
from tests.network.test_cases_builders import case_fields, moderator
from tests.search.builders import hanoi, hospital, named_doctor, neurology, searcher

pytestmark = pytest.mark.django_db


def found_doctors(viewer, text: str) -> list[int]:
    return [row.pk for row in search_doctors(viewer, DoctorQuery(text=text), offset=0, limit=10).rows]


def found_cases(viewer, text: str) -> list[int]:
    return [row.pk for row in search_cases(viewer, CaseQuery(text=text), offset=0, limit=10).rows]


def test_a_profile_change_is_searchable_at_once():
    doctor = named_doctor("Nguyễn Văn Đức")
    viewer = searcher()

    account_services.update_profile(doctor, full_name="Trần Minh Khôi", specialty_ids=[neurology().pk])

    assert found_doctors(viewer, "tran minh khoi than kinh") == [doctor.pk]
    assert found_doctors(viewer, "nguyen van duc") == []


def test_moving_facility_and_renaming_it_are_followed():
    doctor = named_doctor("Nguyễn Văn Đức")
    viewer = searcher()
    new_home = hospital("Bệnh viện Chợ Rẫy")

    account_services.update_profile(doctor, facility_id=new_home.pk)
    assert found_doctors(viewer, "duc cho ray") == [doctor.pk]

    new_home.name = "Bệnh viện Thống Nhất"
    new_home.save()
    assert found_doctors(viewer, "duc thong nhat") == [doctor.pk]
    page = search_facilities(FacilityQuery(text="thong nhat"), offset=0, limit=5)
    assert [row.pk for row in page.rows] == [new_home.pk]


def test_losing_verification_or_being_blocked_removes_a_doctor_without_reindexing():
    doctor = named_doctor("Nguyễn Văn Đức")
    viewer = searcher()
    assert found_doctors(viewer, "nguyen van duc") == [doctor.pk]

    connection_services.block_doctor(doctor, viewer.pk)
    assert found_doctors(viewer, "nguyen van duc") == []
    connection_services.unblock_doctor(doctor, viewer.pk)
    assert found_doctors(viewer, "nguyen van duc") == [doctor.pk]

    account_services.revoke_verification(factories.verifier(), doctor.pk, reason="Giấy phép bị thu hồi")
    assert found_doctors(viewer, "nguyen van duc") == []


def test_a_case_is_searchable_once_published_and_gone_once_hidden_or_deleted():
    author = factories.doctor()
    viewer = searcher()
    case = case_services.create_case(author, **case_fields(title="Rung nhĩ mới phát hiện"))
    assert found_cases(viewer, "rung nhi") == []  # a draft: its author's only
    assert found_cases(author, "rung nhi") == [case.pk]

    case_services.publish_case(author, case.pk)
    assert found_cases(viewer, "rung nhi") == [case.pk]

    case_services.update_case(author, case.pk, title="Cuồng nhĩ mới phát hiện")
    assert found_cases(viewer, "rung nhi") == []
    assert found_cases(viewer, "cuong nhi") == [case.pk]

    moderation.hide_case(moderator(), case.pk, "Chứa thông tin định danh")
    assert found_cases(viewer, "cuong nhi") == []
    assert found_cases(author, "cuong nhi") == []


def test_a_deleted_case_is_not_found():
    author = factories.doctor()
    case = case_services.create_case(author, **case_fields(title="Rung nhĩ"))
    case_services.publish_case(author, case.pk)

    case_services.delete_case(author, case.pk)

    assert found_cases(author, "rung nhi") == []
    assert found_cases(searcher(), "rung nhi") == []


def test_renaming_a_commune_is_followed_by_its_facilities():
    ward = Commune.objects.create(
        code=9001, province=hanoi(), name="Phường Đống Đa", codename="dong_da", division_type="Phường"
    )
    station = factories.facility(Tier.COMMUNE, name="Trạm Y tế số 1", province=hanoi(), commune=ward)

    ward.name = "Phường Kim Liên"
    ward.save()

    page = search_facilities(FacilityQuery(text="tram y te kim lien"), offset=0, limit=5)
    assert [row.pk for row in page.rows] == [station.pk]
