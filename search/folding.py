"""Folding of Vietnamese text for search: "Nguyễn Văn Đức" → "nguyen van duc".

Python's NFKD decomposition strips the tone and vowel marks but leaves đ/Đ alone (a letter of
its own, not d with a mark), so it is folded explicitly. The SQL side is
``public.tuyen_fold(text)`` (migration ``search/0001``): ``lower(unaccent(...))`` through an
IMMUTABLE wrapper naming its dictionary, so expressions using it can be indexed. Both must give
the same result for every Vietnamese letter (``tests/search/test_folding.py`` checks it
against the database).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from functools import lru_cache

# The SQL twin of fold(), created by migration search/0001.
FOLD_FUNCTION = "public.tuyen_fold"

_LETTERS_WITHOUT_DECOMPOSITION = str.maketrans({"đ": "d", "Đ": "d"})
_WORD = re.compile(r"\w+(?:\.\w+)*")  # "I48.9" is one word, as for PostgreSQL's parser


def fold(text: str) -> str:
    """``text`` lower-cased, with every diacritic removed and đ/Đ written d."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_LETTERS_WITHOUT_DECOMPOSITION))
    stripped = "".join(char for char in decomposed if not unicodedata.combining(char))
    return unicodedata.normalize("NFC", stripped).lower()


def folded_words(text: str) -> list[str]:
    """The words of ``text``, folded, in order (what a search query is matched by)."""
    return _WORD.findall(fold(text))


def folded_with_offsets(text: str) -> tuple[str, list[int]]:
    """``text`` folded character by character, with, for each folded character, the index of the
    original character it came from (to mark matches found in folded text on the original)."""
    folded: list[str] = []
    origins: list[int] = []
    for index, char in enumerate(text):
        folded_char = _fold_char(char)
        folded.append(folded_char)
        origins.extend([index] * len(folded_char))
    return "".join(folded), origins


@lru_cache(maxsize=4096)
def _fold_char(char: str) -> str:
    # Texts repeat a few hundred characters: highlighting a page of cases folds ~10,000.
    return fold(char)


def word_spans(folded: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each word of ``folded`` text, split as :func:`folded_words` splits."""
    return (match.span() for match in _WORD.finditer(folded))
