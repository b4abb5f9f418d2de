"""The Elasticsearch backend, written with the official client's DSL (``elasticsearch.dsl``).

Analysis folds as :func:`search.folding.fold` does: a mapping char filter writes đ/Đ as d/D
(explicitly, not trusting ``asciifolding`` alone), then ``lowercase`` and ``asciifolding``.
Every text field keeps an ``exact`` sub-field (lower-cased, diacritics kept) that boosts
matches typed with their diacritics. Indexes are reached through aliases
(``<prefix>-doctors`` ...): ``search_reindex`` builds a new index and swaps the alias.

Who may see a case or find a doctor is the scope the selectors pass in: the filter below
restates ``cases_visible_to`` for the cluster (author, visibility, connections, audience,
blocks read from PostgreSQL at query time) so ranks and facets are computed over the visible
set, and the selectors load the page's rows through ``cases_visible_to`` itself. No highlights
are asked for: the selectors mark the live rows, so text edited out since indexing never shows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from elasticsearch import Elasticsearch, dsl, helpers

from accounts.models import User, VerificationStatus
from facilities.models import Facility
from network.models import Case, CaseAudience
from network.selectors.connections import blocked_either_way_ids, peer_ids
from search.backends.base import (
    CaseQuery,
    CaseScope,
    DoctorQuery,
    DoctorScope,
    FacetValue,
    FacilityQuery,
    Hits,
)
from search.models import IndexKind

# --- Analysis and mappings ---------------------------------------------------------------------

VIETNAMESE_D = dsl.analysis.char_filter("tuyen_vietnamese_d", "mapping", mappings=["đ => d", "Đ => D"])
FOLDED = dsl.analyzer(
    "tuyen_folded", tokenizer="standard", char_filter=[VIETNAMESE_D], filter=["lowercase", "asciifolding"]
)
EXACT = dsl.analyzer("tuyen_exact", tokenizer="standard", filter=["lowercase"])


def _text(**options: Any) -> dsl.Text:
    """Folded text with an ``exact`` sub-field, copied into ``all_text``."""
    fields = {"exact": dsl.Text(analyzer=EXACT), **options.pop("fields", {})}
    return dsl.Text(analyzer=FOLDED, fields=fields, copy_to="all_text", **options)


class DoctorEntry(dsl.Document):
    row_id = dsl.Long()  # the row's primary key: the last tie-breaker of every sort
    full_name = _text(fields={"raw": dsl.Keyword()})
    title = _text()
    specialties = _text()
    facility = _text()
    province = _text()
    specialty_ids = dsl.Integer(multi=True)
    province_code = dsl.Integer()
    tier = dsl.Keyword()
    verification_status = dsl.Keyword()
    is_active = dsl.Boolean()
    licence_expires_on = dsl.Date()
    all_text = dsl.Text(analyzer=FOLDED)


class FacilityEntry(dsl.Document):
    row_id = dsl.Long()  # the row's primary key: the last tie-breaker of every sort
    name = _text(fields={"raw": dsl.Keyword()})
    province = _text()
    commune = _text()
    province_code = dsl.Integer()
    tier = dsl.Keyword()
    is_active = dsl.Boolean()
    all_text = dsl.Text(analyzer=FOLDED)


class CaseEntry(dsl.Document):
    row_id = dsl.Long()  # the row's primary key: the last tie-breaker of every sort
    title = _text()
    presenting_problem = _text()
    history = _text()
    findings = _text()
    investigations = _text()
    question = _text()
    tags = _text(multi=True)
    icd10_codes = dsl.Keyword(multi=True, copy_to="all_text")
    specialty = _text()
    specialty_id = dsl.Integer()
    status = dsl.Keyword()
    published_at = dsl.Date()
    author_id = dsl.Long()
    visibility = dsl.Keyword()
    audience_ids = dsl.Long(multi=True)
    removed = dsl.Boolean()  # deleted by its author or hidden by a moderator
    all_text = dsl.Text(analyzer=FOLDED)


ENTRIES: dict[str, type[dsl.Document]] = {
    IndexKind.DOCTOR: DoctorEntry,
    IndexKind.FACILITY: FacilityEntry,
    IndexKind.CASE: CaseEntry,
}


def alias_name(kind: str) -> str:
    return f"{settings.ELASTICSEARCH_INDEX_PREFIX}-{kind}s"


def index_definition(kind: str, name: str) -> dsl.Index:
    """The index ``name`` for ``kind``: settings, analysis and mapping (``.to_dict()`` is the body)."""
    index = dsl.Index(name)
    index.settings(number_of_shards=1, number_of_replicas=0)
    index.document(ENTRIES[kind])
    return index


# --- Rows to entries ---------------------------------------------------------------------------


def _doctor_rows(ids: list[int] | None) -> QuerySet[User]:
    rows = User.objects.select_related("facility__province").prefetch_related("specialties")
    return rows.filter(pk__in=ids) if ids is not None else rows


def _doctor_entry(doctor: User) -> dict[str, Any]:
    facility = doctor.facility
    specialties = list(doctor.specialties.all())
    return {
        "full_name": doctor.full_name,
        "title": " ".join(part for part in (doctor.title, doctor.position) if part),
        "specialties": [f"{s.name_vi} {s.name_en}" for s in specialties],
        "specialty_ids": [s.pk for s in specialties],
        "facility": facility.name if facility else None,
        "province": facility.province.name if facility else None,
        "province_code": facility.province_id if facility else None,
        "tier": facility.tier if facility else None,
        "verification_status": doctor.verification_status,
        "is_active": doctor.is_active,
        "licence_expires_on": doctor.licence_expires_on,
    }


def _facility_rows(ids: list[int] | None) -> QuerySet[Facility]:
    rows = Facility.objects.select_related("province", "commune")
    return rows.filter(pk__in=ids) if ids is not None else rows


def _facility_entry(facility: Facility) -> dict[str, Any]:
    return {
        "name": facility.name,
        "province": facility.province.name,
        "commune": facility.commune.name if facility.commune else None,
        "province_code": facility.province_id,
        "tier": facility.tier,
        "is_active": facility.is_active,
    }


def _case_rows(ids: list[int] | None) -> QuerySet[Case]:
    audience = Prefetch("audience", queryset=CaseAudience.objects.only("case_id", "doctor_id"))
    rows = Case.objects.select_related("specialty").prefetch_related(audience)
    return rows.filter(pk__in=ids) if ids is not None else rows


def _case_entry(case: Case) -> dict[str, Any]:
    return {
        "title": case.title,
        "presenting_problem": case.presenting_problem,
        "history": case.history,
        "findings": case.findings,
        "investigations": case.investigations,
        "question": case.question,
        "tags": list(case.tags),
        "icd10_codes": list(case.icd10_codes),
        "specialty": f"{case.specialty.name_vi} {case.specialty.name_en}",
        "specialty_id": case.specialty_id,
        "status": case.status,
        "published_at": case.published_at,
        "author_id": case.author_id,
        "visibility": case.visibility,
        "audience_ids": [member.doctor_id for member in case.audience.all()],
        "removed": case.deleted_at is not None or case.hidden_at is not None,
    }


SOURCES: dict[str, tuple[Callable[[list[int] | None], QuerySet[Any]], Callable[[Any], dict[str, Any]]]] = {
    IndexKind.DOCTOR: (_doctor_rows, _doctor_entry),
    IndexKind.FACILITY: (_facility_rows, _facility_entry),
    IndexKind.CASE: (_case_rows, _case_entry),
}


def index_actions(
    kind: str, index: str, ids: list[int] | None = None, chunk: int = 1000
) -> Iterator[dict[str, Any]]:
    """Bulk actions indexing the rows of ``ids`` (every row when None) and deleting the
    entries of ``ids`` whose rows are gone."""
    rows, entry = SOURCES[kind]
    seen: set[int] = set()
    for row in rows(ids).order_by("pk").iterator(chunk_size=chunk):
        seen.add(row.pk)
        yield {
            "_op_type": "index",
            "_index": index,
            "_id": row.pk,
            "_source": {"row_id": row.pk, **entry(row)},
        }
    for gone in sorted(set(ids or ()) - seen):
        yield {"_op_type": "delete", "_index": index, "_id": gone}


# --- Queries -----------------------------------------------------------------------------------

FACET_SIZE = 100


def _with_facets(search: dsl.Search, facets: dict[str, str]) -> dsl.Search:
    for name, field in facets.items():
        search.aggs.bucket(name, "terms", field=field, size=FACET_SIZE)
    return search


def _named_text(text: str, name: str, *, fuzzy: bool) -> dsl.query.Query:
    """Every word somewhere (folded) or, ``fuzzy``, every word with a typo at most
    (``fuzziness: AUTO``: none under 3 letters, one up to 5, two beyond); diacritics typed as
    written boost the exact form of ``name``. As on PostgreSQL, the fuzzy query is only asked
    when the plain one finds nothing (``ElasticBackend._named``)."""
    words = {"query": text, "operator": "and", **({"fuzziness": "AUTO"} if fuzzy else {})}
    return dsl.Q(
        "bool",
        should=[
            dsl.Q("match", all_text=words),
            dsl.Q("match_phrase", **{f"{name}.exact": {"query": text, "boost": 3}}),
        ],
        minimum_should_match=1,
    )


def doctor_search(
    scope_filter: list[dsl.query.Query], excluded: list[int], query: DoctorQuery, *, fuzzy: bool = False
) -> dsl.Search:
    filters = list(scope_filter)
    if query.specialty_ids:
        filters.append(dsl.Q("terms", specialty_ids=list(query.specialty_ids)))
    if query.province_codes:
        filters.append(dsl.Q("terms", province_code=list(query.province_codes)))
    if query.tiers:
        filters.append(dsl.Q("terms", tier=list(query.tiers)))
    if query.verification_statuses:
        filters.append(dsl.Q("terms", verification_status=list(query.verification_statuses)))
    must = [_named_text(query.text, "full_name", fuzzy=fuzzy)] if query.text.strip() else []
    must_not = [dsl.Q("ids", values=[str(pk) for pk in excluded])] if excluded else []
    search = dsl.Search().query(dsl.Q("bool", must=must, filter=filters, must_not=must_not))
    search = search.sort("_score", "full_name.raw", "row_id")
    return _with_facets(
        search.extra(track_total_hits=True),
        {
            "specialty": "specialty_ids",
            "province": "province_code",
            "tier": "tier",
            "verification_status": "verification_status",
        },
    )


def verified_doctor_filter(today: date) -> list[dsl.query.Query]:
    """``accounts.selectors.verified_doctors_q`` for the cluster."""
    return [
        dsl.Q("term", is_active=True),
        dsl.Q("term", verification_status=str(VerificationStatus.VERIFIED)),
        dsl.Q(
            "bool",
            should=[
                dsl.Q("bool", must_not=[dsl.Q("exists", field="licence_expires_on")]),
                dsl.Q("range", licence_expires_on={"gte": today.isoformat()}),
            ],
            minimum_should_match=1,
        ),
    ]


def facility_search(query: FacilityQuery, *, fuzzy: bool = False) -> dsl.Search:
    filters = [dsl.Q("term", is_active=True)]
    if query.province_codes:
        filters.append(dsl.Q("terms", province_code=list(query.province_codes)))
    if query.tiers:
        filters.append(dsl.Q("terms", tier=list(query.tiers)))
    must = [_named_text(query.text, "name", fuzzy=fuzzy)] if query.text.strip() else []
    search = dsl.Search().query(dsl.Q("bool", must=must, filter=filters))
    search = search.sort("_score", "name.raw", "row_id")
    return _with_facets(search.extra(track_total_hits=True), {"province": "province_code", "tier": "tier"})


def case_visibility_filter(viewer_id: int, peers: list[int], blocked: list[int]) -> dsl.query.Query:
    """``network.selectors.cases.cases_visible_to`` for the cluster: not removed, and the
    viewer's own, or published with a visibility admitting the viewer by an author not
    blocked either way."""
    admitted = dsl.Q(
        "bool",
        should=[
            dsl.Q("term", visibility=str(Case.Visibility.NETWORK)),
            dsl.Q(
                "bool",
                filter=[
                    dsl.Q("term", visibility=str(Case.Visibility.CONNECTIONS)),
                    dsl.Q("terms", author_id=peers),
                ],
            ),
            dsl.Q(
                "bool",
                filter=[
                    dsl.Q("term", visibility=str(Case.Visibility.NAMED)),
                    dsl.Q("term", audience_ids=viewer_id),
                ],
            ),
        ],
        minimum_should_match=1,
    )
    others = dsl.Q(
        "bool",
        filter=[dsl.Q("exists", field="published_at"), admitted],
        must_not=[dsl.Q("terms", author_id=blocked)] if blocked else [],
    )
    return dsl.Q(
        "bool",
        filter=[dsl.Q("term", removed=False)],
        should=[dsl.Q("term", author_id=viewer_id), others],
        minimum_should_match=1,
    )


def case_search(visibility: dsl.query.Query, query: CaseQuery) -> dsl.Search:
    filters = [visibility]
    if query.specialty_ids:
        filters.append(dsl.Q("terms", specialty_id=list(query.specialty_ids)))
    if query.statuses:
        filters.append(dsl.Q("terms", status=list(query.statuses)))
    published: dict[str, str] = {}
    if query.published_from:
        published["gte"] = _day_start(query.published_from).isoformat()
    if query.published_to:
        published["lt"] = _day_start(query.published_to + timedelta(days=1)).isoformat()
    if published:
        filters.append(dsl.Q("range", published_at=published))
    must = []
    if query.text.strip():
        must.append(
            dsl.Q(
                "bool",
                must=[dsl.Q("match", all_text={"query": query.text, "operator": "and"})],
                should=[
                    dsl.Q("match", title={"query": query.text, "boost": 3}),
                    dsl.Q("match", tags={"query": query.text, "boost": 2}),
                    dsl.Q("match_phrase", **{"title.exact": {"query": query.text, "boost": 2}}),
                ],
            )
        )
    search = dsl.Search().query(dsl.Q("bool", must=must, filter=filters))
    newest_first: dict[str, Any] = {"published_at": {"order": "desc", "missing": "_first"}}
    search = search.sort("_score", newest_first, {"row_id": {"order": "desc"}})
    return _with_facets(
        search.extra(track_total_hits=True), {"specialty": "specialty_id", "status": "status"}
    )


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def hits_from_body(body: dict[str, Any]) -> Hits:
    """A search response's body as :class:`Hits`."""
    hits = body["hits"]["hits"]
    return Hits(
        ids=[int(hit["_id"]) for hit in hits],
        total=body["hits"]["total"]["value"],
        facets={
            name: [
                FacetValue(value=str(bucket["key"]), count=bucket["doc_count"])
                for bucket in aggregation["buckets"]
            ]
            for name, aggregation in body.get("aggregations", {}).items()
        },
    )


@lru_cache(maxsize=4)
def client(url: str) -> Elasticsearch:
    # No retries: a search falls back to PostgreSQL, an outbox entry waits for the next drain.
    return Elasticsearch(
        url, request_timeout=settings.ELASTICSEARCH_TIMEOUT, max_retries=0, retry_on_timeout=False
    )


class ElasticBackend:
    name = "elasticsearch"

    def __init__(self, url: str) -> None:
        self.client = client(url)

    def _run(self, kind: str, search: dsl.Search, offset: int, limit: int) -> Hits:
        response = search[offset : offset + limit].using(self.client).index(alias_name(kind)).execute()
        return hits_from_body(response.to_dict())

    def _named(
        self, kind: str, text: str, search: Callable[[bool], dsl.Search], offset: int, limit: int
    ) -> Hits:
        """The plain search, or when it finds nothing, the one tolerating a typo per word."""
        hits = self._run(kind, search(False), offset, limit)
        if hits.total or not text.strip():
            return hits
        return self._run(kind, search(True), offset, limit)

    def doctors(self, scope: DoctorScope, query: DoctorQuery, offset: int, limit: int) -> Hits:
        if scope.doctors.query.is_empty():
            return Hits(ids=[], total=0)
        scope_filter = [] if scope.all_accounts else verified_doctor_filter(timezone.localdate())
        excluded = list(scope.excluded_ids)
        return self._named(
            IndexKind.DOCTOR,
            query.text,
            lambda fuzzy: doctor_search(scope_filter, excluded, query, fuzzy=fuzzy),
            offset,
            limit,
        )

    def facilities(self, scope: QuerySet[Facility], query: FacilityQuery, offset: int, limit: int) -> Hits:
        return self._named(
            IndexKind.FACILITY, query.text, lambda fuzzy: facility_search(query, fuzzy=fuzzy), offset, limit
        )

    def cases(self, scope: CaseScope, query: CaseQuery, offset: int, limit: int) -> Hits:
        if scope.viewer_id is None:
            return Hits(ids=[], total=0)
        visibility = case_visibility_filter(
            scope.viewer_id, list(peer_ids(scope.viewer_id)), list(blocked_either_way_ids(scope.viewer_id))
        )
        return self._run(IndexKind.CASE, case_search(visibility, query), offset, limit)

    def index(self, kind: str, ids: list[int]) -> None:
        ensure_alias(self.client, kind)
        bulk(self.client, index_actions(kind, alias_name(kind), ids))


def ensure_alias(es: Elasticsearch, kind: str) -> None:
    """Create an empty index behind ``kind``'s alias if there is none yet, so an update never
    auto-creates an index without our mapping (``search_reindex`` fills it)."""
    alias = alias_name(kind)
    if not es.indices.exists_alias(name=alias):
        name = f"{alias}-{timezone.now():%Y%m%d%H%M%S%f}"
        index_definition(kind, name).create(using=es)
        es.indices.put_alias(index=name, name=alias)


def bulk(es: Elasticsearch, actions: Any) -> int:
    """Run bulk ``actions``; a delete of an entry already gone is fine, any other error raises."""
    done = 0
    for ok, item in helpers.streaming_bulk(es, actions, raise_on_error=False, max_retries=0):
        ((operation, result),) = item.items()
        if not ok and not (operation == "delete" and result.get("status") == 404):
            raise RuntimeError(f"Elasticsearch refused a {operation}: {result}")
        done += 1
    return done
