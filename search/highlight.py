"""Highlighted snippets of the rows a search returns, whichever backend ranked them: the query's
words are found in the folded text and marked on the original, so "duc" marks "Đức"."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.html import escape

from search.folding import folded_with_offsets, word_spans

PRE, POST = "<mark>", "</mark>"


@dataclass(frozen=True)
class Highlight:
    """A matched field and a snippet of it (HTML-escaped, matches in ``<mark>``)."""

    field: str
    fragment: str


FRAGMENT_CHARS = 160


def _spans(text: str, words: set[str]) -> list[tuple[int, int]]:
    """(start, end) in ``text`` of each whole word whose folded form is in ``words``."""
    folded, origins = folded_with_offsets(text)
    return [
        (origins[start], origins[end - 1] + 1)
        for start, end in word_spans(folded)
        if folded[start:end] in words
    ]


def fragment(text: str, words: set[str], size: int = FRAGMENT_CHARS) -> str | None:
    """About ``size`` characters of ``text`` around its first matching word, HTML-escaped, the
    matches wrapped in ``<mark>``; None when no word matches."""
    spans = _spans(text, words)
    if not spans:
        return None
    first = spans[0][0]
    begin = max(0, first - size // 3)
    if begin > 0:  # start on a word boundary
        space = text.rfind(" ", 0, begin)
        begin = space + 1 if space >= 0 else 0
    end = min(len(text), begin + size)
    if end < len(text):
        space = text.rfind(" ", spans[0][1], end)
        end = space if space > spans[0][1] else end
    parts: list[str] = ["…" if begin > 0 else ""]
    cursor = begin
    for start, stop in spans:
        if start < begin or stop > end:
            continue
        parts.extend([escape(text[cursor:start]), PRE, escape(text[start:stop]), POST])
        cursor = stop
    parts.append(escape(text[cursor:end]))
    parts.append("…" if end < len(text) else "")
    return "".join(parts)
