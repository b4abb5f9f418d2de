"""The Elasticsearch mappings, analyzers and generated query bodies (``.to_dict()``): checked
always, with no cluster. Tests against a live cluster are marked ``elasticsearch``."""

from __future__ import annotations

from datetime import date

import pytest

from accounts.models import VerificationStatus
from network.models import Case
from search.backends import elastic
from search.backends.base import CaseQuery, DoctorQuery, FacilityQuery
from search.folding import fold
from search.models import IndexKind
from tests.search.test_folding import every_vietnamese_letter


def test_the_analyzer_folds_d_with_stroke_explicitly_then_every_other_mark():
    body = elastic.index_definition(IndexKind.DOCTOR, "x").to_dict()
    analysis = body["settings"]["analysis"]
    assert analysis["char_filter"]["tuyen_vietnamese_d"] == {
        "type": "mapping",
        "mappings": ["đ => d", "Đ => D"],
    }
    assert analysis["analyzer"]["tuyen_folded"] == {
        "type": "custom",
        "tokenizer": "standard",
        "char_filter": ["tuyen_vietnamese_d"],
        "filter": ["lowercase", "asciifolding"],
    }
    # The exact form is kept beside the folded one, for matches typed with their diacritics.
    assert analysis["analyzer"]["tuyen_exact"] == {
        "type": "custom",
        "tokenizer": "standard",
        "filter": ["lowercase"],
    }


@pytest.mark.parametrize("kind", list(IndexKind))
def test_every_text_field_is_folded_with_an_exact_subfield(kind):
    properties = elastic.index_definition(kind, "x").to_dict()["mappings"]["properties"]
    texts = {
        name: field for name, field in properties.items() if field["type"] == "text" and name != "all_text"
    }
    assert texts
    for field in texts.values():
        assert field["analyzer"] == "tuyen_folded"
        assert field["fields"]["exact"] == {"type": "text", "analyzer": "tuyen_exact"}
        assert field["copy_to"] == "all_text"
    assert properties["all_text"] == {"type": "text", "analyzer": "tuyen_folded"}
    assert properties["row_id"] == {"type": "long"}


def test_case_mapping_holds_what_visibility_needs():
    properties = elastic.index_definition(IndexKind.CASE, "x").to_dict()["mappings"]["properties"]
    assert {
        name: properties[name]["type"]
        for name in (
            "author_id",
            "visibility",
            "audience_ids",
            "removed",
            "published_at",
            "status",
            "specialty_id",
            "icd10_codes",
        )
    } == {
        "author_id": "long",
        "visibility": "keyword",
        "audience_ids": "long",
        "removed": "boolean",
        "published_at": "date",
        "status": "keyword",
        "specialty_id": "integer",
        "icd10_codes": "keyword",
    }


def test_case_query_restates_the_visibility_rule():
    visibility = elastic.case_visibility_filter(7, peers=[8, 9], blocked=[10])
    assert visibility.to_dict() == {
        "bool": {
            "filter": [{"term": {"removed": False}}],
            "should": [
                {"term": {"author_id": 7}},
                {
                    "bool": {
                        "filter": [
                            {"exists": {"field": "published_at"}},
                            {
                                "bool": {
                                    "should": [
                                        {"term": {"visibility": "network"}},
                                        {
                                            "bool": {
                                                "filter": [
                                                    {"term": {"visibility": "connections"}},
                                                    {"terms": {"author_id": [8, 9]}},
                                                ]
                                            }
                                        },
                                        {
                                            "bool": {
                                                "filter": [
                                                    {"term": {"visibility": "named"}},
                                                    {"term": {"audience_ids": 7}},
                                                ]
                                            }
                                        },
                                    ],
                                    "minimum_should_match": 1,
                                }
                            },
                        ],
                        "must_not": [{"terms": {"author_id": [10]}}],
                    }
                },
            ],
            "minimum_should_match": 1,
        }
    }


def test_case_search_body_filters_ranks_and_facets():
    query = CaseQuery(
        text="đau ngực",
        specialty_ids=(3,),
        statuses=(Case.Status.OPEN,),
        published_from=date(2026, 1, 1),
        published_to=date(2026, 1, 31),
    )
    body = elastic.case_search(elastic.case_visibility_filter(1, [], []), query).to_dict()

    filters = body["query"]["bool"]["filter"]
    assert {"terms": {"specialty_id": [3]}} in filters
    assert {"terms": {"status": ["open"]}} in filters
    [published] = [item["range"]["published_at"] for item in filters if "range" in item]
    assert published["gte"].startswith("2026-01-01T00:00:00") and published["lt"].startswith(
        "2026-02-01T00:00:00"
    )
    [text] = body["query"]["bool"]["must"]
    assert text["bool"]["must"] == [{"match": {"all_text": {"query": "đau ngực", "operator": "and"}}}]
    assert body["sort"] == [
        "_score",
        {"published_at": {"order": "desc", "missing": "_first"}},
        {"row_id": {"order": "desc"}},
    ]
    assert body["aggs"] == {
        "specialty": {"terms": {"field": "specialty_id", "size": 100}},
        "status": {"terms": {"field": "status", "size": 100}},
    }
    assert "highlight" not in body  # the selectors mark the live rows (never stale text)
    assert body["track_total_hits"] is True


def test_doctor_search_body_tolerates_a_typo_only_when_asked_and_keeps_the_scope():
    """As on PostgreSQL, the typo-tolerant query is a second one, asked only when the plain one
    finds nothing: a correctly typed "nguyen van duc" must not also count every "Duy"."""
    scope = elastic.verified_doctor_filter(date(2026, 11, 26))
    query = DoctorQuery(text="nguyen van dux", tiers=("central",))
    plain = elastic.doctor_search(scope, [5, 6], query).to_dict()
    fuzzy = elastic.doctor_search(scope, [5, 6], query, fuzzy=True).to_dict()

    assert {"match": {"all_text": {"query": "nguyen van dux", "operator": "and"}}} in plain["query"]["bool"][
        "must"
    ][0]["bool"]["should"]
    assert "fuzziness" not in str(plain["query"])
    body = fuzzy["query"]["bool"]
    [text] = body["must"]
    assert {
        "match": {"all_text": {"query": "nguyen van dux", "operator": "and", "fuzziness": "AUTO"}}
    } in text["bool"]["should"]
    assert {"term": {"verification_status": VerificationStatus.VERIFIED}} in body["filter"]
    assert {"range": {"licence_expires_on": {"gte": "2026-11-26"}}} in body["filter"][2]["bool"]["should"]
    assert {"terms": {"tier": ["central"]}} in body["filter"]
    assert body["must_not"] == [{"ids": {"values": ["5", "6"]}}]  # blocked either way
    assert set(fuzzy["aggs"]) == {"specialty", "province", "tier", "verification_status"}


def test_facility_search_body():
    body = elastic.facility_search(FacilityQuery(text="bach mai", province_codes=(1,))).to_dict()
    assert {"term": {"is_active": True}} in body["query"]["bool"]["filter"]
    assert {"terms": {"province_code": [1]}} in body["query"]["bool"]["filter"]


def test_a_response_body_becomes_hits():
    body = {
        "hits": {
            "total": {"value": 42, "relation": "eq"},
            "hits": [
                {"_id": "3", "highlight": {"title": ["<mark>Đau</mark> ngực"]}},
                {"_id": "1"},
            ],
        },
        "aggregations": {
            "status": {"buckets": [{"key": "open", "doc_count": 40}, {"key": "closed", "doc_count": 2}]}
        },
    }
    hits = elastic.hits_from_body(body)
    assert hits.ids == [3, 1]
    assert hits.total == 42
    assert [(value.value, value.count) for value in hits.facets["status"]] == [("open", 40), ("closed", 2)]


@pytest.mark.elasticsearch
@pytest.mark.django_db
def test_the_live_analyzer_folds_as_python_does(elasticsearch_backend):
    from django.conf import settings

    from search import reindex

    reindex.rebuild_elasticsearch(IndexKind.DOCTOR)
    text = " ".join(letter for letter, _ in every_vietnamese_letter())
    es = elastic.client(settings.ELASTICSEARCH_URL)
    tokens = es.indices.analyze(
        index=elastic.alias_name(IndexKind.DOCTOR), analyzer="tuyen_folded", text=text
    )
    assert [token["token"] for token in tokens["tokens"]] == fold(text).split()


@pytest.mark.django_db
def test_bulk_actions_carry_what_visibility_needs_and_delete_what_is_gone():
    from django.utils import timezone

    from tests import factories
    from tests.network.test_cases_builders import published_case

    member = factories.doctor()
    case = published_case(
        factories.doctor(),
        title="Đau ngực",
        visibility=Case.Visibility.NAMED,
        audience=(member,),
        tags=["nhồi máu"],
        icd10_codes=["I21.1"],
        hidden_at=timezone.now(),
    )

    actions = list(elastic.index_actions(IndexKind.CASE, "cases-x", [case.pk, 987654]))

    [indexed, deleted] = actions
    assert (indexed["_op_type"], indexed["_index"], indexed["_id"]) == ("index", "cases-x", case.pk)
    entry = indexed["_source"]
    assert entry["row_id"] == case.pk
    assert entry["author_id"] == case.author_id
    assert entry["visibility"] == "named"
    assert entry["audience_ids"] == [member.pk]
    assert entry["removed"] is True
    assert entry["tags"] == ["nhồi máu"] and entry["icd10_codes"] == ["I21.1"]
    assert entry["specialty"] == "Tim mạch Cardiology"
    assert deleted == {"_op_type": "delete", "_index": "cases-x", "_id": 987654}


@pytest.mark.django_db
def test_doctor_entries_carry_the_verification_rule_inputs():
    from tests.search.builders import named_doctor

    doctor = named_doctor("Nguyễn Văn Đức")

    [action] = list(elastic.index_actions(IndexKind.DOCTOR, "doctors-x", [doctor.pk]))

    entry = action["_source"]
    assert entry["full_name"] == "Nguyễn Văn Đức"
    assert entry["verification_status"] == "verified"
    assert entry["is_active"] is True
    assert entry["licence_expires_on"] == doctor.licence_expires_on
    assert entry["province"] == "Thành phố Hà Nội" and entry["tier"] == "central"
    assert entry["specialty_ids"] == [doctor.specialties.get().pk]


def _clauses(node):
    """Every query clause of a body, however deeply nested, with the ``bool`` holding it and
    the occurrence (must, should...) it sits in."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "bool":
                for occurrence, children in value.items():
                    for child in children if isinstance(children, list) else []:
                        yield value, occurrence, child
            yield from _clauses(value)
    elif isinstance(node, list):
        for item in node:
            yield from _clauses(item)


def _exact_boosts(body) -> list[tuple[dict, str, str, dict]]:
    """(holding bool, occurrence, field, options) of each clause searching an ``.exact`` field."""
    found = []
    for holder, occurrence, clause in _clauses(body["query"]):
        for options in clause.values():
            if not isinstance(options, dict):
                continue
            for field, settings in options.items():
                if field.endswith(".exact") and isinstance(settings, dict):
                    found.append((holder, occurrence, field, settings))
    return found


@pytest.mark.parametrize(
    ("name", "build"),
    [
        (
            "full_name",
            lambda text: elastic.doctor_search(
                elastic.verified_doctor_filter(date(2026, 11, 26)), [], DoctorQuery(text=text)
            ),
        ),
        ("name", lambda text: elastic.facility_search(FacilityQuery(text=text))),
        (
            "title",
            lambda text: elastic.case_search(elastic.case_visibility_filter(1, [], []), CaseQuery(text=text)),
        ),
    ],
    ids=["doctor", "facility", "case"],
)
def test_text_typed_with_its_diacritics_boosts_the_exact_form_without_being_required(name, build):
    """Folding makes "Đức" and "Dực" the same word; whoever types the marks means one of them,
    so a clause on the ``exact`` sub-field (marks kept) ranks it higher. It is an optional
    boost: text typed without marks must still find every folded match."""
    typed = "Nguyễn Văn Đức"

    [(holder, occurrence, field, settings)] = _exact_boosts(build(typed).to_dict())

    assert field == f"{name}.exact"
    assert settings["query"] == typed  # as typed, not folded
    assert settings["boost"] > 1
    assert occurrence == "should"
    # Something else in the query matches the folded text on its own.
    required = holder.get("must", [])
    alternatives = [clause for clause in holder["should"] if not _exact_boosts({"query": clause})]
    folded_match = {"match": {"all_text": {"query": typed, "operator": "and"}}}
    if required:
        assert folded_match in required
    else:
        assert holder.get("minimum_should_match") == 1
        assert folded_match in alternatives


def test_a_query_without_text_asks_for_no_exact_boost():
    """Browsing (no words, filters only) has nothing to boost: no clause on an ``exact``
    sub-field, every row of the scope matches."""
    body = elastic.facility_search(FacilityQuery(text="  ", tiers=("central",))).to_dict()

    assert _exact_boosts(body) == []
    assert body["query"]["bool"].get("must", []) == []
