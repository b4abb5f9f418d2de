"""manage.py search_reindex: PostgreSQL's documents rebuilt in bulk with a progress bar; on
Elasticsearch a new index filled, then the alias swapped (live cluster only)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from search.backends.base import CaseQuery
from search.models import CaseDocument, DoctorDocument, IndexKind
from search.selectors import search_cases
from tests import factories
from tests.network.test_cases_builders import published_case
from tests.search.builders import searcher

pytestmark = pytest.mark.django_db


def test_reindex_rebuilds_the_postgresql_documents_with_a_progress_bar(settings):
    settings.ELASTICSEARCH_URL = ""
    case = published_case(factories.doctor(), title="Đau ngực trái cấp")
    viewer = searcher()
    CaseDocument.objects.all().delete()  # e.g. rows written by a bulk load that bypassed signals
    assert search_cases(viewer, CaseQuery(text="dau nguc"), offset=0, limit=5).rows == []

    out = StringIO()
    call_command("search_reindex", "case", stdout=out)

    assert [row.pk for row in search_cases(viewer, CaseQuery(text="dau nguc"), offset=0, limit=5).rows] == [
        case.pk
    ]
    assert "PostgreSQL cases: [##############################] 1/1" in out.getvalue()


def test_reindex_of_everything_by_default(settings):
    settings.ELASTICSEARCH_URL = ""
    doctor = factories.doctor()
    DoctorDocument.objects.all().delete()

    out = StringIO()
    call_command("search_reindex", stdout=out)

    assert DoctorDocument.objects.filter(doctor=doctor).exists()
    assert all(f"PostgreSQL {kind}s" in out.getvalue() for kind in IndexKind.values)


def test_reindex_refuses_an_unknown_index():
    with pytest.raises(CommandError, match="Unknown index: patients"):
        call_command("search_reindex", "patients")


@pytest.mark.elasticsearch
def test_reindex_swaps_the_alias_to_a_new_index(elasticsearch_backend):
    from django.conf import settings

    from search import reindex
    from search.backends.elastic import alias_name, client

    case = published_case(factories.doctor(), title="Đau ngực trái cấp")
    es = client(settings.ELASTICSEARCH_URL)
    first = reindex.rebuild_elasticsearch(IndexKind.CASE)
    second = reindex.rebuild_elasticsearch(IndexKind.CASE)

    assert list(es.indices.get_alias(name=alias_name(IndexKind.CASE))) == [second]
    assert not es.indices.exists(index=first)
    page = search_cases(searcher(), CaseQuery(text="dau nguc"), offset=0, limit=5)
    assert ([row.pk for row in page.rows], page.backend) == ([case.pk], "elasticsearch")
