"""People you may know: who is suggested, in which order and why; the province adjacency the
score uses; a constant number of queries whatever the page size."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from vietnam_provinces import Province as SourceProvince

from accounts.models import VerificationStatus
from facilities.geography import PROVINCE_ADJACENCY, neighbouring_provinces, read_province_adjacency
from facilities.models import Tier
from network.models import Block, Connection, ConnectionRequest
from network.selectors import suggestions
from network.selectors.suggestions import MENTORSHIP_TIE_POINTS, suggestion_page, suggestions_for
from tests import factories
from tests.graphql import conftest as graphql_conftest
from tests.graphql.conftest import data_of, error_codes, gid

graphql = graphql_conftest.graphql

HA_NOI, PHU_THO, CA_MAU = 1, 25, 96


# --- Province adjacency --------------------------------------------------------------------------


def test_the_adjacency_table_covers_exactly_the_34_provinces():
    raw = json.loads(PROVINCE_ADJACENCY.read_text(encoding="utf-8"))["neighbours"]
    codes = {int(source.code) for source in SourceProvince.iter_all()}
    assert len(codes) == 34
    assert {int(code) for code in raw} == codes
    assert all(other in codes for others in raw.values() for other in others)


def test_adjacency_is_symmetric_and_never_reflexive():
    raw = json.loads(PROVINCE_ADJACENCY.read_text(encoding="utf-8"))["neighbours"]
    for code, others in raw.items():
        assert int(code) not in others
        assert others, f"{code} has no neighbour"
        for other in others:
            assert int(code) in raw[str(other)], f"{code} borders {other} but not the other way round"


def test_some_known_borders():
    assert PHU_THO in neighbouring_provinces(HA_NOI)
    assert CA_MAU not in neighbouring_provinces(HA_NOI)
    assert neighbouring_provinces(79) == {68, 75, 80, 82}  # Hồ Chí Minh City after the merger
    assert neighbouring_provinces(12345) == frozenset()


def test_a_malformed_table_is_refused(tmp_path):
    path = tmp_path / "adjacency.json"
    path.write_text(json.dumps({"neighbours": {"1": [25], "25": []}}), encoding="utf-8")
    with pytest.raises(ValueError, match="not the other way round"):
        read_province_adjacency(path)
    path.write_text(json.dumps({"neighbours": {"1": [2]}}), encoding="utf-8")
    with pytest.raises(ValueError, match="unknown neighbour"):
        read_province_adjacency(path)


# --- Ranking -------------------------------------------------------------------------------------


def link(first, second) -> None:
    Connection.objects.bulk_create(
        [Connection(doctor=first, peer=second), Connection(doctor=second, peer=first)]
    )


def doctor_in(province_code: int, *specialties, tier: str = Tier.CENTRAL, **extra):
    place = factories.facility(tier, province=factories.province(province_code, f"Tỉnh {province_code}"))
    doc = factories.doctor(facility=place, **extra)
    doc.specialties.add(*specialties)
    return doc


@pytest.fixture
def specialties(db):
    return (
        factories.specialty("cardiology", "Tim mạch", "Cardiology"),
        factories.specialty("paediatrics", "Nhi khoa", "Paediatrics"),
        factories.specialty("general-surgery", "Ngoại tổng quát", "General surgery"),
    )


@pytest.fixture
def network(specialties):
    """A viewer in Hà Nội (cardiology, paediatrics) and doctors around them, created in pk order."""
    cardiology, paediatrics, surgery = specialties
    viewer = doctor_in(HA_NOI, cardiology, paediatrics)
    peer_1, peer_2 = doctor_in(CA_MAU, surgery), doctor_in(CA_MAU, surgery)
    link(viewer, peer_1)
    link(viewer, peer_2)
    people = {
        "fof_2": doctor_in(CA_MAU, surgery),  # 2 shared connections: 6
        "both_specialties_same_province": doctor_in(HA_NOI, cardiology, paediatrics),  # 2 * 2 + 2: 6
        "fof_1_same_province": doctor_in(HA_NOI, surgery),  # 3 + 2: 5
        "cardiology_same_province": doctor_in(HA_NOI, cardiology),  # 2 + 2: 4
        "cardiology_neighbour": doctor_in(PHU_THO, cardiology),  # 2 + 1: 3
        "fof_1_far": doctor_in(CA_MAU, surgery),  # 3: 3
        # Not nominated: too little in common.
        "cardiology_far": doctor_in(CA_MAU, cardiology),
        "surgery_same_province": doctor_in(HA_NOI, surgery),
        "surgery_neighbour": doctor_in(PHU_THO, surgery),
    }
    link(people["fof_2"], peer_1)
    link(people["fof_2"], peer_2)
    link(people["fof_1_same_province"], peer_1)
    link(people["fof_1_far"], peer_2)
    return viewer, people, (peer_1, peer_2)


EXPECTED = [
    # name, score, shared connections, shared specialties, same province, neighbouring province
    ("fof_2", 6, 2, 0, False, False),
    ("both_specialties_same_province", 6, 0, 2, True, False),
    ("fof_1_same_province", 5, 1, 0, True, False),
    ("cardiology_same_province", 4, 0, 1, True, False),
    ("cardiology_neighbour", 3, 0, 1, False, True),
    ("fof_1_far", 3, 1, 0, False, False),
]


def test_suggestions_are_ranked_by_a_transparent_score(network):
    viewer, people, _peers = network
    names = {doctor.pk: name for name, doctor in people.items()}
    page = suggestion_page(viewer, offset=0, limit=20)
    assert [
        (
            names[row.doctor.pk],
            row.score,
            row.shared_connections,
            row.shared_specialties,
            row.same_province,
            row.neighbouring_province,
        )
        for row in page
    ] == EXPECTED
    # Pages continue the same ranking.
    assert [row.doctor for row in suggestion_page(viewer, offset=2, limit=2)] == [
        people["fof_1_same_province"],
        people["cardiology_same_province"],
    ]


def test_connected_blocked_requested_and_unverified_doctors_are_never_suggested(network, specialties):
    viewer, _people, peers = network
    cardiology = specialties[0]
    connected = doctor_in(HA_NOI, cardiology)
    link(viewer, connected)
    asked = doctor_in(HA_NOI, cardiology)
    ConnectionRequest.objects.create(sender=viewer, recipient=asked)
    asking = doctor_in(HA_NOI, cardiology)
    ConnectionRequest.objects.create(sender=asking, recipient=viewer)
    blocked, blocker = doctor_in(HA_NOI, cardiology), doctor_in(HA_NOI, cardiology)
    Block.objects.create(blocker=viewer, blocked=blocked)
    Block.objects.create(blocker=blocker, blocked=viewer)
    applicant = doctor_in(HA_NOI, cardiology, status=VerificationStatus.PENDING)
    inactive = doctor_in(HA_NOI, cardiology, is_active=False)
    lapsed = doctor_in(HA_NOI, cardiology)
    lapsed.licence_expires_on = timezone.localdate() - timedelta(days=1)
    lapsed.save(update_fields=["licence_expires_on"])
    # A declined request of the past does not hide anyone.
    declined = doctor_in(HA_NOI, cardiology)
    ConnectionRequest.objects.create(
        sender=viewer, recipient=declined, status=ConnectionRequest.Status.DECLINED
    )

    suggested = set(suggestions_for(viewer))

    assert declined in suggested
    for excluded in (viewer, *peers, connected, asked, asking, blocked, blocker, applicant, inactive, lapsed):
        assert excluded not in suggested
    # The blocked doctor is not shown the blocker either.
    assert viewer not in set(suggestions_for(blocked))


def test_colleague_pools_are_bounded_but_friends_of_friends_are_not(specialties, monkeypatch):
    monkeypatch.setattr(suggestions, "COLLEAGUE_POOL", 2)
    cardiology = specialties[0]
    viewer = doctor_in(HA_NOI, cardiology)
    peer = doctor_in(CA_MAU)
    link(viewer, peer)
    friends_of_friends = [doctor_in(CA_MAU) for _ in range(3)]
    for doctor in friends_of_friends:
        link(doctor, peer)
    same_province = [doctor_in(HA_NOI, cardiology) for _ in range(3)]
    neighbours = [doctor_in(PHU_THO, cardiology) for _ in range(3)]
    suggested = set(suggestions_for(viewer))
    assert set(friends_of_friends) <= suggested
    assert len(suggested & set(same_province)) == 2
    assert len(suggested & set(neighbours)) == 2
    assert len(suggested) == 7


def test_a_doctor_without_facility_or_specialty_is_suggested_friends_of_friends_only(specialties):
    loner = factories.doctor(facility=None)
    peer, friend_of_peer = factories.doctor(), factories.doctor()
    link(loner, peer)
    link(peer, friend_of_peer)
    doctor_in(HA_NOI, specialties[0])
    rows = suggestion_page(loner, offset=0, limit=10)
    assert [(row.doctor, row.score, row.same_province) for row in rows] == [(friend_of_peer, 3, False)]


def test_a_page_costs_the_same_queries_for_1_and_50_suggestions(specialties, django_assert_max_num_queries):
    cardiology = specialties[0]
    viewer = doctor_in(HA_NOI, cardiology)
    for _ in range(60):
        doctor_in(HA_NOI, cardiology, specialties[1])
    with CaptureQueriesContext(connection) as small:
        assert len(suggestion_page(viewer, offset=0, limit=1)) == 1
    with django_assert_max_num_queries(len(small)):
        rows = suggestion_page(viewer, offset=0, limit=50)
        assert all(len(row.doctor.specialties.all()) == 2 for row in rows)
        assert all(row.doctor.facility.province.code == HA_NOI for row in rows)
    assert len(rows) == 50


# --- GraphQL -------------------------------------------------------------------------------------

SUGGESTIONS = """query ($first: Int!, $after: String) {
  connectionSuggestions(first: $first, after: $after) {
    pageInfo { hasNextPage hasPreviousPage endCursor }
    edges { cursor node {
      score sharedConnections sharedSpecialties sameProvince neighbouringProvince
      doctor { id fullName facility { name province { name } } specialties { code } }
    } }
  }
}"""


def test_suggestions_over_graphql_page_by_cursor(network, graphql):
    viewer, people, _peers = network
    graphql.login(viewer)
    first = data_of(graphql(SUGGESTIONS, {"first": 4}))["connectionSuggestions"]
    assert first["pageInfo"]["hasNextPage"] is True
    assert first["pageInfo"]["hasPreviousPage"] is False
    top = first["edges"][0]["node"]
    assert (top["score"], top["sharedConnections"], top["sameProvince"]) == (6, 2, False)
    assert top["doctor"]["id"] == gid("Doctor", people["fof_2"].public_id)
    rest = data_of(graphql(SUGGESTIONS, {"first": 4, "after": first["pageInfo"]["endCursor"]}))
    rest = rest["connectionSuggestions"]
    assert rest["pageInfo"]["hasNextPage"] is False
    assert rest["pageInfo"]["hasPreviousPage"] is True
    assert [edge["node"]["doctor"]["id"] for edge in first["edges"] + rest["edges"]] == [
        gid("Doctor", people[name].public_id) for name, *_reasons in EXPECTED
    ]


def test_suggestions_need_a_page_size_and_a_verified_doctor(network, graphql):
    viewer, _people, _peers = network
    graphql.login(viewer)
    result = graphql("{ connectionSuggestions { edges { cursor } } }", status=400)
    assert error_codes(result) == ["PAGE_SIZE_REQUIRED"]
    assert error_codes(graphql(SUGGESTIONS, {"first": 101}, status=400)) == ["PAGE_SIZE_OUT_OF_RANGE"]
    assert error_codes(graphql(SUGGESTIONS, {"first": 2, "after": "not a cursor"})) == ["INVALID"]
    graphql.login(factories.doctor(status=VerificationStatus.PENDING))
    assert error_codes(graphql(SUGGESTIONS, {"first": 2})) == ["NOT_VERIFIED"]


def test_suggestions_over_graphql_cost_the_same_for_1_and_50(
    specialties, graphql, django_assert_max_num_queries
):
    viewer = doctor_in(HA_NOI, specialties[0])
    for _ in range(60):
        doctor_in(PHU_THO, specialties[0], specialties[1])
    graphql.login(viewer)
    with CaptureQueriesContext(connection) as small:
        assert len(data_of(graphql(SUGGESTIONS, {"first": 1}))["connectionSuggestions"]["edges"]) == 1
    with django_assert_max_num_queries(len(small)):
        data = data_of(graphql(SUGGESTIONS, {"first": 50}))
    assert len(data["connectionSuggestions"]["edges"]) == 50


def test_mentorship_ties_nominate_and_rank_doctors_around_ones_mentorships(specialties):
    mentee = doctor_in(CA_MAU, tier=Tier.PROVINCIAL)
    mentor = doctor_in(HA_NOI, tier=Tier.CENTRAL)
    factories.mentorship(mentor, mentee)
    fellow_mentee = doctor_in(HA_NOI, tier=Tier.DISTRICT)
    factories.mentorship(mentor, fellow_mentee)
    co_mentor = doctor_in(HA_NOI, tier=Tier.CENTRAL)
    factories.mentorship(co_mentor, mentee)
    unrelated = doctor_in(HA_NOI, tier=Tier.DISTRICT)
    factories.mentorship(doctor_in(HA_NOI, tier=Tier.CENTRAL), unrelated)
    # Starting a mentorship connects the pair; without those connections only the ties remain.
    Connection.objects.all().delete()

    def ties(viewer):
        return {
            row.doctor: (row.mentorship_ties, row.shared_connections, row.score)
            for row in suggestion_page(viewer, offset=0, limit=20)
        }

    tie_alone = (1, 0, MENTORSHIP_TIE_POINTS)
    # One's mentors, and a fellow mentee of one's mentor (Cà Mau is far from Hà Nội).
    assert ties(mentee) == {mentor: tie_alone, co_mentor: tie_alone, fellow_mentee: tie_alone}
    # One's mentees, and another mentor of one's mentee (same province: + 2).
    same_province = (1, 0, MENTORSHIP_TIE_POINTS + 2)
    assert ties(mentor) == {mentee: tie_alone, fellow_mentee: same_province, co_mentor: same_province}
    assert unrelated not in ties(mentor)
