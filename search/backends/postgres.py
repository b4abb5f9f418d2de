"""The PostgreSQL backend (the default): search's document tables joined to the live rows.

Text is matched on folded words (``plainto_tsquery('simple', ...)``: every word must occur).
Doctors and facilities tolerate a typo: when nothing matches, each query word their vocabulary
lacks may also be any of its words one typo away, and as a last resort names match by trigram
word similarity of the whole query. Ranking: relevance (``ts_rank``, plus name similarity),
then recency for cases, then name.
"""

from __future__ import annotations

import operator
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from functools import reduce

from django.contrib.postgres.search import SearchQuery, SearchRank, TrigramWordSimilarity
from django.db import connection
from django.db.models import Expression, F, FloatField, Model, QuerySet, Value
from django.db.models import Field as DjangoField
from django.utils import timezone

from accounts.models import User
from facilities.models import Facility
from search import documents
from search.backends.base import (
    NAMED_FACETS,
    CaseQuery,
    CaseScope,
    DoctorQuery,
    DoctorScope,
    FacetValue,
    FacilityQuery,
    Hits,
)
from search.folding import fold, folded_words
from search.models import IndexKind

# An ordering column: (field path, descending, nulls first).
Order = tuple[tuple[str, bool, bool], ...]

# Facet name: the field path counted.
DOCTOR_FACETS = {
    "specialty": "specialties",
    "province": "facility__province",
    "tier": "facility__tier",
    "verification_status": "verification_status",
}
FACILITY_FACETS = {"province": "province", "tier": "tier"}
CASE_FACETS = {"specialty": "specialty", "status": "status"}
# Orders after relevance.
BY_NAME: Order = (("full_name", False, False), ("pk", False, False))
BY_FACILITY_NAME: Order = (("name", False, False), ("pk", False, False))
BY_RECENCY: Order = (("published_at", True, True), ("pk", True, False))  # drafts (no date) first


def _text_query(text: str) -> SearchQuery | None:
    # The folded text as typed: PostgreSQL's parser splits it as it split the documents.
    return SearchQuery(fold(text), config="simple", search_type="plain") if folded_words(text) else None


def _one_pass(
    rows: QuerySet, rank: Expression, order: Order, facets: dict[str, str], offset: int, limit: int
) -> Hits:
    """One page of ``rows`` (best ``rank`` first, then ``order``), their total and their counts
    per value of each facet (name: field path), in one statement: the matches are gathered
    once (a materialised CTE), then paged (a top-N sort) and counted with ``GROUP BY GROUPING
    SETS``. Paths through a many-to-many field (a doctor's specialties) repeat a row; it is then
    paged and counted once (rows that cannot repeat skip that work: ~30,000 case matches)."""
    names = list(facets)
    if rows.query.is_empty():
        return Hits(ids=[], total=0, facets={name: [] for name in names})
    paths = list(dict.fromkeys(["pk", "search_rank", *(path for path, _, _ in order), *facets.values()]))
    matched_sql, params = rows.order_by().annotate(search_rank=rank).values(*paths).query.sql_with_params()
    ordering = ", ".join(
        f'"{path}" {"DESC" if descending else "ASC"} NULLS {"FIRST" if nulls_first else "LAST"}'
        for path, descending, nulls_first in (("search_rank", True, False), *order)
    )
    grouped = ", ".join(
        f'"{path}"' for path in dict.fromkeys(["pk", "search_rank", *(p for p, _, _ in order)])
    )
    facet_columns = [f'"{facets[name]}"' for name in names]
    groupings = ", ".join(f"GROUPING({column})" for column in facet_columns)
    values = ", ".join(f'"f{index}"::text' for index in range(len(names)))
    # Reference rows' names are joined to the few counted values here, rather than read by a
    # query per facet afterwards (a round trip and an ORM query each).
    named = [(index, NAMED_FACETS[name]) for index, name in enumerate(names) if name in NAMED_FACETS]
    quote = connection.ops.quote_name
    name_columns = ", ".join(
        f"n{index}.{quote(_column(model, field))}" for index, (model, vi, en) in named for field in (vi, en)
    )
    joins = " ".join(
        f"LEFT JOIN {quote(model._meta.db_table)} AS n{index} "
        f'ON n{index}.{quote(model._meta.pk.column)} = counted."f{index}"'
        for index, (model, _, _) in named
    )
    # Filters reach to-many relations through subqueries; only these paths can repeat a row.
    repeats = _repeats_rows(rows.model, paths[2:])
    candidates = f"(SELECT DISTINCT {grouped} FROM matched) AS once" if repeats else "matched"  # noqa: S608
    counter = 'count(DISTINCT "pk")' if repeats else "count(*)"
    statement = f"""
        WITH matched AS MATERIALIZED ({matched_sql}),
        page AS (SELECT "pk", row_number() OVER (ORDER BY {ordering}) AS position
                   FROM (SELECT {grouped} FROM {candidates} ORDER BY {ordering} LIMIT %s OFFSET %s) AS top),
        counted AS (SELECT ARRAY[{groupings}] AS "grouping",
                           {", ".join(f'{column} AS "f{index}"' for index, column in enumerate(facet_columns))},
                           {counter} AS "count"
                      FROM matched GROUP BY GROUPING SETS ({", ".join(f"({column})" for column in facet_columns)}, ()))
        SELECT position, "pk", NULL, NULL, NULL FROM page
        UNION ALL
        SELECT NULL, NULL, "grouping", ARRAY[{values}]::text[] || "count"::text, ARRAY[{name_columns}]::text[]
          FROM counted {joins}
    """  # noqa: S608 (column aliases are our field paths, tables and columns from models; every value is a parameter)
    page: list[tuple[int, int]] = []
    total = 0
    found: dict[str, list[FacetValue]] = {name: [] for name in names}
    slots = {index: slot for slot, (index, _) in enumerate(named)}
    with connection.cursor() as cursor:
        cursor.execute(statement, [*params, limit, offset])
        for position, pk, grouping, counted, facet_names in cursor.fetchall():
            if position is not None:
                page.append((position, pk))
                continue
            count = int(counted[-1])
            if all(grouping):
                total = count
                continue
            index = grouping.index(0)
            if counted[index] is None:
                continue
            names_read: tuple[str, ...] | None = None
            if index in slots:
                vi, en = facet_names[2 * slots[index]], facet_names[2 * slots[index] + 1]
                names_read = () if vi is None else (vi, en)
            found[names[index]].append(FacetValue(value=counted[index], count=count, names=names_read))
    for facet_values in found.values():
        facet_values.sort(key=lambda facet: (-facet.count, facet.value))
    return Hits(ids=[pk for _, pk in sorted(page)], total=total, facets=found)


def _column(model: type[Model], name: str) -> str:
    field = model._meta.get_field(name)
    assert isinstance(field, DjangoField) and field.column
    return field.column


def _repeats_rows(model: type[Model], paths: Iterable[str]) -> bool:
    """Whether following ``paths`` from ``model`` crosses a to-many relation (a row per value)."""
    for path in paths:
        current = model
        for part in path.split("__"):
            field = current._meta.get_field(part)
            if field.many_to_many or field.one_to_many:
                return True
            if not isinstance(field.related_model, type):
                break  # not a relation
            current = field.related_model
    return False


def _named_search(
    rows: QuerySet, kind: str, text: str, order: Order, facets: dict[str, str], offset: int, limit: int
) -> Hits:
    """Doctors or facilities (``kind``) matching every folded word of ``text``. When none does:
    the same with each word the vocabulary lacks also read as its words one typo away ("nguyen
    van dux tim mach" finds Nguyễn Văn Đức, Tim mạch); then, if that finds nothing either,
    those whose name is close to the whole text (trigram word similarity). A typo costs more
    passes only when it matters. Best first: text rank plus name similarity, then ``order``."""
    query = _text_query(text)
    if query is None:
        return _one_pass(rows, NO_RANK, order, facets, offset, limit)
    folded = fold(text)
    similarity = TrigramWordSimilarity(Value(folded), "search_document__name")  # type: ignore[arg-type]  # django-stubs: str only
    rank = SearchRank(F("search_document__document"), query) + similarity
    hits = _one_pass(rows.filter(search_document__document=query), rank, order, facets, offset, limit)
    if hits.total:
        return hits
    corrected = _corrected_query(kind, folded_words(text))
    if corrected is not None:
        corrected_rank = SearchRank(F("search_document__document"), corrected) + similarity
        matched = rows.filter(search_document__document=corrected)
        hits = _one_pass(matched, corrected_rank, order, facets, offset, limit)
        if hits.total:
            return hits
    fuzzy = rows.filter(search_document__name__trigram_word_similar=folded)
    return _one_pass(fuzzy, rank, order, facets, offset, limit)


# Words this short must be typed right (as Elasticsearch's fuzziness AUTO: no edit under 3).
MIN_CORRECTED_LENGTH = 3
# The vocabulary's words one typo away, or nearly (one_typo_apart decides); the CASE keeps
# levenshtein (at most 255 characters) off words of another length, whatever the plan.
_NEAR_WORDS = """
    SELECT typed, word FROM unnest(%s::text[]) AS typed
      JOIN search_searchword ON kind = %s
       AND CASE WHEN length(word) BETWEEN length(typed) - 1 AND length(typed) + 1
                THEN levenshtein_less_equal(word, typed, 2) <= 2 ELSE false END
"""


def _corrected_query(kind: str, words: list[str]) -> SearchQuery | None:
    """``words`` (folded) as a query in which each word ``kind``'s vocabulary lacks (of 3 to
    ``documents.MAX_WORD_LENGTH`` letters) may also be any of its words one typo away: a letter
    wrong, missing or extra, or two neighbours swapped. None when no such word has one.

    The vocabulary holds only what every signed-in doctor may find (verified doctors, active
    facilities), so no hidden account decides which words are corrected; corrections then
    match only what the viewer's scope shows."""
    words = list(dict.fromkeys(words))
    correctable = [word for word in words if MIN_CORRECTED_LENGTH <= len(word) <= documents.MAX_WORD_LENGTH]
    if not correctable:
        return None
    near: dict[str, set[str]] = defaultdict(set)
    with connection.cursor() as cursor:
        cursor.execute(_NEAR_WORDS, [correctable, kind])
        for typed, word in cursor.fetchall():
            near[typed].add(word)
    readings = {
        typed: [typed, *sorted(word for word in near[typed] if one_typo_apart(typed, word))]
        for typed in words
        if typed not in near[typed]  # the vocabulary lacks it
    }
    if not any(len(reading) > 1 for reading in readings.values()):
        return None
    return reduce(
        operator.and_,
        (
            reduce(
                operator.or_,
                (
                    SearchQuery(word, config="simple", search_type="plain")
                    for word in readings.get(typed, [typed])
                ),
            )
            for typed in words
        ),
    )


def one_typo_apart(typed: str, word: str) -> bool:
    """Whether ``word`` is ``typed`` with one letter changed, added or removed, or two
    neighbouring letters swapped (optimal string alignment distance 1)."""
    if typed == word or abs(len(typed) - len(word)) > 1:
        return False
    if len(typed) == len(word):
        differ = [index for index, (a, b) in enumerate(zip(typed, word, strict=True)) if a != b]
        return len(differ) == 1 or (
            len(differ) == 2
            and differ[1] == differ[0] + 1
            and typed[differ[0]] == word[differ[1]]
            and typed[differ[1]] == word[differ[0]]
        )
    shorter, longer = sorted((typed, word), key=len)
    return any(longer[:index] + longer[index + 1 :] == shorter for index in range(len(longer)))


NO_RANK = Value(0.0, output_field=FloatField())


class PostgresBackend:
    name = "postgresql"

    def doctors(self, scope: DoctorScope, query: DoctorQuery, offset: int, limit: int) -> Hits:
        rows = scope.doctors
        if query.specialty_ids:
            through = User.specialties.through.objects.filter(specialty_id__in=query.specialty_ids)
            rows = rows.filter(pk__in=through.values("user_id"))
        if query.province_codes:
            rows = rows.filter(facility__province_id__in=query.province_codes)
        if query.tiers:
            rows = rows.filter(facility__tier__in=query.tiers)
        if query.verification_statuses:
            rows = rows.filter(verification_status__in=query.verification_statuses)
        return _named_search(rows, IndexKind.DOCTOR, query.text, BY_NAME, DOCTOR_FACETS, offset, limit)

    def facilities(self, scope: QuerySet[Facility], query: FacilityQuery, offset: int, limit: int) -> Hits:
        rows = scope
        if query.province_codes:
            rows = rows.filter(province_id__in=query.province_codes)
        if query.tiers:
            rows = rows.filter(tier__in=query.tiers)
        return _named_search(
            rows, IndexKind.FACILITY, query.text, BY_FACILITY_NAME, FACILITY_FACETS, offset, limit
        )

    def cases(self, scope: CaseScope, query: CaseQuery, offset: int, limit: int) -> Hits:
        rows = scope.cases
        if query.specialty_ids:
            rows = rows.filter(specialty_id__in=query.specialty_ids)
        if query.statuses:
            rows = rows.filter(status__in=query.statuses)
        if query.published_from:
            rows = rows.filter(published_at__gte=_day_start(query.published_from))
        if query.published_to:
            rows = rows.filter(published_at__lt=_day_start(query.published_to, next_day=True))
        text = _text_query(query.text)
        if text is None:
            return _one_pass(rows, NO_RANK, BY_RECENCY, CASE_FACETS, offset, limit)
        rank = SearchRank(F("search_document__document"), text)
        return _one_pass(
            rows.filter(search_document__document=text), rank, BY_RECENCY, CASE_FACETS, offset, limit
        )

    def index(self, kind: str, ids: list[int]) -> None:
        documents.refresh(kind, ids)


def _day_start(day: date, *, next_day: bool = False) -> datetime:
    """Midnight (current time zone) starting ``day``, or the day after it."""
    return timezone.make_aware(datetime.combine(day + timedelta(days=1) if next_day else day, time.min))
