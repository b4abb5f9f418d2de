"""The PostgreSQL backend's documents (``search.models``), written in SQL from the live rows.

Each statement folds through ``public.tuyen_fold`` (the twin of :func:`search.folding.fold`)
and uses PostgreSQL's ``simple`` configuration: there is no Vietnamese stemmer, and folded
syllables are what users type. ``refresh`` runs inside the caller's transaction (the signal
receivers call it from the transaction that changed the row); ``rebuild`` serves
``search_reindex`` and the initial migration.

Doctors' and facilities' documents also feed the vocabulary (``SearchWord``) that mistyped
query words are corrected against: every word of a document written is added to it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.db import connection, transaction

from search.models import IndexKind

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


def _add_words(kind: str, where: str) -> str:
    """The words of ``kind``'s documents matching ``where`` (on alias ``d``) added to the
    vocabulary, in word order (concurrent writers lock new words in the same order)."""
    table = _SOURCES[kind][0]
    return (
        f"INSERT INTO search_searchword (kind, word) "  # noqa: S608 (table names are constants)
        f"SELECT DISTINCT %s, w.lexeme FROM {table} d, unnest(d.document) w WHERE {where} "
        f"ORDER BY 2 ON CONFLICT (kind, word) DO NOTHING"
    )


def refresh(kind: str, ids: Iterable[int]) -> None:
    """Rewrite the documents of ``ids`` from their rows (rows gone: documents go with them by
    cascade), and add their words to the vocabulary."""
    ids = sorted(set(ids))
    if not ids:
        return
    _table, key, _select, alias, _columns = _SOURCES[kind]
    with connection.cursor() as cursor:
        cursor.execute(_upsert(kind, f"{alias}.id = ANY(%s)"), [ids])
        if kind in VOCABULARY_KINDS:
            cursor.execute(_add_words(kind, f"d.{key} = ANY(%s)"), [kind, ids])


def rebuild_vocabulary(kind: str) -> None:
    """``kind``'s vocabulary made anew from its documents (words no document holds dropped), in
    one transaction: searches meanwhile correct against the previous one."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM search_searchword WHERE kind = %s", [kind])
        cursor.execute(_add_words(kind, "TRUE"), [kind])


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
