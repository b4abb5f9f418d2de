"""The search indexes serve the statements the PostgreSQL backend really runs.

Documents hold their text already folded (written through ``public.tuyen_fold``, declared
IMMUTABLE because ``unaccent`` is only STABLE) and the backend compares the stored columns
with the query folded in Python, so the GIN indexes on those columns (``gin_trgm_ops`` on the
folded name, the default opclass on the ``tsvector``) can answer the match. Each test captures
the SQL of a real search through ``search.selectors`` and EXPLAINs it.

The test tables hold a handful of rows, so left alone the planner would rather read them
another way: a sequential scan, a walk of the primary key, or a nested loop probing the
document by key from the (tiny) users or cases side. Those paths are switched off with
``SET LOCAL`` (undone when the test's transaction rolls back); bitmap scans stay on, as GIN is
only read through them. The document table can then be read without a disabled path only
through an index that accepts the search's own predicate: a predicate that index cannot serve
(an expression over the column, a non-immutable function, a missing index) leaves a disabled
path in the plan and no scan of the index.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.postgres.indexes import GinIndex
from django.db import connection
from django.db.models import Model
from django.test.utils import CaptureQueriesContext

from search.backends.base import CaseQuery, DoctorQuery, FacilityQuery
from search.folding import fold
from search.models import CaseDocument, DoctorDocument, FacilityDocument
from search.selectors import SearchPage, search_cases, search_doctors, search_facilities
from tests import factories
from tests.network.test_cases_builders import published_case
from tests.search.builders import hospital, named_doctor, searcher

pytestmark = pytest.mark.django_db

# Paths that would let the planner avoid the document indexes on tables of a few rows.
OTHER_PATHS = ("enable_seqscan", "enable_indexscan", "enable_nestloop")


@pytest.fixture(autouse=True)
def _postgresql(settings) -> None:
    settings.ELASTICSEARCH_URL = ""


def gin_index(model: type[Model], field: str, opclass: str | None = None) -> str:
    """The name of ``model``'s GIN index on ``field`` as its Meta declares it (and migration
    search/0001 creates it)."""
    [index] = [
        index
        for index in model._meta.indexes
        if isinstance(index, GinIndex)
        and list(index.fields) == [field]
        and (opclass is None or list(index.opclasses) == [opclass])
    ]
    assert index.name
    return index.name


def statement_of(search: Callable[[], SearchPage[Any]], predicate: str) -> tuple[SearchPage[Any], str]:
    """The page ``search`` returns and the one SQL statement it ran containing ``predicate``."""
    with CaptureQueriesContext(connection) as captured:
        page = search()
    [sql] = [query["sql"] for query in captured.captured_queries if predicate in query["sql"]]
    return page, sql


def plan_of(sql: str) -> str:
    """EXPLAIN of ``sql`` with the paths that avoid the document indexes switched off."""
    with connection.cursor() as cursor:
        for setting in OTHER_PATHS:
            cursor.execute(f"SET LOCAL {setting} = off")
        cursor.execute(f"EXPLAIN {sql}")
        return "\n".join(line for (line,) in cursor.fetchall())


def test_the_sql_folding_function_is_immutable_and_folds_as_python_does():
    """``unaccent`` is STABLE (its dictionary could change); the wrapper names its dictionary
    and is declared IMMUTABLE, which an index expression or a generated column requires."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT provolatile, public.tuyen_fold('Nguyễn Văn Đức') "
            "FROM pg_proc WHERE oid = 'public.tuyen_fold(text)'::regprocedure"
        )
        volatility, folded = cursor.fetchone()

    assert volatility == "i"
    assert folded == fold("Nguyễn Văn Đức") == "nguyen van duc"


def test_a_misspelt_doctor_name_is_matched_through_the_name_trigram_index():
    """The last typo pass (a word more than one typo off, which the vocabulary does not
    correct) compares the stored folded name with the folded query by trigram word similarity;
    ``gin_trgm_ops`` serves that operator on the name column."""
    duc = named_doctor("Nguyễn Văn Đức")
    assert DoctorDocument.objects.get(doctor=duc).name == "nguyen van duc"  # stored folded

    page, sql = statement_of(
        lambda: search_doctors(searcher(), DoctorQuery(text="Nguyễn Văn Đwcc"), offset=0, limit=10),
        '"search_doctordocument"."name" %> ',
    )
    assert [row.pk for row in page.rows] == [duc.pk]  # the typo pass ran and found him

    plan = plan_of(sql)
    index = gin_index(DoctorDocument, "name", "gin_trgm_ops")
    assert f"Bitmap Index Scan on {index}" in plan, plan
    assert "Index Cond: (name %> 'nguyen van dwcc'::text)" in plan, plan


def test_a_misspelt_facility_name_is_matched_through_the_name_trigram_index():
    bach_mai = hospital("Bệnh viện Bạch Mai")

    page, sql = statement_of(
        lambda: search_facilities(FacilityQuery(text="bach maaij"), offset=0, limit=10),
        '"search_facilitydocument"."name" %> ',
    )
    assert [row.pk for row in page.rows] == [bach_mai.pk]

    plan = plan_of(sql)
    index = gin_index(FacilityDocument, "name", "gin_trgm_ops")
    assert f"Bitmap Index Scan on {index}" in plan, plan
    assert "Index Cond: (name %> 'bach maaij'::text)" in plan, plan


def test_case_words_are_matched_through_the_case_document_index():
    """Ranked case search filters on ``document @@ plainto_tsquery('simple', folded words)``;
    the GIN index on the stored ``tsvector`` serves it."""
    case = published_case(factories.doctor(), title="Đau ngực trái cấp")

    page, sql = statement_of(
        lambda: search_cases(searcher(), CaseQuery(text="Đau ngực"), offset=0, limit=10),
        '"search_casedocument"."document" @@ ',
    )
    assert [row.pk for row in page.rows] == [case.pk]
    assert "plainto_tsquery('simple'::regconfig, 'dau nguc')" in sql

    plan = plan_of(sql)
    index = gin_index(CaseDocument, "document")
    assert f"Bitmap Index Scan on {index}" in plan, plan
    assert "Index Cond: (document @@ '''dau'' & ''nguc'''::tsquery)" in plan, plan


def test_doctor_words_are_matched_through_the_doctor_document_index():
    duc = named_doctor("Nguyễn Văn Đức")

    page, sql = statement_of(
        lambda: search_doctors(searcher(), DoctorQuery(text="duc tim mach"), offset=0, limit=10),
        '"search_doctordocument"."document" @@ ',
    )
    assert [row.pk for row in page.rows] == [duc.pk]

    plan = plan_of(sql)
    index = gin_index(DoctorDocument, "document")
    assert f"Bitmap Index Scan on {index}" in plan, plan
    assert "Index Cond: (document @@ '''duc'' & ''tim'' & ''mach'''::tsquery)" in plan, plan
