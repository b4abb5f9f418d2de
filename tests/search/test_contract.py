"""The search contract, run against each backend (see conftest): Vietnamese folding with đ,
typo tolerance, filters and facets, ranking, highlights, and who may find what."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from accounts.models import VerificationStatus
from facilities.models import Tier
from network.models import Case
from network.selectors.cases import cases_visible_to
from search.backends.base import CaseQuery, DoctorQuery, FacilityQuery
from search.selectors import search_cases, search_doctors, search_facilities
from tests import factories
from tests.network.test_cases_builders import block, connect, published_case
from tests.search.builders import hanoi, hospital, hue, named_doctor, neurology, searcher


def answered_by_the_backend_under_test(page):
    """A contract test must not pass on PostgreSQL's fallback when Elasticsearch is under test."""
    assert page.backend == ("elasticsearch" if settings.ELASTICSEARCH_URL else "postgresql")
    return page


def doctors(viewer, text="", **filters):
    return answered_by_the_backend_under_test(
        search_doctors(viewer, DoctorQuery(text=text, **filters), offset=0, limit=20)
    )


def facilities(text, **filters):
    return answered_by_the_backend_under_test(
        search_facilities(FacilityQuery(text=text, **filters), offset=0, limit=10)
    )


def names(page) -> list[str]:
    return [row.full_name for row in page.rows]


def facet(page, name: str) -> dict[str, int]:
    return {value.key: value.count for value in page.facets[name]}


# --- Doctors -------------------------------------------------------------------------------


def test_unaccented_query_finds_the_doctor_by_name_specialty_and_province(backend, synced):
    duc = named_doctor("Nguyễn Văn Đức")
    named_doctor("Nguyễn Văn Đức", specialty=neurology())  # another specialty
    named_doctor("Nguyễn Văn Đức", facility=hospital("Bệnh viện Trung ương Huế", province=hue()))
    named_doctor("Trần Thị Mai")
    viewer = searcher()
    synced()

    page = doctors(viewer, "nguyen van duc tim mach ha noi")

    assert [row.pk for row in page.rows] == [duc.pk]
    assert page.total == 1
    assert page.backend == backend


@pytest.mark.parametrize("typed", ["Nguyễn Văn Đức", "NGUYEN VAN DUC", "nguyễn văn đức", "ĐỨC"])
def test_diacritics_and_case_do_not_matter(backend, synced, typed):
    duc = named_doctor("Nguyễn Văn Đức")
    named_doctor("Lê Văn Dực", specialty=neurology())
    synced()

    assert duc.pk in [row.pk for row in doctors(searcher(), typed).rows]


@pytest.mark.parametrize("typed", ["nguyen van dux", "nguyen vam duc", "ngyuen van duc"])
def test_one_wrong_letter_still_finds_the_name(backend, synced, typed):
    duc = named_doctor("Nguyễn Văn Đức")
    named_doctor("Phạm Thị Hương")
    synced()

    page = doctors(searcher(), typed)

    assert [row.pk for row in page.rows] == [duc.pk]


@pytest.mark.parametrize(
    "typed",
    [
        "nguyen van dcu tim mach ha noi",  # two letters of the name swapped
        "nguyn van duc tim mach ha noi",  # a letter missing
        "nguyen van duc tim machh ha noi",  # a letter too many, in the specialty
        "nguyen van duc tim mach ha noj",  # a wrong letter in the province
    ],
)
def test_one_typo_in_any_word_of_a_longer_query_still_finds_the_doctor(backend, synced, typed):
    """The issue's own query typed with one slip, wherever it falls: the mistyped word is read
    as the words one typo away, and the other words still narrow the results (the same name
    in another specialty or province is not found)."""
    duc = named_doctor("Nguyễn Văn Đức")
    named_doctor("Nguyễn Văn Đức", specialty=neurology())
    named_doctor("Nguyễn Văn Đức", facility=hospital("Bệnh viện Trung ương Huế", province=hue()))
    synced()

    page = doctors(searcher(), typed)

    assert [row.pk for row in page.rows] == [duc.pk]
    assert page.total == 1


def test_the_closer_name_ranks_first(backend, synced):
    named_doctor("Nguyễn Văn Đức Anh")
    exact = named_doctor("Nguyễn Văn Đức")
    synced()

    page = doctors(searcher(), "Nguyễn Văn Đức")

    assert page.rows[0].pk == exact.pk
    assert page.total == 2


def test_doctor_filters_and_facets(backend, synced):
    cardiology, neuro = factories.specialty(), neurology()
    central = hospital("Bệnh viện Bạch Mai")
    provincial = hospital("Bệnh viện Đa khoa Huế", tier=Tier.PROVINCIAL, province=hue())
    a = named_doctor("Nguyễn An", specialty=cardiology, facility=central)
    b = named_doctor("Nguyễn Bình", specialty=neuro, facility=central)
    c = named_doctor("Nguyễn Châu", specialty=cardiology, facility=provincial)
    c.specialties.add(neuro)
    viewer = searcher()
    synced()

    everyone = doctors(viewer, "nguyen")
    assert {row.pk for row in everyone.rows} == {a.pk, b.pk, c.pk}
    assert (len(everyone.rows), everyone.total) == (3, 3)  # c, of two specialties, once
    assert facet(everyone, "specialty") == {str(cardiology.pk): 2, str(neuro.pk): 2}
    assert facet(everyone, "province") == {str(hanoi().pk): 2, str(hue().pk): 1}
    assert facet(everyone, "tier") == {Tier.CENTRAL: 2, Tier.PROVINCIAL: 1}
    assert facet(everyone, "verification_status") == {VerificationStatus.VERIFIED: 3}

    by_specialty = doctors(viewer, "nguyen", specialty_ids=(neuro.pk,))
    assert {row.pk for row in by_specialty.rows} == {b.pk, c.pk}
    assert facet(by_specialty, "tier") == {Tier.CENTRAL: 1, Tier.PROVINCIAL: 1}
    assert [row.pk for row in doctors(viewer, "nguyen", province_codes=(hue().pk,)).rows] == [c.pk]
    assert [
        row.pk
        for row in doctors(viewer, "nguyen", tiers=(Tier.CENTRAL,), specialty_ids=(cardiology.pk,)).rows
    ] == [a.pk]
    # Facet labels come in the request's language.
    assert {value.label for value in everyone.facets["specialty"]} == {"Tim mạch", "Thần kinh"}


def test_only_verified_doctors_are_found_by_doctors(backend, synced):
    verified = named_doctor("Nguyễn Văn Đức")
    for status in (VerificationStatus.PENDING, VerificationStatus.REVOKED, VerificationStatus.UNVERIFIED):
        named_doctor("Nguyễn Văn Đức", status=status)
    lapsed = named_doctor("Nguyễn Văn Đức")
    lapsed.licence_expires_on = timezone.localdate() - timedelta(days=1)
    lapsed.save(update_fields=["licence_expires_on"])
    inactive = named_doctor("Nguyễn Văn Đức")
    inactive.is_active = False
    inactive.save(update_fields=["is_active"])
    synced()

    page = doctors(searcher(), "nguyen van duc")

    assert [row.pk for row in page.rows] == [verified.pk]
    assert page.total == 1
    assert facet(page, "verification_status") == {VerificationStatus.VERIFIED: 1}


def test_a_verifier_finds_every_account_and_filters_by_status(backend, synced):
    named_doctor("Nguyễn Văn Đức")
    pending = named_doctor("Nguyễn Văn Đức", status=VerificationStatus.PENDING)
    synced()
    verifier = factories.verifier(full_name="Võ Kiểm Tra")

    page = doctors(verifier, "nguyen van duc")
    assert facet(page, "verification_status") == {
        VerificationStatus.VERIFIED: 1,
        VerificationStatus.PENDING: 1,
    }
    only_pending = doctors(verifier, "nguyen van duc", verification_statuses=(VerificationStatus.PENDING,))
    assert [row.pk for row in only_pending.rows] == [pending.pk]


def test_blocked_doctors_cannot_find_each_other_either_way(backend, synced):
    viewer = named_doctor("Lê Văn Xem")
    blocker = named_doctor("Nguyễn Văn Đức")
    blocked = named_doctor("Nguyễn Văn Đức")
    free = named_doctor("Nguyễn Văn Đức")
    block(blocker, viewer)
    block(viewer, blocked)
    synced()

    page = doctors(viewer, "nguyen van duc")

    assert [row.pk for row in page.rows] == [free.pk]
    assert page.total == 1
    assert sum(facet(page, "tier").values()) == 1
    # The blocker does not find the doctor they blocked either.
    assert viewer.pk not in [row.pk for row in doctors(blocker, "le van xem").rows]


def test_anonymous_viewers_find_no_doctor(backend, synced):
    named_doctor("Nguyễn Văn Đức")
    synced()

    assert doctors(None, "nguyen").rows == []


def test_doctor_highlight_marks_the_original_name(backend, synced):
    duc = named_doctor("Nguyễn Văn Đức")
    synced()

    page = doctors(searcher(), "van duc")

    [highlight] = page.highlights[duc.pk]
    assert highlight.field == "full_name"
    assert "<mark>Đức</mark>" in highlight.fragment
    assert "<mark>Văn</mark>" in highlight.fragment


# --- Facilities --------------------------------------------------------------------------------


def test_facilities_by_folded_name_with_filters_and_facets(backend, synced):
    bach_mai = hospital("Bệnh viện Bạch Mai")
    hue_central = hospital("Bệnh viện Trung ương Huế", province=hue())
    hospital("Trạm Y tế Phường Đống Đa", tier=Tier.COMMUNE)
    closed = hospital("Bệnh viện Bạch Mai cơ sở 2")
    closed.is_active = False
    closed.save()
    synced()

    found = facilities("benh vien bach mai")
    assert [row.pk for row in found.rows] == [bach_mai.pk]
    assert found.total == 1

    hospitals = facilities("benh vien")
    assert {row.pk for row in hospitals.rows} == {bach_mai.pk, hue_central.pk}
    assert facet(hospitals, "province") == {str(hanoi().pk): 1, str(hue().pk): 1}
    in_hue = facilities("benh vien", province_codes=(hue().pk,))
    assert [row.pk for row in in_hue.rows] == [hue_central.pk]
    commune = facilities("dong da", tiers=(Tier.COMMUNE,))
    assert [row.name for row in commune.rows] == ["Trạm Y tế Phường Đống Đa"]
    assert "<mark>Đống</mark>" in commune.highlights[commune.rows[0].pk][0].fragment


def test_facility_name_with_a_typo(backend, synced):
    bach_mai = hospital("Bệnh viện Bạch Mai")
    synced()

    page = facilities("benh vien bach mia")

    assert [row.pk for row in page.rows] == [bach_mai.pk]


# --- Cases ---------------------------------------------------------------------------------


# What published_case sets itself; a case_of changes them after creating the case.
_SET_AFTERWARDS = ("specialty", "presenting_problem", "question")


def case_of(author, **fields) -> Case:
    """A published case (see ``published_case``) with any of its fields chosen, saved through
    the ORM as services do (search's receivers see every change)."""
    later = {name: fields.pop(name) for name in _SET_AFTERWARDS if name in fields}
    case = published_case(author, **fields)
    if later:
        for name, value in later.items():
            setattr(case, name, value)
        case.save(update_fields=list(later))
    return case


def cases(viewer, text="", **filters):
    return answered_by_the_backend_under_test(
        search_cases(viewer, CaseQuery(text=text, **filters), offset=0, limit=20)
    )


def test_cases_by_relevance_then_recency(backend, synced):
    author = factories.doctor()
    now = timezone.now()
    in_text_old = case_of(
        author, title="Ho kéo dài", history="Thỉnh thoảng đau ngực", published_at=now - timedelta(days=3)
    )
    in_text_new = case_of(
        author, title="Ho kéo dài", history="Thỉnh thoảng đau ngực", published_at=now - timedelta(days=1)
    )
    in_title = case_of(author, title="Đau ngực trái cấp", published_at=now - timedelta(days=5))
    case_of(author, title="Đau bụng", presenting_problem="Đau bụng vùng thượng vị", question="?")
    synced()

    page = cases(factories.doctor(), "dau nguc")

    # The title weighs most; equal relevance: the newer first.
    assert [row.pk for row in page.rows] == [in_title.pk, in_text_new.pk, in_text_old.pk]
    assert page.total == 3


def test_case_fields_tags_and_icd10_are_searched(backend, synced):
    author = factories.doctor()
    tagged = case_of(author, title="Ca khó", tags=["rung nhĩ"], icd10_codes=["I48.9"])
    synced()
    viewer = factories.doctor()

    assert [row.pk for row in cases(viewer, "rung nhi").rows] == [tagged.pk]
    assert [row.pk for row in cases(viewer, "I48.9").rows] == [tagged.pk]


def test_case_filters_and_facets(backend, synced):
    author = factories.doctor()
    cardiology, neuro = factories.specialty(), neurology()
    now = timezone.now()
    recent = case_of(author, title="Đau ngực", published_at=now - timedelta(days=1))
    old = case_of(author, title="Đau ngực", published_at=now - timedelta(days=40), status=Case.Status.CLOSED)
    neuro_case = case_of(
        author, specialty=neuro, title="Đau ngực kèm yếu nửa người", published_at=now - timedelta(days=2)
    )
    synced()
    viewer = factories.doctor()

    everything = cases(viewer, "dau nguc")
    assert everything.total == 3
    assert facet(everything, "specialty") == {str(cardiology.pk): 2, str(neuro.pk): 1}
    assert facet(everything, "status") == {Case.Status.OPEN: 2, Case.Status.CLOSED: 1}
    assert {row.pk for row in cases(viewer, "dau nguc", specialty_ids=(neuro.pk,)).rows} == {neuro_case.pk}
    assert {row.pk for row in cases(viewer, "dau nguc", statuses=(Case.Status.CLOSED,)).rows} == {old.pk}
    week_ago = (now - timedelta(days=7)).date()
    recent_only = cases(viewer, "dau nguc", published_from=week_ago)
    assert {row.pk for row in recent_only.rows} == {recent.pk, neuro_case.pk}
    assert facet(recent_only, "status") == {Case.Status.OPEN: 2}
    assert {row.pk for row in cases(viewer, "dau nguc", published_to=week_ago).rows} == {old.pk}


def test_case_highlights_mark_the_original_text(backend, synced):
    case = case_of(factories.doctor(), title="Đau ngực trái cấp", presenting_problem="Đau ngực <lan> ra tay")
    synced()

    page = cases(factories.doctor(), "dau nguc")

    fragments = {highlight.field: highlight.fragment for highlight in page.highlights[case.pk]}
    assert "<mark>Đau</mark> <mark>ngực</mark> trái cấp" in fragments["title"]
    assert "&lt;lan&gt;" in fragments["presenting_problem"]  # the text itself is escaped


HIDDEN_WAYS = [
    "named_case_not_for_viewer",
    "connections_case_of_a_non_connection",
    "author_blocked_viewer",
    "viewer_blocked_author",
    "hidden_by_moderator",
    "deleted_by_author",
    "draft_of_another_doctor",
]


def _hidden_case(way: str, viewer) -> Case:
    """A case matching "dau nguc" that ``viewer`` may not open, in a specialty of its own."""
    author = factories.doctor()
    now = timezone.now()
    hidden = {"title": "Đau ngực bí mật", "specialty": neurology()}
    if way == "named_case_not_for_viewer":
        hidden.update(visibility=Case.Visibility.NAMED, audience=(factories.doctor(),))
    elif way == "connections_case_of_a_non_connection":
        connect(author, factories.doctor())
        hidden.update(visibility=Case.Visibility.CONNECTIONS)
    elif way == "author_blocked_viewer":
        block(author, viewer)
    elif way == "viewer_blocked_author":
        block(viewer, author)
    elif way == "hidden_by_moderator":
        hidden.update(hidden_at=now, hidden_reason="spam")
    elif way == "deleted_by_author":
        hidden.update(deleted_at=now)
    elif way == "draft_of_another_doctor":
        hidden.update(status=Case.Status.DRAFT)
    return case_of(author, **hidden)


@pytest.mark.parametrize("way", HIDDEN_WAYS)
def test_a_case_the_viewer_cannot_open_is_never_returned_counted_or_highlighted(backend, synced, way):
    viewer = factories.doctor()
    shown = case_of(factories.doctor(), title="Đau ngực trái")
    hidden = _hidden_case(way, viewer)
    synced()

    page = cases(viewer, "dau nguc")

    assert [row.pk for row in page.rows] == [shown.pk]
    assert page.total == 1
    assert facet(page, "specialty") == {str(shown.specialty_id): 1}
    assert sum(facet(page, "status").values()) == 1
    assert set(page.highlights) == {shown.pk}
    assert hidden.pk not in [row.pk for row in cases(viewer, "bi mat").rows]
    assert cases(viewer, "bi mat").total == 0


def test_cases_the_viewer_may_open_are_found(backend, synced):
    viewer = factories.doctor()
    friend = factories.doctor()
    connect(viewer, friend)
    for_connections = case_of(friend, title="Đau ngực A", visibility=Case.Visibility.CONNECTIONS)
    named = case_of(
        factories.doctor(), title="Đau ngực B", visibility=Case.Visibility.NAMED, audience=(viewer,)
    )
    own_draft = case_of(viewer, title="Đau ngực C", status=Case.Status.DRAFT)
    synced()

    page = cases(viewer, "dau nguc")

    assert {row.pk for row in page.rows} == {for_connections.pk, named.pk, own_draft.pk}
    assert page.total == 3


def test_only_verified_doctors_find_cases(backend, synced):
    case_of(factories.doctor(), title="Đau ngực")
    synced()

    for viewer in (None, factories.doctor(status=VerificationStatus.PENDING), factories.verifier()):
        page = cases(viewer, "dau nguc")
        assert (page.rows, page.total) == ([], 0)


def test_every_doctor_finds_exactly_the_cases_the_api_lets_them_open(backend, synced):
    """The same rule, not a look-alike: over one population holding every way a case can be
    closed to someone and open to someone else, each doctor's search (no words: every case,
    newest first; and a word every case holds) returns and counts exactly
    ``cases_visible_to`` (what the GraphQL API and the web pages open)."""
    viewers = [factories.doctor() for _ in range(3)]
    for way in HIDDEN_WAYS:
        _hidden_case(way, viewers[0])
    friend = factories.doctor()
    connect(viewers[1], friend)
    case_of(friend, title="Đau ngực cho bạn bè", visibility=Case.Visibility.CONNECTIONS)
    case_of(factories.doctor(), title="Đau ngực", visibility=Case.Visibility.NAMED, audience=(viewers[2],))
    case_of(viewers[1], title="Đau ngực nháp", status=Case.Status.DRAFT)
    case_of(factories.doctor(), title="Đau ngực cho mọi người")
    synced()

    for viewer in viewers:
        may_open = set(cases_visible_to(viewer).values_list("pk", flat=True))
        for text in ("", "dau nguc"):
            page = cases(viewer, text)
            assert {row.pk for row in page.rows} == may_open
            assert page.total == len(may_open)
            assert sum(facet(page, "specialty").values()) == len(may_open)
            assert sum(facet(page, "status").values()) == len(may_open)
    assert len({frozenset(cases_visible_to(viewer).values_list("pk", flat=True)) for viewer in viewers}) == 3


def test_rows_from_a_stale_elasticsearch_index_go_through_the_visibility_rule_again(db):
    """The cluster may still hold a case hidden a moment ago, and text edited out since it was
    indexed: the page drops the hidden case, and highlights come from the live rows only."""
    from search.backends.elastic import hits_from_body
    from search.selectors import _page_of, case_scope

    viewer = searcher()
    shown = case_of(factories.doctor(), title="Đau ngực")
    hidden = case_of(factories.doctor(), title="Đau ngực", hidden_at=timezone.now())
    stale_text = {"title": ["<mark>Đau</mark> ngực, bà Nguyễn Thị Hoa"]}  # edited out since
    stale = hits_from_body(
        {
            "hits": {
                "total": {"value": 2},
                "hits": [
                    {"_id": str(hidden.pk), "highlight": stale_text},
                    {"_id": str(shown.pk), "highlight": stale_text},
                ],
            }
        }
    )
    scope = case_scope(viewer)

    page = _page_of(stale, "elasticsearch", scope.cases, Case.objects.all(), "dau", ("title",))

    assert [row.pk for row in page.rows] == [shown.pk]
    assert [(item.field, item.fragment) for item in page.highlights[shown.pk]] == [
        ("title", "<mark>Đau</mark> ngực")
    ]
    assert set(page.highlights) == {shown.pk}


# --- Doctors by title and position ---------------------------------------------------------------


def test_a_doctor_is_found_by_their_title_typed_without_diacritics(backend, synced):
    """People look for "a professor of ..." as often as for a name: the title is part of what a
    doctor is found by, folded like the rest, and a doctor without that title is not found."""
    professor = named_doctor("Trần Văn Hải", title="Phó Giáo sư")
    named_doctor("Trần Văn Hà")  # the factories' title, BS.CKII
    viewer = searcher()
    synced()

    page = doctors(viewer, "pho giao su")

    assert [row.pk for row in page.rows] == [professor.pk]
    assert page.total == 1
    assert [row.pk for row in doctors(viewer, "giáo sư tran").rows] == [professor.pk]


def test_a_doctor_is_found_by_their_position(backend, synced):
    """The position (head of a department...) is indexed with the title: "truong khoa hoi suc"
    finds the head of intensive care, and nobody else."""
    head = named_doctor("Lê Thị Thu", position="Trưởng khoa Hồi sức tích cực")
    named_doctor("Lê Thị Thủy", position="Bác sĩ điều trị")
    synced()

    page = doctors(searcher(), "truong khoa hoi suc")

    assert [row.pk for row in page.rows] == [head.pk]
    assert page.total == 1
