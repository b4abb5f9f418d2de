"""A verifier uploads the national registry extract; matching pending doctors are verified and
the rest are listed. An unreadable file changes nothing."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts import services
from accounts.models import VerificationStatus
from audit.models import AuditEvent
from tests import factories

pytestmark = pytest.mark.django_db

URL = "/doctors/review/registry/"


def extract(text: str, encoding: str = "utf-8") -> SimpleUploadedFile:
    return SimpleUploadedFile("registry.csv", text.encode(encoding), "text/csv")


def pending(full_name: str, number: str):
    doctor = factories.doctor(status=VerificationStatus.UNVERIFIED, full_name=full_name)
    factories.licence_submission(doctor, licence_number=number)
    doctor.verification_status = VerificationStatus.PENDING
    doctor.save()
    return doctor


def test_matching_doctors_are_verified_and_mismatches_listed(signed_in, verifier):
    duc = pending("Nguyễn Văn Đức", "000111/HNO-GPHN")
    lan = pending("Phạm Thị Lan", "000222/HNO-GPHN")

    response = signed_in(verifier).post(
        URL,
        {
            "file": extract(
                "licence_number,name,title\n"
                "000111/HNO-GPHN,nguyễn văn  đức,BS.CKII\n"
                "000222/HNO-GPHN,Phạm Thị Hoa,BS.CKII\n"
                "999999/XXX,Lê Văn A,\n"
            )
        },
    )

    assert response.status_code == 200
    assert [doctor.pk for doctor in response.context["verified"]] == [duc.pk]
    assert [(m.line, m.licence_number) for m in response.context["report"].mismatches] == [
        (3, "000222/HNO-GPHN"),
        (4, "999999/XXX"),
    ]
    html = response.content.decode()
    assert "Nguyễn Văn Đức" in html and "999999/XXX" in html
    duc.refresh_from_db()
    lan.refresh_from_db()
    assert (duc.verification_status, lan.verification_status) == (
        VerificationStatus.VERIFIED,
        VerificationStatus.PENDING,
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            extract("number,name\n000111/HNO-GPHN,Nguyễn Văn Đức\n"),
            "The extract lacks the columns: licence_number, title.",
        ),
        (
            extract("licence_number,name,title\n000111/HNO-GPHN,Nguyễn Văn Đức,\n", "utf-16"),
            "The extract must be UTF-8 text.",
        ),
    ],
)
def test_an_unreadable_extract_changes_nothing(signed_in, verifier, content, message):
    duc = pending("Nguyễn Văn Đức", "000111/HNO-GPHN")
    events_before = AuditEvent.objects.count()

    response = signed_in(verifier).post(URL, {"file": content})

    assert response.status_code == 200
    assert response.context["form"].errors["file"] == [message]
    assert response.context["report"] is None
    duc.refresh_from_db()
    assert duc.verification_status == VerificationStatus.PENDING
    assert AuditEvent.objects.count() == events_before


def test_verified_doctors_are_listed_in_the_order_of_the_extract(signed_in, verifier):
    duc = pending("Nguyễn Văn Đức", "000111/HNO-GPHN")
    lan = pending("Phạm Thị Lan", "000222/HNO-GPHN")

    response = signed_in(verifier).post(
        URL,
        {
            "file": extract(
                "licence_number,name,title\n000222/HNO-GPHN,Phạm Thị Lan,\n000111/HNO-GPHN,Nguyễn Văn Đức,\n"
            )
        },
    )

    assert [doctor.pk for doctor in response.context["verified"]] == [lan.pk, duc.pk]


def test_a_failure_midway_rolls_back_the_doctors_already_verified(
    signed_in, verifier, monkeypatch, django_capture_on_commit_callbacks
):
    duc = pending("Nguyễn Văn Đức", "000111/HNO-GPHN")
    lan = pending("Phạm Thị Lan", "000222/HNO-GPHN")
    events_before = AuditEvent.objects.count()
    decide = services._decide
    decisions = []

    def fails_the_second_time(submission, *args, **kwargs):
        decisions.append(submission.doctor_id)
        if len(decisions) == 2:
            raise RuntimeError("the database went away")
        decide(submission, *args, **kwargs)

    monkeypatch.setattr(services, "_decide", fails_the_second_time)
    client = signed_in(verifier)

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        client.post(
            URL,
            {
                "file": extract(
                    "licence_number,name,title\n"
                    "000111/HNO-GPHN,Nguyễn Văn Đức,BS.CKII\n"
                    "000222/HNO-GPHN,Phạm Thị Lan,BS.CKII\n"
                )
            },
        )

    assert decisions == [duc.pk, lan.pk]  # the first doctor was verified before the failure
    for doctor in (duc, lan):
        doctor.refresh_from_db()
        assert doctor.verification_status == VerificationStatus.PENDING
        assert doctor.licence_submissions.get().status == VerificationStatus.PENDING
    assert AuditEvent.objects.count() == events_before
    assert mail.outbox == []
