"""Python's folding of query strings agrees with the database's (public.tuyen_fold) on every
Vietnamese letter, đ/Đ included, and expressions using it can be indexed."""

from __future__ import annotations

import unicodedata

import pytest
from django.db import connection

from search.folding import fold, folded_with_offsets, folded_words

TONES = ("", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323")  # none, huyền, sắc, hỏi, ngã, nặng
VOWELS = {  # letter: (base, its own mark)
    "a": ("a", ""),
    "ă": ("a", "\u0306"),
    "â": ("a", "\u0302"),
    "e": ("e", ""),
    "ê": ("e", "\u0302"),
    "i": ("i", ""),
    "o": ("o", ""),
    "ô": ("o", "\u0302"),
    "ơ": ("o", "\u031b"),
    "u": ("u", ""),
    "ư": ("u", "\u031b"),
    "y": ("y", ""),
}


def every_vietnamese_letter() -> list[tuple[str, str]]:
    """(letter, its folded form) for the 72 vowels with their tones, upper and lower case, and đ/Đ."""
    letters = [("đ", "d"), ("Đ", "d")]
    for base, mark in VOWELS.values():
        for tone in TONES:
            letter = unicodedata.normalize("NFC", base + mark + tone)
            letters += [(letter, base), (letter.upper(), base)]
    return letters


def test_there_are_146_letters_to_fold():
    letters = every_vietnamese_letter()
    assert len({letter for letter, _ in letters}) == 12 * 6 * 2 + 2
    assert all(len(letter) == 1 for letter, _ in letters)  # each one precomposed character


def test_python_folds_every_letter_including_d_with_stroke():
    for letter, folded in every_vietnamese_letter():
        assert fold(letter) == folded, letter
    assert fold("Nguyễn Văn Đức") == "nguyen van duc"
    # NFKD alone keeps đ: the reason for the explicit mapping.
    assert unicodedata.normalize("NFKD", "Đức").encode("ascii", "ignore").decode() == "uc"


@pytest.mark.django_db
def test_sql_folding_agrees_with_python_on_every_letter():
    letters = every_vietnamese_letter()
    text = " ".join(letter for letter, _ in letters)
    decomposed = unicodedata.normalize("NFD", text)
    with connection.cursor() as cursor:
        cursor.execute("SELECT public.tuyen_fold(%s), public.tuyen_fold(%s)", [text, decomposed])
        composed_sql, decomposed_sql = cursor.fetchone()
    assert composed_sql == fold(text)
    assert decomposed_sql == fold(decomposed) == fold(text)


@pytest.mark.django_db
def test_the_sql_function_is_immutable_so_it_can_be_indexed():
    with connection.cursor() as cursor:
        cursor.execute("SELECT provolatile FROM pg_proc WHERE proname = 'tuyen_fold'")
        assert cursor.fetchone() == ("i",)
        cursor.execute("CREATE TEMPORARY TABLE folded_names (name text)")
        cursor.execute("CREATE INDEX ON folded_names (public.tuyen_fold(name))")  # refused if not IMMUTABLE


def test_words_and_offsets():
    assert folded_words("Đau ngực, I21.1; sốt") == ["dau", "nguc", "i21.1", "sot"]
    folded, origins = folded_with_offsets("Đức")
    assert (folded, origins) == ("duc", [0, 1, 2])
