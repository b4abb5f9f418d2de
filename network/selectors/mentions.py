"""Whom a doctor may @mention in a comment on a case: the mention picker's suggestions.

The mention service (``network.services.comments.add_comment``) accepts a doctor whom the author
may see (``doctors_visible_to``), who is not blocked either way with the author, and who can see
the case. This selector applies the same checks, the last one as written once: for each
candidate, ``cases_visible_to(candidate)`` narrowed to the case, one ``EXISTS`` per candidate in
a single query. So a suggestion is never refused with MENTION_NOT_VISIBLE, and the rule has no
second copy here.

Candidates are found first by name (diacritics folded, ``đ`` as ``d``, at the start of any word of
the name). For a case shown to the author's connections or to named doctors they are also
narrowed to those people and the case's author, so that a common family name (Nguyễn) does not
fill the candidate list with doctors who cannot see the case; ``cases_visible_to`` still has
the last word. Two queries whatever the number of doctors, besides the permission checks.
"""

from __future__ import annotations

import unicodedata
from functools import reduce
from itertools import chain
from operator import or_

from django.db.models import CharField, Exists, F, Func, Q, QuerySet, Value
from django.db.models.functions import Concat

from accounts.models import User
from accounts.selectors import doctors_visible_to, verified_doctors_q
from accounts.services import is_verified_doctor
from network.models import Case, CaseAudience
from network.selectors.cases import cases_visible_to
from network.selectors.connections import blocked_either_way_ids, peer_ids

MENTION_SUGGESTIONS = 8
# How many doctors matching the name are checked against the case (the rest are not suggested).
CANDIDATES = 4 * MENTION_SUGGESTIONS
MAX_QUERY_LENGTH = 100

_COMBINING_MARKS = range(0x0300, 0x0370)


def _fold_pairs() -> tuple[str, str]:
    """Each Latin letter that folds to another (``Ễ`` → ``e``, ``Đ`` → ``d``, ``A`` → ``a``),
    as the two arguments of PostgreSQL's ``translate``."""
    sources: list[str] = []
    targets: list[str] = []
    for code in chain(range(0x41, 0x5B), range(0xC0, 0x250), range(0x1E00, 0x1F00)):
        char = chr(code)
        if char in "đĐ":  # NFKD keeps the stroke: fold it by hand
            base = "d"
        else:
            base = "".join(
                part for part in unicodedata.normalize("NFKD", char) if not unicodedata.combining(part)
            )
        base = base.lower()
        if len(base) == 1 and base.isascii() and base.isalpha() and base != char:
            sources.append(char)
            targets.append(base)
    return "".join(sources), "".join(targets)


_FOLD_FROM, _FOLD_TO = _fold_pairs()
_FOLD_TABLE: dict[int, str | None] = {
    **{ord(source): target for source, target in zip(_FOLD_FROM, _FOLD_TO, strict=True)},
    **{code: None for code in _COMBINING_MARKS},
}


def fold_name(text: str) -> str:
    """``text`` as names are compared: Latin letters lower-cased without diacritics (``đ`` → ``d``),
    combining marks dropped, spaces collapsed. The database folds names with the same table."""
    return " ".join(text.translate(_FOLD_TABLE).split())


class FoldedName(Func):
    """SQL: the name folded as :func:`fold_name` folds (``translate``; combining marks, listed
    past the end of the replacements, are deleted). Immutable, needs no extension."""

    function = "translate"
    output_field = CharField()

    def __init__(self, expression: str) -> None:
        marks = "".join(chr(code) for code in _COMBINING_MARKS)
        super().__init__(F(expression), Value(_FOLD_FROM + marks), Value(_FOLD_TO))


def _named(doctors: QuerySet[User], query: str) -> QuerySet[User]:
    """Doctors one of whose names starts with ``query`` (folded; several words match in order)."""
    folded = Concat(Value(" "), FoldedName("full_name"), output_field=CharField())
    return doctors.alias(folded_name=folded).filter(folded_name__contains=f" {query}")


def _who_might_see(case: Case) -> Q:
    """A superset of the doctors who can see ``case``, to narrow the candidates: for
    connections-only and named-audience cases, those people and the author; otherwise anyone."""
    author = Q(pk=case.author_id)
    if case.visibility == Case.Visibility.CONNECTIONS:
        return author | Q(pk__in=peer_ids(case.author_id))
    if case.visibility == Case.Visibility.NAMED:
        return author | Q(pk__in=CaseAudience.objects.filter(case_id=case.pk).values("doctor_id"))
    return Q()


def mentionable_doctors(author: User, case: Case, query: str, limit: int = MENTION_SUGGESTIONS) -> list[User]:
    """Up to ``limit`` verified doctors whose name matches ``query`` and whom ``author`` may
    mention in a comment on ``case`` (see the module's docstring), by name; each with its
    facility. Nothing if ``author`` cannot see the case or ``query`` is empty."""
    needle = fold_name(query[:MAX_QUERY_LENGTH])
    if not needle or not is_verified_doctor(author):
        return []
    people = (
        doctors_visible_to(author, User.objects.filter(verified_doctors_q()))
        .exclude(pk=author.pk)
        .exclude(pk__in=blocked_either_way_ids(author.pk))
        .filter(_who_might_see(case))
    )
    candidates = [
        person
        for person in _named(people, needle)
        .select_related("facility")
        .order_by("full_name", "pk")[:CANDIDATES]
        if is_verified_doctor(person)
    ]
    if not candidates:
        return []
    sees_the_case = reduce(
        or_,
        [Q(pk=person.pk) & Q(Exists(cases_visible_to(person).filter(pk=case.pk))) for person in candidates],
    )
    admitted = set(
        User.objects.filter(sees_the_case)
        .filter(Exists(cases_visible_to(author).filter(pk=case.pk)))
        .values_list("pk", flat=True)
    )
    return [person for person in candidates if person.pk in admitted][:limit]
