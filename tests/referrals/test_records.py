"""The consultation record: a PDF in Vietnamese with participants, licence numbers, times, the
case summary, question and answer; its SHA-256 audited; tampering detected by the command."""

from __future__ import annotations

import hashlib
import io
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from pypdf import PdfReader

from audit.models import AuditEvent
from referrals.models import ConsultationRecord, Referral
from referrals.services import referrals as services
from tests.referrals.conftest import advance, complete, refer

pytestmark = pytest.mark.django_db

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")  # the site's time zone: the record's times are local


def text_of(stored: ConsultationRecord) -> str:
    """The record's text, whitespace collapsed (PDF lines break anywhere)."""
    with stored.file.open("rb") as pdf:
        content = pdf.read()
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages).split())


@pytest.fixture
def completed(requester, consultant, case) -> Referral:
    return advance(refer(requester, case, consultant), Referral.Status.COMPLETED, requester, consultant)


def test_the_record_holds_the_consultation_in_vietnamese(completed, requester, consultant):
    stored = ConsultationRecord.objects.get(referral=completed)
    content = stored.file.open("rb").read()
    assert content.startswith(b"%PDF-")
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    flat = " ".join(text.split())
    for expected in (
        requester.full_name,  # "Nguyễn Văn Đức …": Vietnamese letters survive
        consultant.full_name,
        requester.licence_submissions.get().licence_number,
        consultant.facility.name,
        "Đau ngực kéo dài",
        "Xin ý kiến về chỉ định can thiệp mạch vành.",
        "Hội chứng vành cấp",
    ):
        assert expected in flat, expected
    audited = AuditEvent.objects.get(action="referral.record_generated", target_id=str(completed.pk))
    assert audited.details["sha256"] == stored.sha256 == hashlib.sha256(content).hexdigest()


def test_the_verify_command_detects_an_altered_record(completed, capsys):
    call_command("verify_consultation_records")
    assert "All 1 consultation record(s) match" in capsys.readouterr().out

    stored = ConsultationRecord.objects.get(referral=completed)
    path = stored.file.path
    with open(path, "r+b") as pdf:
        pdf.seek(200)
        pdf.write(b"X")
    with pytest.raises(CommandError, match="1 of 1"):
        call_command("verify_consultation_records")
    assert "altered" in capsys.readouterr().err


def test_a_missing_record_file_is_reported(completed):
    stored = ConsultationRecord.objects.get(referral=completed)
    stored.file.storage.delete(stored.file.name)
    with pytest.raises(CommandError):
        call_command("verify_consultation_records")


def test_only_the_two_participants_download_the_record(client, completed, requester, consultant, case):
    from tests import factories

    url = f"/referrals/{completed.public_id}/record.pdf"
    client.force_login(factories.doctor())
    assert client.get(url).status_code == 404
    client.force_login(requester)
    response = client.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content).startswith(b"%PDF-")
    assert AuditEvent.objects.filter(action="referral.record_viewed", actor=requester).exists()


def test_the_record_cannot_be_changed_or_deleted(completed):
    from referrals.models import ImmutableRecordError

    stored = ConsultationRecord.objects.get(referral=completed)
    stored.sha256 = "0" * 64
    with pytest.raises(ImmutableRecordError):
        stored.save()
    with pytest.raises(ImmutableRecordError):
        stored.delete()
    assert ConsultationRecord.objects.get(referral=completed).sha256 != "0" * 64


def test_a_record_row_removed_behind_the_audit_log_is_reported(completed, capsys):
    ConsultationRecord.objects.filter(referral=completed).delete()  # e.g. by hand in SQL
    with pytest.raises(CommandError, match="1 of 1"):
        call_command("verify_consultation_records")
    assert f"referral {completed.pk}: missing" in capsys.readouterr().err


def test_the_record_names_the_consultants_licence_and_the_times(requester, consultant, case):
    requested = datetime(2025, 3, 4, 8, 15, tzinfo=HANOI)
    referral = refer(requester, case, consultant, now=requested)
    services.accept_referral(consultant, referral.public_id, now=datetime(2025, 3, 4, 9, 40, tzinfo=HANOI))
    services.start_referral(consultant, referral.public_id, now=datetime(2025, 3, 4, 9, 41, tzinfo=HANOI))
    completed = datetime(2025, 3, 5, 14, 5, tzinfo=HANOI)
    referral = services.complete_referral(
        consultant,
        referral.public_id,
        assessment="Hội chứng vành cấp không ST chênh lên.",
        recommendation="Điều trị nội khoa tối ưu.",
        transfer_advised=False,
        follow_up_plan="Tái khám sau 1 tuần.",
        now=completed,
    )

    flat = text_of(ConsultationRecord.objects.get(referral=referral))
    assert consultant.licence_submissions.get().licence_number in flat
    assert requester.licence_submissions.get().licence_number in flat
    requested_accepted_completed = ("04/03/2025 08:15", "04/03/2025 09:40", "05/03/2025 14:05")
    for moment in requested_accepted_completed:
        assert moment in flat, moment


def test_the_record_shows_the_times_in_the_sites_time_zone(requester, consultant, case):
    """A moment stored in UTC is printed as the clock in Việt Nam read it (UTC+7)."""
    referral = refer(requester, case, consultant, now=datetime(2025, 6, 30, 20, 30, tzinfo=UTC))
    referral = complete(consultant, advance(referral, Referral.Status.IN_PROGRESS, requester, consultant))

    assert "01/07/2025 03:30" in text_of(ConsultationRecord.objects.get(referral=referral))
