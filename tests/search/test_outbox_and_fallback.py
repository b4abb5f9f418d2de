"""Elasticsearch down never fails or blocks a change, and never fails a search: updates wait in
the outbox (written in the change's transaction) and PostgreSQL answers searches. The cluster
is "down" the real way: the real client pointed at a closed local port (connection refused)."""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import psycopg
import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.test import override_settings

from network.models import Case
from network.services import cases as case_services
from search import breaker, outbox
from search.backends.base import CaseQuery, DoctorQuery, FacilityQuery
from search.backends.postgres import PostgresBackend
from search.models import CaseDocument, IndexKind, OutboxEntry
from search.selectors import search_cases, search_doctors, search_facilities
from tests import factories
from tests.graphql import conftest as graphql_conftest
from tests.graphql.conftest import data_of
from tests.network.test_cases_builders import case_fields
from tests.search.builders import hospital, named_doctor, searcher
from tests.search.conftest import closed_port_url

pytestmark = pytest.mark.django_db

graphql = graphql_conftest.graphql


@pytest.fixture
def unreachable(settings):
    settings.ELASTICSEARCH_URL = closed_port_url()
    return settings.ELASTICSEARCH_URL


class HungCluster:
    """A cluster that accepts connections and never answers (a hung node, a half-dead network):
    every attempt costs ELASTICSEARCH_TIMEOUT. The kernel completes the handshakes; ``attempts``
    counts the connections made so far."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0), backlog=64)
        self.server.setblocking(False)
        self.connections: list[socket.socket] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.getsockname()[1]}"

    def attempts(self) -> int:
        while True:
            try:
                self.connections.append(self.server.accept()[0])
            except BlockingIOError:
                return len(self.connections)

    def close(self) -> None:
        for each in [*self.connections, self.server]:
            each.close()


@pytest.fixture
def hung(settings):
    cluster = HungCluster()
    settings.ELASTICSEARCH_URL = cluster.url
    settings.ELASTICSEARCH_TIMEOUT = 0.3
    settings.ELASTICSEARCH_PAUSE_SECONDS = 30
    yield cluster
    cluster.close()


def test_without_elasticsearch_nothing_is_queued(settings, django_capture_on_commit_callbacks):
    settings.ELASTICSEARCH_URL = ""
    author = factories.doctor()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        case_services.create_case(author, **case_fields())
    assert OutboxEntry.objects.count() == 0
    assert callbacks == []


def test_a_case_is_saved_while_elasticsearch_is_down_and_its_update_waits(
    unreachable, django_capture_on_commit_callbacks, caplog
):
    author = factories.doctor()
    with django_capture_on_commit_callbacks(execute=True), caplog.at_level(logging.WARNING, "search.outbox"):
        case = case_services.create_case(author, **case_fields(title="Đau ngực trái cấp"))

    assert Case.objects.filter(pk=case.pk).exists()
    assert CaseDocument.objects.filter(case=case).exists()  # PostgreSQL's document, same transaction
    [entry] = OutboxEntry.objects.filter(kind=IndexKind.CASE, object_id=case.pk)
    assert entry.attempts == 1
    assert "Connection" in entry.last_error
    assert "Search outbox" in caplog.text

    # Further saves skip the after-commit attempt for a while (no waiting at every save).
    with django_capture_on_commit_callbacks(execute=True):
        case_services.update_case(author, case.pk, title="Đau ngực trái cấp, vã mồ hôi")
    entries = OutboxEntry.objects.filter(kind=IndexKind.CASE, object_id=case.pk)
    assert sorted(entries.values_list("attempts", flat=True)) == [0, 1]


def test_the_drain_command_keeps_entries_while_the_cluster_is_down_then_applies_them(unreachable):
    doctor = factories.doctor()  # its creation queued a doctor entry
    pending = OutboxEntry.objects.filter(kind=IndexKind.DOCTOR, object_id=doctor.pk)
    assert pending.exists()

    with pytest.raises(CommandError, match="unreachable"):
        call_command("search_drain_outbox")
    assert pending.exists()
    assert set(pending.values_list("attempts", flat=True)) == {1}

    # The cluster back (here a backend that works): the same entries drain and are gone.
    outcome = outbox.drain(backend=PostgresBackend())
    assert outcome.failed == 0 and outcome.applied >= 1
    assert OutboxEntry.objects.count() == 0


def test_an_entry_written_while_its_row_is_applied_is_kept():
    entry = OutboxEntry.objects.create(kind=IndexKind.CASE, object_id=123456)

    class ChangingBackend(PostgresBackend):
        def index(self, kind: str, ids: list[int]) -> None:
            # A change committed meanwhile writes its own entry; it must survive this batch.
            OutboxEntry.objects.create(kind=kind, object_id=ids[0])
            super().index(kind, ids)

    outbox.apply(OutboxEntry.objects.filter(pk=entry.pk), ChangingBackend())

    assert list(OutboxEntry.objects.values_list("object_id", flat=True)) == [123456]


def test_searches_fall_back_to_postgresql_when_elasticsearch_is_unreachable(unreachable, caplog):
    duc = named_doctor("Nguyễn Văn Đức")
    with caplog.at_level(logging.WARNING, "search"):
        page = search_doctors(searcher(), DoctorQuery(text="nguyen van duc"), offset=0, limit=10)

    assert [row.pk for row in page.rows] == [duc.pk]
    assert page.backend == "postgresql"
    assert "Elasticsearch unavailable, PostgreSQL answers" in caplog.text


def test_graphql_searches_show_no_error_when_elasticsearch_is_unreachable(unreachable, graphql):
    named_doctor("Nguyễn Văn Đức")
    viewer = searcher()
    graphql.login(viewer)

    result = data_of(
        graphql(
            '{ searchDoctors(query: "duc", first: 5) { totalCount errors { code } } '
            'searchCases(query: "dau", first: 5) { totalCount errors { code } } }'
        )
    )

    assert result["searchDoctors"] == {"totalCount": 1, "errors": []}
    assert result["searchCases"] == {"totalCount": 0, "errors": []}


def test_search_cases_falls_back_too(unreachable):
    from search.backends.base import CaseQuery
    from tests.network.test_cases_builders import published_case

    case = published_case(factories.doctor(), title="Đau ngực")

    page = search_cases(searcher(), CaseQuery(text="dau nguc"), offset=0, limit=5)

    assert [row.pk for row in page.rows] == [case.pk]
    assert page.backend == "postgresql"


def test_the_drain_command_has_nothing_to_do_without_elasticsearch(settings):
    from io import StringIO

    settings.ELASTICSEARCH_URL = ""
    out = StringIO()

    call_command("search_drain_outbox", stdout=out)

    assert "PostgreSQL search needs no outbox" in out.getvalue()


@contextmanager
def _held_elsewhere(name: str) -> Iterator[None]:
    """The advisory lock ``name`` held by another database session (another applier)."""
    from django.db import connection

    database = connection.settings_dict
    with psycopg.connect(
        dbname=database["NAME"],
        user=database["USER"],
        password=database["PASSWORD"] or None,
        host=database["HOST"],
        port=database["PORT"] or 5432,
        autocommit=True,
    ) as other:
        other.execute("SELECT pg_advisory_lock(hashtextextended(%s, 0))", [name])
        yield


def test_a_row_being_applied_by_another_process_waits_for_the_next_drain():
    # Two appliers sending one row's states could land the older one last in Elasticsearch.
    busy = OutboxEntry.objects.create(kind=IndexKind.CASE, object_id=123456)
    OutboxEntry.objects.create(kind=IndexKind.CASE, object_id=654321)

    with _held_elsewhere(outbox.lock_key(IndexKind.CASE, 123456)):
        outcome = outbox.apply(OutboxEntry.objects.all(), PostgresBackend())
    assert (outcome.applied, outcome.failed) == (1, 0)
    assert list(OutboxEntry.objects.values_list("pk", "attempts")) == [(busy.pk, 0)]

    assert outbox.drain(PostgresBackend()).applied == 1
    assert not OutboxEntry.objects.exists()


def test_updates_made_while_an_index_is_rebuilt_wait_for_the_new_index():
    entry = OutboxEntry.objects.create(kind=IndexKind.CASE, object_id=123456)
    doctor = OutboxEntry.objects.create(kind=IndexKind.DOCTOR, object_id=123456)

    with _held_elsewhere(outbox.lock_key(IndexKind.CASE)):  # search_reindex case running
        outcome = outbox.apply(OutboxEntry.objects.all(), PostgresBackend())
    assert (outcome.applied, outcome.failed) == (1, 0)
    assert list(OutboxEntry.objects.values_list("pk", flat=True)) == [entry.pk]
    assert not OutboxEntry.objects.filter(pk=doctor.pk).exists()


def test_an_entry_the_cluster_keeps_refusing_does_not_hold_back_the_others():
    class RefusingOne(PostgresBackend):
        def index(self, kind: str, ids: list[int]) -> None:
            if 111 in ids:
                raise RuntimeError("Elasticsearch refused a index: mapper_parsing_exception")
            super().index(kind, ids)

    for object_id in (111, 222, 333):
        OutboxEntry.objects.create(kind=IndexKind.CASE, object_id=object_id)

    assert outbox.drain(RefusingOne(), batch=1).failed == 1
    outcome = outbox.drain(RefusingOne(), batch=1)  # the next cron run

    assert (outcome.applied, outcome.failed) == (2, 1)
    assert list(OutboxEntry.objects.values_list("object_id", "attempts")) == [(111, 2)]
    assert not outcome.outage  # one refused document says nothing of the cluster: saves go on


def test_an_unreachable_cluster_is_an_outage_for_the_outbox(unreachable):
    """The real client on a closed port: the failed entry is kept, and the outcome tells the
    after-commit hook to leave the cluster alone for a while."""
    OutboxEntry.objects.create(kind=IndexKind.CASE, object_id=1)

    outcome = outbox.apply(OutboxEntry.objects.all())

    assert (outcome.failed, outcome.outage) == (1, True)


class Abandoned(Exception):
    """Raised to roll a change's transaction back."""


def test_an_edit_rolled_back_leaves_no_outbox_entry_and_the_document_as_it_was(
    unreachable, django_capture_on_commit_callbacks
):
    """The outbox entry and the PostgreSQL document are written by the change's own
    transaction: when it rolls back they go with it, and Elasticsearch is never asked to show
    an edit that did not happen."""
    author = factories.doctor()
    case = case_services.create_case(author, **case_fields(title="Đau ngực trái cấp"))
    document = CaseDocument.objects.get(case=case).document
    entries = set(OutboxEntry.objects.values_list("pk", flat=True))
    assert "'dau'" in document

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(Abandoned),
        transaction.atomic(),  # the change's transaction, rolled back by the exception
    ):
        case_services.update_case(author, case.pk, title="Viêm phổi thùy dưới")
        # Written inside the transaction (so the rollback below is what removes them).
        assert OutboxEntry.objects.filter(kind=IndexKind.CASE, object_id=case.pk).exclude(pk__in=entries)
        assert "'viem'" in CaseDocument.objects.get(case=case).document
        raise Abandoned

    assert callbacks == []  # no after-commit apply left behind
    assert set(OutboxEntry.objects.values_list("pk", flat=True)) == entries
    assert CaseDocument.objects.get(case=case).document == document
    assert Case.objects.get(pk=case.pk).title == "Đau ngực trái cấp"


def test_a_creation_rolled_back_leaves_no_outbox_entry_and_no_document(
    unreachable, django_capture_on_commit_callbacks
):
    """A case created in a transaction that rolls back was never there, for search either."""
    author = factories.doctor()
    entries = set(OutboxEntry.objects.values_list("pk", flat=True))

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(Abandoned),
        transaction.atomic(),  # the change's transaction, rolled back by the exception
    ):
        case = case_services.create_case(author, **case_fields(title="Đau ngực trái cấp"))
        assert OutboxEntry.objects.filter(kind=IndexKind.CASE, object_id=case.pk).exists()
        assert CaseDocument.objects.filter(case_id=case.pk).exists()
        raise Abandoned

    assert callbacks == []
    assert set(OutboxEntry.objects.values_list("pk", flat=True)) == entries
    assert not OutboxEntry.objects.filter(kind=IndexKind.CASE, object_id=case.pk).exists()
    assert not CaseDocument.objects.filter(case_id=case.pk).exists()
    assert not Case.objects.filter(pk=case.pk).exists()


def test_facility_search_falls_back_to_postgresql_when_elasticsearch_is_unreachable(unreachable, caplog):
    """Facilities are public reference data: with the cluster down, PostgreSQL still finds them
    and the failure is logged as a warning, not raised."""
    bach_mai = hospital("Bệnh viện Bạch Mai")
    hospital("Bệnh viện Chợ Rẫy")
    with caplog.at_level(logging.WARNING, "search"):
        page = search_facilities(FacilityQuery(text="bach mai"), offset=0, limit=10)

    assert [row.pk for row in page.rows] == [bach_mai.pk]
    assert page.total == 1
    assert page.backend == "postgresql"
    [warning] = [record for record in caplog.records if record.name == "search"]
    assert warning.levelno == logging.WARNING
    assert "Elasticsearch unavailable, PostgreSQL answers" in warning.getMessage()


def test_after_a_hung_cluster_fails_a_search_the_process_leaves_it_alone_for_a_while(
    hung, caplog, settings, django_capture_on_commit_callbacks
):
    """A hung cluster costs the first search ELASTICSEARCH_TIMEOUT; then searches of every kind
    go straight to PostgreSQL (with no warning each) and saves leave their updates to the
    drain, until the pause is over and the next search tries the cluster again."""
    duc = named_doctor("Nguyễn Văn Đức")
    viewer = searcher()
    with caplog.at_level(logging.WARNING, "search"):
        first = search_doctors(viewer, DoctorQuery(text="nguyen van duc"), offset=0, limit=10)
    assert ([row.pk for row in first.rows], first.backend) == ([duc.pk], "postgresql")
    assert hung.attempts() == 1
    [warning] = [record for record in caplog.records if record.name == "search"]
    assert "PostgreSQL answers searches for the next 30 s" in warning.getMessage()

    caplog.clear()
    with caplog.at_level(logging.WARNING, "search"):
        with django_capture_on_commit_callbacks(execute=True):
            case = case_services.create_case(viewer, **case_fields(title="Đau ngực trái cấp"))  # a draft
        later = [
            search_doctors(viewer, DoctorQuery(text="duc"), offset=0, limit=10),
            search_facilities(FacilityQuery(text="bach mai"), offset=0, limit=10),
            search_cases(viewer, CaseQuery(text="dau nguc"), offset=0, limit=10),
        ]
    assert {page.backend for page in later} == {"postgresql"}
    assert [row.pk for row in later[0].rows] == [duc.pk]
    assert [row.pk for row in later[2].rows] == [case.pk]
    assert hung.attempts() == 1  # nobody waited on the cluster again
    assert OutboxEntry.objects.get(kind=IndexKind.CASE, object_id=case.pk).attempts == 0  # for the drain
    assert caplog.records == []

    settings.ELASTICSEARCH_PAUSE_SECONDS = 0.2
    breaker.elasticsearch_failed()  # a failure now, with the short pause
    time.sleep(0.3)
    search_doctors(viewer, DoctorQuery(text="duc"), offset=0, limit=10)
    assert hung.attempts() == 2


def test_after_a_failed_save_searches_leave_the_cluster_alone_too(hung, django_capture_on_commit_callbacks):
    """The rest is one for the whole process: an update that failed after commit sends the
    searches that follow straight to PostgreSQL."""
    author = factories.doctor()
    with django_capture_on_commit_callbacks(execute=True):
        case = case_services.create_case(author, **case_fields(title="Đau ngực trái cấp"))
    assert hung.attempts() == 1
    assert OutboxEntry.objects.get(kind=IndexKind.CASE, object_id=case.pk).attempts == 1

    page = search_cases(author, CaseQuery(text="dau nguc"), offset=0, limit=10)  # their draft

    assert ([row.pk for row in page.rows], page.backend) == ([case.pk], "postgresql")
    assert hung.attempts() == 1


@contextmanager
def answering_cluster(status: int) -> Iterator[list[str]]:
    """A local HTTP server answering every request with ``status`` and an Elasticsearch error
    body; yields the paths asked, in order."""
    asked: list[str] = []

    class Answer(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            asked.append(self.path)
            body = json.dumps({"error": {"type": "refused", "reason": "refused"}, "status": status}).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("X-Elastic-Product", "Elasticsearch")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_PUT = do_POST

        def log_message(self, *args: object) -> None:
            """Quiet: the test reads ``asked``, not the server's log."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Answer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with override_settings(ELASTICSEARCH_URL=f"http://127.0.0.1:{server.server_port}"):
            yield asked
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(("status", "outage"), [(400, False), (429, True), (503, True)])
def test_only_an_outage_rests_the_cluster_a_refused_search_does_not(status, outage, caplog):
    """A 5xx or 429 says the cluster is down or overloaded: later searches leave it alone. A
    4xx refuses this one search (a bug to fix, logged as an error): the next search asks again.
    Either way PostgreSQL answers."""
    duc = named_doctor("Nguyễn Văn Đức")
    viewer = searcher()
    with answering_cluster(status) as asked, caplog.at_level(logging.WARNING, "search"):
        pages = [
            search_doctors(viewer, DoctorQuery(text="nguyen van duc"), offset=0, limit=10) for _ in range(2)
        ]

    assert [([row.pk for row in page.rows], page.backend) for page in pages] == [([duc.pk], "postgresql")] * 2
    assert len(asked) == (1 if outage else 2)
    [level] = {record.levelno for record in caplog.records if record.name == "search"}
    assert level == (logging.WARNING if outage else logging.ERROR)
