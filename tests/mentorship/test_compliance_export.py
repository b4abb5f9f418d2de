"""The CSV export streams (server-side cursor, chunk by chunk) and every export is audited."""

from __future__ import annotations

import csv
import io

import pytest
from django.http import StreamingHttpResponse

from audit.models import AuditEvent
from facilities.models import Tier
from mentorship.exports import ExportView
from mentorship.selectors import compliance
from mentorship.services.permissions import NATIONAL
from tests import factories
from tests.mentorship.test_compliance import at, mentor, pair

pytestmark = pytest.mark.django_db


@pytest.fixture
def auditor():
    person = factories.auditor()
    factories.activate_totp(person)
    return person


@pytest.fixture
def mentors():
    facility = factories.facility(Tier.CENTRAL, name="Bệnh viện Chợ Rẫy")
    doctors = [mentor(facility, full_name=f"Bác sĩ {n:02d}") for n in range(5)]
    pair(doctors[0], Tier.COMMUNE, started=at(2026, 9, 1), activity=(at(2026, 9, 20),))
    return doctors


def read(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


def test_the_mentor_export_streams_every_mentor_and_is_audited(client, auditor, mentors):
    client.force_login(auditor)
    response = client.get("/audit/export/mentors.csv", {"as_of": "2026-10-01", "band": "LOW"})

    assert isinstance(response, StreamingHttpResponse) and response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="compliance-mentors-2026-10-01.csv"'
    event = AuditEvent.objects.get(action="mentorship.compliance_exported")
    assert event.actor_id == auditor.pk
    assert event.details["view"] == "mentors" and event.details["as_of"] == "2026-10-01"
    assert event.details["filters"]["band"] == "LOW" and event.details["scope"] == "national"
    rows = read(response)
    header, *lines = rows
    assert header[:5] == ["mentor_id", "full_name", "facility", "province", "tier"]
    assert "commune_in_force" in header
    assert len(lines) == 5
    first = dict(zip(header, next(line for line in lines if line[1] == "Bác sĩ 00"), strict=True))
    assert (first["required"], first["filled"], first["deficit"], first["commune_in_force"]) == (
        "10",
        "1",
        "9",
        "1",
    )
    assert (
        first["engaged"] == "1"
        and first["band"] == "LOW"
        and first["last_activity_at"].startswith("2026-09-20")
    )


@pytest.mark.parametrize("view", [view.value for view in ExportView])
def test_every_view_exports_and_is_audited(client, auditor, mentors, view):
    client.force_login(auditor)
    response = client.get(f"/audit/export/{view}.csv", {"as_of": "2026-10-01"})
    assert response.status_code == 200 and response.streaming
    assert len(read(response)) >= 2
    assert AuditEvent.objects.filter(action="mentorship.compliance_exported", details__view=view).count() == 1


def test_rows_come_from_a_server_side_cursor_in_chunks(mentors, monkeypatch):
    from django.db import connection

    fetches: list[int] = []
    real = connection.chunked_cursor

    def spy():
        cursor = real()
        fetchmany = cursor.fetchmany

        def counted(size):
            batch = fetchmany(size)
            fetches.append(len(batch))
            return batch

        cursor.fetchmany = counted
        return cursor

    monkeypatch.setattr(connection, "chunked_cursor", spy)
    rows = list(compliance.iter_mentor_compliance(NATIONAL, chunk_size=2))
    assert len(rows) == 5
    assert fetches == [2, 2, 1, 0]


@pytest.mark.parametrize("view", [view.value for view in ExportView])
def test_every_export_needs_an_auditor(client, mentors, view):
    assert client.get(f"/audit/export/{view}.csv").status_code == 302  # to sign-in
    client.force_login(factories.doctor())
    assert client.get(f"/audit/export/{view}.csv").status_code == 403
    client.force_login(factories.mentorship_admin())  # runs mentorships, does not audit them
    assert client.get(f"/audit/export/{view}.csv").status_code == 403
    assert not AuditEvent.objects.filter(action="mentorship.compliance_exported").exists()


def test_names_that_look_like_formulas_are_exported_as_text(client, auditor):
    """A spreadsheet would run a cell starting with = + - @ (CSV injection): names are data."""
    facility = factories.facility(Tier.CENTRAL, name='=HYPERLINK("http://evil.example","x")')
    mentor(facility, full_name="@SUM(1+1)")
    client.force_login(auditor)
    header, line = read(client.get("/audit/export/mentors.csv", {"as_of": "2026-10-01"}))
    row = dict(zip(header, line, strict=True))
    assert row["full_name"] == "'@SUM(1+1)"
    assert row["facility"] == "'" + facility.name
    assert row["required"] == "10"  # numbers stay numbers
