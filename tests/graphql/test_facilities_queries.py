"""Reference data is public: facilities (filtered, paged), provinces, specialties."""

from __future__ import annotations

from facilities import services as facility_services
from facilities.models import Tier
from tests import factories
from tests.graphql.conftest import data_of, gid

FACILITIES = """query ($tier: Tier, $province: Int, $search: String, $first: Int!, $after: String) {
    facilities(tier: $tier, provinceCode: $province, search: $search, first: $first, after: $after) {
        totalCount
        pageInfo { hasNextPage endCursor }
        edges { node { id name tier ownership province { code } } }
    }
}"""


def names(graphql, **variables) -> list[str]:
    page = data_of(graphql(FACILITIES, {"first": 50, **variables}))["facilities"]
    return [edge["node"]["name"] for edge in page["edges"]]


def test_facilities_filter_by_tier_province_and_name(db, graphql):
    hue = factories.province(code=46, name="Thành phố Huế")
    factories.facility(name="Bệnh viện Trung ương Huế", province=hue)
    factories.facility(name="Trạm y tế phường Thuận Hóa", tier=Tier.COMMUNE, province=hue)
    factories.facility(name="Bệnh viện Bạch Mai")
    factories.facility(name="Bệnh viện Đã Đóng", is_active=False)

    assert names(graphql) == ["Bệnh viện Bạch Mai", "Bệnh viện Trung ương Huế", "Trạm y tế phường Thuận Hóa"]
    assert names(graphql, tier="COMMUNE") == ["Trạm y tế phường Thuận Hóa"]
    assert names(graphql, province=46) == ["Bệnh viện Trung ương Huế", "Trạm y tế phường Thuận Hóa"]
    assert names(graphql, province=46, tier="CENTRAL") == ["Bệnh viện Trung ương Huế"]
    assert names(graphql, search="huế TRUNG") == ["Bệnh viện Trung ương Huế"]
    assert names(graphql, search="   ") == names(graphql)


def test_facility_fields(db, graphql):
    facility = factories.facility(name="Phòng khám Tâm Anh", tier=Tier.DISTRICT, ownership="private")
    [edge] = data_of(graphql(FACILITIES, {"first": 5}))["facilities"]["edges"]
    assert edge["node"] == {
        "id": gid("Facility", facility.pk),
        "name": "Phòng khám Tâm Anh",
        "tier": "DISTRICT",
        "ownership": "PRIVATE",
        "province": {"code": 1},
    }


def test_facilities_page_with_cursors(db, graphql):
    for n in range(5):
        factories.facility(name=f"Bệnh viện {n}")
    first = data_of(graphql(FACILITIES, {"first": 2}))["facilities"]
    assert first["totalCount"] == 5
    assert first["pageInfo"]["hasNextPage"] is True
    assert [edge["node"]["name"] for edge in first["edges"]] == ["Bệnh viện 0", "Bệnh viện 1"]

    second = data_of(graphql(FACILITIES, {"first": 3, "after": first["pageInfo"]["endCursor"]}))["facilities"]
    assert [edge["node"]["name"] for edge in second["edges"]] == ["Bệnh viện 2", "Bệnh viện 3", "Bệnh viện 4"]
    assert second["pageInfo"]["hasNextPage"] is False


def test_provinces_lists_the_34_provinces_after_the_reference_data_load(db, graphql):
    facility_services.load_administrative_units()
    provinces = data_of(graphql("{ provinces { code name divisionType } }"))["provinces"]
    assert len(provinces) == 34
    names = [province["name"] for province in provinces]
    assert names == sorted(names)
    assert any(province["name"].endswith("Hà Nội") for province in provinces)


def test_specialties_in_the_requested_language(db, client):
    cardiology = factories.specialty()
    factories.specialty(code="paediatrics", name_vi="Nhi khoa", name_en="Paediatrics")
    query = "{ specialties { id code name nameVi nameEn } }"
    response = client.post("/graphql/", {"query": query}, content_type="application/json")
    specialties = response.json()["data"]["specialties"]
    assert specialties[1] == {
        "id": gid("Specialty", cardiology.pk),
        "code": "cardiology",
        "name": "Tim mạch",
        "nameVi": "Tim mạch",
        "nameEn": "Cardiology",
    }
    assert [specialty["name"] for specialty in specialties] == ["Nhi khoa", "Tim mạch"]

    response = client.post(
        "/graphql/", {"query": query}, content_type="application/json", headers={"Accept-Language": "en"}
    )
    assert [specialty["name"] for specialty in response.json()["data"]["specialties"]] == [
        "Paediatrics",
        "Cardiology",
    ]
