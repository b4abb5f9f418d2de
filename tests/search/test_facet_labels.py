"""Facet labels: on PostgreSQL the reference rows' names come with the counts (no query per
facet afterwards); a backend that only counts (Elasticsearch) still gets them looked up."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from facilities.models import Specialty
from search.backends.base import CaseQuery, DoctorQuery, FacetValue
from search.selectors import _labelled, search_cases, search_doctors
from tests.network.test_cases_builders import published_case
from tests.search.builders import hanoi, hospital, hue, named_doctor, neurology, searcher

pytestmark = pytest.mark.django_db


def labels(page, name: str) -> dict[str, str]:
    return {value.key: value.label for value in page.facets[name]}


@pytest.mark.parametrize(("language", "neurology_label"), [("vi", "Thần kinh"), ("en", "Neurology")])
def test_doctor_facets_are_labelled_from_the_ranked_statement(settings, language, neurology_label):
    settings.ELASTICSEARCH_URL = ""
    named_doctor("Nguyễn Văn Đức", specialty=neurology())
    named_doctor("Nguyễn Văn Đức", facility=hospital("Bệnh viện Trung ương Huế", province=hue()))
    viewer = searcher()
    neuro = Specialty.objects.get(code="neurology")

    with translation.override(language), CaptureQueriesContext(connection) as captured:
        page = search_doctors(viewer, DoctorQuery(text="nguyen van duc"), offset=0, limit=20)

    assert labels(page, "specialty")[str(neuro.pk)] == neurology_label
    assert labels(page, "province") == {str(hanoi().pk): "Thành phố Hà Nội", str(hue().pk): "Thành phố Huế"}
    statements = [query["sql"] for query in captured.captured_queries]
    assert not [sql for sql in statements if 'FROM "facilities_specialty" WHERE' in sql]
    assert not [sql for sql in statements if 'FROM "facilities_province" WHERE' in sql]


def test_case_specialty_facet_is_labelled(settings):
    settings.ELASTICSEARCH_URL = ""
    viewer = searcher()
    case = published_case(viewer, title="Sốt xuất huyết giảm tiểu cầu")

    with translation.override("en"):
        page = search_cases(viewer, CaseQuery(text="sot xuat huyet"), offset=0, limit=20)

    assert [row.pk for row in page.rows] == [case.pk]
    assert labels(page, "specialty") == {str(case.specialty_id): case.specialty.name_en}


def test_counted_values_without_names_are_looked_up():
    # As Elasticsearch answers: counts only.
    neuro = neurology()
    values = [FacetValue(value=str(neuro.pk), count=2), FacetValue(value=str(hue().pk), count=1)]

    with translation.override("vi"):
        facets = _labelled({"specialty": values[:1], "province": values[1:]})

    assert [(facet.key, facet.label, facet.count) for facet in facets["specialty"]] == [
        (str(neuro.pk), "Thần kinh", 2)
    ]
    assert [facet.label for facet in facets["province"]] == ["Thành phố Huế"]


def test_a_value_without_its_row_is_left_out():
    neuro = neurology()
    values = [
        FacetValue(value=str(neuro.pk), count=2, names=("Thần kinh", "Neurology")),
        FacetValue(value="999999", count=1, names=()),
    ]

    facets = _labelled({"specialty": values})

    assert [facet.key for facet in facets["specialty"]] == [str(neuro.pk)]
