"""Retention per room kind and audited transcript exports, through their commands."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts.models import User
from audit.models import AuditEvent
from chat import services
from chat.models import Message, MessageRevision
from tests import factories
from tests.chat.builders import BODY, case_room, direct_room, send

pytestmark = pytest.mark.django_db


def officer() -> User:
    person = factories.user(is_staff=True)
    person.user_permissions.add(Permission.objects.get(codename="export_transcript"))
    return User.objects.get(pk=person.pk)


def age(message: Message, days: int) -> None:
    Message.objects.filter(pk=message.pk).update(sent_at=timezone.now() - timedelta(days=days))


def test_retention_keeps_everything_by_default(capsys):
    room, first, _second = direct_room()
    age(send(first, room).message, 5000)
    call_command("apply_chat_retention")
    assert Message.objects.count() == 1
    assert "Nothing to remove" in capsys.readouterr().out


def test_retention_removes_old_messages_of_the_configured_kinds_only(settings, capsys):
    settings.CHAT_RETENTION_DAYS = {**settings.CHAT_RETENTION_DAYS, "direct": 30}
    room, first, _second = direct_room()
    case, _case = case_room(None, first)
    old = send(first, room).message
    services.edit_message(first, old.pk, "Đã sửa")
    age(old, 31)
    recent = send(first, room).message
    age(send(first, case).message, 400)
    call_command("apply_chat_retention")
    assert "direct: removed 1 messages" in capsys.readouterr().out
    assert set(Message.objects.values_list("pk", flat=True)) == {
        recent.pk,
        *Message.objects.filter(room=case).values_list("pk", flat=True),
    }
    assert not MessageRevision.objects.exists()
    event = AuditEvent.objects.get(action="chat.retention_applied")
    assert (event.target_id, event.details) == (str(room.pk), {"messages": 1, "days": 30})
    assert send(first, room).message.seq == 3  # seqs are never reused


def test_a_compliance_officer_exports_the_full_record_audited(tmp_path):
    room, first, second = direct_room()
    kept = send(first, room).message
    services.edit_message(first, kept.pk, "Đã sửa")
    gone = send(second, room).message
    services.delete_message(second, gone.pk)
    compliance = officer()
    output = tmp_path / "transcript.json"
    call_command("export_chat_transcript", str(room.public_id), officer=compliance.email, output=str(output))
    transcript = json.loads(output.read_text(encoding="utf-8"))
    assert [m["seq"] for m in transcript["messages"]] == [1, 2]
    first_entry, second_entry = transcript["messages"]
    assert (first_entry["body"], [v["body"] for v in first_entry["earlier_versions"]]) == ("Đã sửa", [BODY])
    assert second_entry["deleted_at"] and [v["body"] for v in second_entry["earlier_versions"]] == [BODY]
    assert second_entry["sender"]["name"] == second.full_name
    event = AuditEvent.objects.get(action="chat.transcript_exported")
    assert (event.actor_id, event.target_id, event.details) == (compliance.pk, str(room.pk), {"messages": 2})


def test_only_compliance_officers_export(capsys):
    room, first, _second = direct_room()
    with pytest.raises(CommandError):
        call_command("export_chat_transcript", str(room.public_id), officer=first.email)
    with pytest.raises(CommandError):
        call_command("export_chat_transcript", "not-a-room", officer=officer().email)
    assert not AuditEvent.objects.filter(action="chat.transcript_exported").exists()
