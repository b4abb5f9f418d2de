"""The PostgreSQL backend's documents (``search.models``), written in SQL from the live rows.

Each statement folds through ``public.tuyen_fold`` (the twin of :func:`search.folding.fold`)
and uses PostgreSQL's ``simple`` configuration: there is no Vietnamese stemmer, and folded
syllables are what users type. ``refresh`` runs inside the caller's transaction (the signal
receivers call it from the transaction that changed the row); ``rebuild`` serves
``search_reindex`` and the initial migration.

Findable doctors' and facilities' documents also feed the vocabulary (``SearchWord``) that
mistyped query words are corrected against: a document's words are added to it once its
transaction has committed, in a statement of its own, so a save never waits on the vocabulary
nor fails because of it (a word missed then is added by the next save holding it, or by
``search_reindex``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from django.db import DatabaseError, connection, transaction

from search.models import IndexKind

logger = logging.getLogger("search")

_DOCTOR_SELECT = """
    SELECT u.id, tuyen_fold(u.full_name),
           setweight(to_tsvector('simple', tuyen_fold(u.full_name)), 'A')
        || setweight(to_tsvector('simple', tuyen_fold(concat_ws(' ', u.title, u.position, (
               SELECT string_agg(s.name_vi || ' ' || s.name_en, ' ')
                 FROM accounts_user_specialties us JOIN facilities_specialty s ON s.id = us.specialty_id
                WHERE us.user_id = u.id)))), 'B')
        || setweight(to_tsvector('simple', tuyen_fold(concat_ws(' ', f.name, p.name))), 'C')
      FROM accounts_user u
      LEFT JOIN facilities_facility f ON f.id = u.facility_id
      LEFT JOIN facilities_province p ON p.code = f.province_id
"""
_FACILITY_SELECT = """
    SELECT f.id, tuyen_fold(f.name),
           setweight(to_tsvector('simple', tuyen_fold(f.name)), 'A')
        || setweight(to_tsvector('simple', tuyen_fold(concat_ws(' ', p.name, m.name))), 'C')
      FROM facilities_facility f
      JOIN facilities_province p ON p.code = f.province_id
      LEFT JOIN facilities_commune m ON m.code = f.commune_id
"""
_CASE_SELECT = """
    SELECT c.id,
           setweight(to_tsvector('simple', tuyen_fold(c.title)), 'A')
        || setweight(to_tsvector('simple', tuyen_fold(concat_ws(' ',
               array_to_string(c.tags, ' '), array_to_string(c.icd10_codes, ' '), s.name_vi, s.name_en))), 'B')
        || setweight(to_tsvector('simple', tuyen_fold(concat_ws(' ', c.presenting_problem, c.question))), 'C')
        || setweight(to_tsvector('simple', tuyen_fold(concat_ws(' ', c.history, c.findings, c.investigations))), 'D')
      FROM network_case c JOIN facilities_specialty s ON s.id = c.specialty_id
"""

# kind: (table, key column, SELECT producing the row, its source alias, columns written)
_SOURCES: dict[str, tuple[str, str, str, str, tuple[str, ...]]] = {
    IndexKind.DOCTOR: ("search_doctordocument", "doctor_id", _DOCTOR_SELECT, "u", ("name", "document")),
    IndexKind.FACILITY: (
        "search_facilitydocument",
        "facility_id",
        _FACILITY_SELECT,
        "f",
        ("name", "document"),
    ),
    IndexKind.CASE: ("search_casedocument", "case_id", _CASE_SELECT, "c", ("document",)),
}
_SOURCE_TABLES: dict[str, str] = {
    IndexKind.DOCTOR: "accounts_user",
    IndexKind.FACILITY: "facilities_facility",
    IndexKind.CASE: "network_case",
}


def _upsert(kind: str, where: str) -> str:
    table, key, select, _alias, columns = _SOURCES[kind]
    updates = ", ".join(f"{column} = EXCLUDED.{column}" for column in columns)
    return (
        f"INSERT INTO {table} ({key}, {', '.join(columns)}) {select} WHERE {where} "
        f"ON CONFLICT ({key}) DO UPDATE SET {updates}"
    )


# Kinds whose words are corrected when mistyped (names: doctors and facilities).
VOCABULARY_KINDS = (IndexKind.DOCTOR, IndexKind.FACILITY)
# Longer words are neither kept nor corrected (fuzzystrmatch stops at 255 characters).
MAX_WORD_LENGTH = 64
# New words a statement of search_reindex adds at most (each statement holds its words' locks).
WORDS_BATCH = 1_000


def _findable(kind: str) -> tuple[str, tuple[Any, ...]]:
    """SQL selecting the ids of the rows every signed-in doctor may find: verified doctors,
    active facilities (their words alone make the vocabulary, so no hidden account decides
    how a query is read)."""
    from accounts.models import User
    from accounts.selectors import verified_doctors_q
    from facilities.selectors import active_facilities

    rows = User.objects.filter(verified_doctors_q()) if kind == IndexKind.DOCTOR else active_facilities()
    return rows.order_by().values("pk").query.sql_with_params()


def _words_of(kind: str, where: str, params: list[Any]) -> tuple[str, list[Any]]:
    """The distinct words of the documents of ``kind``'s findable rows matching ``where`` (on
    alias ``d``, with ``params``), sorted: a statement and its parameters."""
    table, key = _SOURCES[kind][:2]
    findable, findable_params = _findable(kind)
    return (
        f"SELECT DISTINCT w.lexeme FROM {table} d, unnest(d.document) w "  # noqa: S608 (constants and ORM SQL)
        f"WHERE {where} AND d.{key} IN ({findable}) AND length(w.lexeme) <= {MAX_WORD_LENGTH} ORDER BY 1",
        [*params, *findable_params],
    )


def _add_words(words: str) -> str:
    """An INSERT of the words ``words`` selects (one column, sorted: concurrent writers lock
    new words in the same order) into the vocabulary of the kind given as first parameter."""
    return (
        f"INSERT INTO search_searchword (kind, word) SELECT %s, word FROM ({words}) AS found (word) "  # noqa: S608 (our SQL)
        "ON CONFLICT (kind, word) DO NOTHING"
    )


def refresh(kind: str, ids: Iterable[int]) -> None:
    """Rewrite the documents of ``ids`` from their rows (rows gone: documents go with them by
    cascade); their words reach the vocabulary after commit."""
    ids = sorted(set(ids))
    if not ids:
        return
    alias = _SOURCES[kind][3]
    with connection.cursor() as cursor:
        cursor.execute(_upsert(kind, f"{alias}.id = ANY(%s)"), [ids])
    if kind in VOCABULARY_KINDS:
        transaction.on_commit(lambda: _add_words_of(kind, ids))


def _add_words_of(kind: str, ids: list[int]) -> None:
    """After commit: the words of the documents of ``ids`` (those findable) added to the
    vocabulary."""
    key = _SOURCES[kind][1]
    words, params = _words_of(kind, f"d.{key} = ANY(%s)", [ids])
    try:
        with connection.cursor() as cursor:
            cursor.execute(_add_words(words), [kind, *params])
    except DatabaseError:
        logger.exception("Adding the words of %s documents %s to the vocabulary failed", kind, ids[:10])


def rebuild_vocabulary(kind: str) -> None:
    """``kind``'s vocabulary made anew from its findable rows' documents: words none holds any
    more dropped, missing ones added a batch per statement (short statements: a save adding
    a new word never waits long on this)."""
    with connection.cursor() as cursor:
        cursor.execute(*_words_of(kind, "TRUE", []))
        words = [word for (word,) in cursor.fetchall()]
        cursor.execute(
            "DELETE FROM search_searchword WHERE kind = %s AND word NOT IN (SELECT unnest(%s::text[]))",
            [kind, words],
        )
        for start in range(0, len(words), WORDS_BATCH):
            cursor.execute(
                _add_words("SELECT unnest(%s::text[])"), [kind, words[start : start + WORDS_BATCH]]
            )


BATCH = 20_000


def rebuild(kind: str, progress: Callable[[int, int], None] | None = None) -> int:
    """Rewrite every document of ``kind`` by id ranges of :data:`BATCH` rows, calling
    ``progress(done, total)`` after each; returns how many source rows there are."""
    alias = _SOURCES[kind][3]
    source = _SOURCE_TABLES[kind]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*), coalesce(min(id), 0), coalesce(max(id), 0) FROM {source}")  # noqa: S608 (table names are constants)
        total, low, high = cursor.fetchone()
        done = 0
        for start in range(low, high + 1, BATCH):
            cursor.execute(_upsert(kind, f"{alias}.id >= %s AND {alias}.id < %s"), [start, start + BATCH])
            done += cursor.rowcount
            if progress is not None:
                progress(min(done, total), total)
    return int(total)
