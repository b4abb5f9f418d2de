"""The PostgreSQL backend corrects a mistyped word against the vocabulary of the doctors' and
facilities' documents: what "one typo" means, and how the vocabulary follows the documents."""

from __future__ import annotations

import pytest

from accounts.models import VerificationStatus
from search import documents, reindex
from search.backends.base import DoctorQuery, FacilityQuery
from search.backends.postgres import one_typo_apart
from search.models import IndexKind, SearchWord
from search.selectors import search_doctors, search_facilities
from tests.search.builders import named_doctor, searcher
from tests.search.conftest import rebuild_vocabularies

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("typed", "word"),
    [
        ("dux", "duc"),  # a letter wrong
        ("nguyn", "nguyen"),  # a letter missing
        ("nguyeen", "nguyen"),  # a letter too many
        ("ngyuen", "nguyen"),  # two neighbours swapped
        ("dcu", "duc"),
    ],
)
def test_one_typo_is_a_letter_wrong_missing_extra_or_swapped_with_its_neighbour(typed, word):
    assert one_typo_apart(typed, word)


@pytest.mark.parametrize(
    ("typed", "word"),
    [
        ("duc", "duc"),  # no typo: nothing to correct
        ("dxx", "duc"),  # two letters wrong
        ("ngu", "nguyen"),  # three missing
        ("cud", "duc"),  # a swap of letters that are not neighbours
        ("ugnyne", "nguyen"),  # two swaps
    ],
)
def test_more_than_one_typo_is_not_one(typed, word):
    assert not one_typo_apart(typed, word)


def _words() -> set[str]:
    return set(SearchWord.objects.filter(kind=IndexKind.DOCTOR).values_list("word", flat=True))


def _found(viewer, text: str) -> list[int]:
    return [row.pk for row in search_doctors(viewer, DoctorQuery(text=text), offset=0, limit=10).rows]


def test_a_new_names_words_join_the_vocabulary_once_committed_and_reindex_drops_unheld_words(
    django_capture_on_commit_callbacks,
):
    """A renamed doctor's new words are known as soon as the save commits (in a statement of
    their own, so the save never waits on the vocabulary), and a typo in them is corrected at
    once; the old name's words stay, harmless (they match nobody), until ``search_reindex``."""
    with django_capture_on_commit_callbacks(execute=True):
        doctor = named_doctor("Trần Văn Quỳnh")
    assert "quynh" in _words()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        doctor.full_name = "Trần Văn Quyết"
        doctor.save()
        assert "quyet" not in _words()  # not before the commit
    assert callbacks
    assert {"quynh", "quyet"} <= _words()
    # Specialty and province words beside the name: the whole-name trigram pass cannot help.
    assert _found(searcher(), "tran van quyte tim mach ha noi") == [doctor.pk]

    reindex.rebuild_postgres(IndexKind.DOCTOR)

    assert "quyet" in _words()
    assert "quynh" not in _words()


def test_only_what_every_doctor_may_find_makes_the_vocabulary(django_capture_on_commit_callbacks):
    """Whether a typed word is corrected depends on the vocabulary: it holds the words of
    verified doctors (and active facilities) only, so an account nobody may find, "Mahc Lê"
    waiting for verification, changes nothing in how "tim mahc" is read; once verified, the
    doctor is findable and their words join."""
    duc = named_doctor("Nguyễn Văn Đức")
    viewer = searcher()
    text = "nguyen van duc tim mahc bach mai ha noi"
    rebuild_vocabularies()
    before = _found(viewer, text)

    with django_capture_on_commit_callbacks(execute=True):
        pending = named_doctor("Mahc Lê", status=VerificationStatus.PENDING)
    rebuild_vocabularies()

    assert "mahc" not in _words()
    assert before == _found(viewer, text) == [duc.pk]

    with django_capture_on_commit_callbacks(execute=True):
        pending.verification_status = VerificationStatus.VERIFIED
        pending.save()
    assert "mahc" in _words()


def test_words_too_long_for_the_vocabulary_are_left_out_and_searches_still_answer():
    """fuzzystrmatch stops at 255 characters: a 300-letter word in a name (ß folds to ss) is
    not kept, and a 300-letter query word (ﬃ folds to ffi) is not corrected; neither breaks
    a search."""
    named_doctor("ß" * 150)
    rebuild_vocabularies()
    assert max(map(len, _words())) <= documents.MAX_WORD_LENGTH

    assert _found(searcher(), "ﬃ" * 100) == []
    facilities = search_facilities(FacilityQuery(text="ﬃ" * 100), offset=0, limit=10)
    assert facilities.rows == []
