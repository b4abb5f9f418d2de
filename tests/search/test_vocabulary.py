"""The PostgreSQL backend corrects a mistyped word against the vocabulary of the doctors' and
facilities' documents: what "one typo" means, and how the vocabulary follows the documents."""

from __future__ import annotations

import pytest

from search import reindex
from search.backends.base import DoctorQuery
from search.backends.postgres import one_typo_apart
from search.models import IndexKind, SearchWord
from search.selectors import search_doctors
from tests.search.builders import named_doctor, searcher

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


def test_the_vocabulary_follows_a_renamed_doctor_and_reindex_drops_words_no_one_holds():
    """A new name's words are known from the transaction that saved it, so its typos are
    corrected at once; the old name's words stay (harmless: they match nobody) until the
    next ``search_reindex`` makes the vocabulary anew."""
    doctor = named_doctor("Trần Văn Quỳnh")
    assert "quynh" in _words()

    doctor.full_name = "Trần Văn Quyết"
    doctor.save()

    assert {"quynh", "quyet"} <= _words()
    page = search_doctors(searcher(), DoctorQuery(text="tran van quyte"), offset=0, limit=10)
    assert [row.pk for row in page.rows] == [doctor.pk]

    reindex.rebuild_postgres(IndexKind.DOCTOR)

    assert "quyet" in _words()
    assert "quynh" not in _words()
