"""The consultation record: a PDF in Vietnamese with participants, licence numbers, times, the
case summary, question and answer; its SHA-256 audited; tampering detected by the command."""

from __future__ import annotations

import hashlib
import io

import pytest
from django.core.management import CommandError, call_command
from pypdf import PdfReader

from audit.models import AuditEvent
from referrals.models import ConsultationRecord, Referral
from tests.referrals.conftest import advance, refer

pytestmark = pytest.mark.django_db


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
