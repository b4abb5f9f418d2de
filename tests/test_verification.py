"""The licence-verification workflow, as a specification.

unverified → pending → verified | rejected; verified → revoked; verified → expired when the
licence lapses. Verifiers cannot review themselves; every transition is audited and the doctor
is emailed; bulk verification from the national registry is all-or-nothing.
"""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts import services
from accounts.errors import AccountErrorCode
from accounts.models import LicenceSubmission, User, VerificationStatus
from audit.models import AuditEvent
from common.errors import CommonErrorCode, ServiceError
from tests import factories

pytestmark = pytest.mark.django_db(transaction=False)

TODAY = date.today()


def submit(doctor: User, **overrides) -> LicenceSubmission:
    values = {
        "kind": "practice_licence",
        "licence_number": "001234/HNO-GPHN",
        "issuing_authority": "Sở Y tế Hà Nội",
        "issued_on": TODAY - timedelta(days=100),
        "expires_on": TODAY + timedelta(days=365 * 5 - 100),
        "scan": factories.pdf_file(),
    }
    values.update(overrides)
    return services.submit_licence(doctor, **values)


def codes(error: pytest.ExceptionInfo[ServiceError]) -> set[str]:
    return {str(item.code) for item in error.value.errors}


def reload(user: User) -> User:
    return User.objects.get(pk=user.pk)


def png_bytes() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(buffer, "PNG")
    return buffer.getvalue()


class TestSubmission:
    def test_an_unverified_doctor_submits_and_becomes_pending(self, django_capture_on_commit_callbacks):
        doctor = factories.doctor(status=VerificationStatus.UNVERIFIED)
        submission = submit(doctor)
        assert submission.status == VerificationStatus.PENDING
        assert reload(doctor).verification_status == VerificationStatus.PENDING
        event = AuditEvent.objects.get(action="licence.submitted")
        assert (event.actor_id, event.target_id) == (doctor.pk, str(submission.pk))
        assert event.details["from"] == "unverified"

    def test_the_scan_is_stored_privately(self, settings):
        submission = submit(factories.doctor(status=VerificationStatus.UNVERIFIED))
        path = submission.scan.path
        assert path.startswith(str(settings.PRIVATE_MEDIA_ROOT))
        assert not path.startswith(str(settings.MEDIA_ROOT))
        with pytest.raises(ValueError, match="no public URL"):
            _ = submission.scan.url

    def test_a_png_scan_is_accepted_and_its_type_detected_from_content(self):
        scan = SimpleUploadedFile("photo.pdf", png_bytes(), "application/pdf")
        submission = submit(factories.doctor(status=VerificationStatus.UNVERIFIED), scan=scan)
        assert submission.scan_content_type == "image/png"
        assert submission.scan.name.endswith(".png")

    def test_a_file_that_is_neither_image_nor_pdf_is_refused(self):
        doctor = factories.doctor(status=VerificationStatus.UNVERIFIED)
        scan = SimpleUploadedFile("licence.pdf", b"MZ\x90\x00 not a pdf", "application/pdf")
        with pytest.raises(ServiceError) as error:
            submit(doctor, scan=scan)
        assert codes(error) == {AccountErrorCode.FILE_TYPE_NOT_ALLOWED}
        assert error.value.errors[0].field == "scan"
        assert not LicenceSubmission.objects.exists()
        assert reload(doctor).verification_status == VerificationStatus.UNVERIFIED

    def test_an_oversized_scan_is_refused(self, settings):
        settings.LICENCE_SCAN_MAX_BYTES = 1024 * 1024
        big = SimpleUploadedFile("licence.pdf", b"%PDF-1.4\n" + b"0" * (1024 * 1024 + 1))
        with pytest.raises(ServiceError) as error:
            submit(factories.doctor(status=VerificationStatus.UNVERIFIED), scan=big)
        assert codes(error) == {AccountErrorCode.FILE_TOO_LARGE}

    def test_every_problem_is_reported_at_once(self):
        doctor = factories.doctor(status=VerificationStatus.UNVERIFIED)
        with pytest.raises(ServiceError) as error:
            submit(
                doctor,
                licence_number="?",
                issuing_authority="  ",
                issued_on=TODAY + timedelta(days=1),
                expires_on=TODAY,
            )
        fields = {item.field: str(item.code) for item in error.value.errors}
        assert fields == {
            "licenceNumber": AccountErrorCode.INVALID,
            "issuingAuthority": AccountErrorCode.REQUIRED,
            "issuedOn": AccountErrorCode.INVALID_DATES,
            "expiresOn": AccountErrorCode.INVALID_DATES,
        }

    def test_an_expired_licence_is_refused(self):
        with pytest.raises(ServiceError) as error:
            submit(
                factories.doctor(status=VerificationStatus.UNVERIFIED),
                issued_on=TODAY - timedelta(days=2000),
                expires_on=TODAY - timedelta(days=1),
            )
        assert codes(error) == {AccountErrorCode.LICENCE_EXPIRED}

    def test_the_older_practice_certificate_is_accepted(self):
        submission = submit(
            factories.doctor(status=VerificationStatus.UNVERIFIED),
            kind="practice_certificate",
            expires_on=None,
        )
        assert submission.kind == "practice_certificate"

    @pytest.mark.parametrize(
        ("status", "code"),
        [
            (VerificationStatus.PENDING, AccountErrorCode.ALREADY_PENDING),
            (VerificationStatus.VERIFIED, AccountErrorCode.ALREADY_VERIFIED),
        ],
    )
    def test_pending_or_verified_doctors_cannot_submit_again(self, status, code):
        with pytest.raises(ServiceError) as error:
            submit(factories.doctor(status=status))
        assert codes(error) == {code}

    @pytest.mark.parametrize(
        "status", [VerificationStatus.REJECTED, VerificationStatus.REVOKED, VerificationStatus.EXPIRED]
    )
    def test_rejected_revoked_or_expired_doctors_may_submit_again(self, status):
        doctor = factories.doctor(status=status)
        submit(doctor)
        assert reload(doctor).verification_status == VerificationStatus.PENDING


def test_a_doctor_whose_licence_lapsed_renews_before_the_nightly_job(verified_doctor):
    User.objects.filter(pk=verified_doctor.pk).update(licence_expires_on=TODAY - timedelta(days=1))
    doctor = reload(verified_doctor)
    assert services.may_submit_licence(doctor)
    submit(doctor, licence_number="009999/HNO-GPHN")
    assert reload(doctor).verification_status == VerificationStatus.PENDING
    assert AuditEvent.objects.filter(action="licence.expired").count() == 1
    # The nightly job finds nothing left to expire, so the pending status stands.
    assert services.expire_lapsed_licences() == 0
    assert reload(doctor).verification_status == VerificationStatus.PENDING


class TestReview:
    def test_approval_verifies_the_doctor_audits_and_emails(
        self, verifier, django_capture_on_commit_callbacks
    ):
        doctor = factories.doctor(status=VerificationStatus.UNVERIFIED)
        submission = submit(doctor)
        with django_capture_on_commit_callbacks(execute=True):
            services.review_licence(verifier, submission.pk, approve=True)
        doctor = reload(doctor)
        assert doctor.verification_status == VerificationStatus.VERIFIED
        assert doctor.licence_expires_on == submission.expires_on
        services.require_verified_doctor(doctor)
        event = AuditEvent.objects.get(action="licence.verified")
        assert event.actor_id == verifier.pk
        assert event.details["from"] == "pending"
        assert [message.to for message in mail.outbox] == [[doctor.email]]

    def test_rejection_requires_a_reason(self, verifier):
        submission = submit(factories.doctor(status=VerificationStatus.UNVERIFIED))
        with pytest.raises(ServiceError) as error:
            services.review_licence(verifier, submission.pk, approve=False, reason="  ")
        assert codes(error) == {AccountErrorCode.REASON_REQUIRED}

    def test_rejection_records_the_reason_and_tells_the_doctor(
        self, verifier, django_capture_on_commit_callbacks
    ):
        doctor = factories.doctor(status=VerificationStatus.UNVERIFIED)
        submission = submit(doctor)
        with django_capture_on_commit_callbacks(execute=True):
            services.review_licence(verifier, submission.pk, approve=False, reason="Số giấy phép không khớp")
        assert reload(doctor).verification_status == VerificationStatus.REJECTED
        assert (
            AuditEvent.objects.get(action="licence.rejected").details["reason"] == "Số giấy phép không khớp"
        )
        assert "Số giấy phép không khớp" in mail.outbox[0].body

    def test_a_verifier_cannot_review_themselves(self):
        verifier = factories.verifier()
        submission = submit(verifier)
        with pytest.raises(ServiceError) as error:
            services.review_licence(verifier, submission.pk, approve=True)
        assert codes(error) == {AccountErrorCode.SELF_REVIEW}
        assert reload(verifier).verification_status == VerificationStatus.PENDING

    def test_only_verifiers_review(self, verified_doctor):
        submission = submit(factories.doctor(status=VerificationStatus.UNVERIFIED))
        with pytest.raises(ServiceError) as error:
            services.review_licence(verified_doctor, submission.pk, approve=True)
        assert codes(error) == {AccountErrorCode.PERMISSION_DENIED}

    def test_a_verifier_without_an_authenticator_app_is_refused(self):
        verifier = factories.verifier(totp=False)
        submission = submit(factories.doctor(status=VerificationStatus.UNVERIFIED))
        with pytest.raises(ServiceError) as error:
            services.review_licence(verifier, submission.pk, approve=True)
        assert codes(error) == {AccountErrorCode.MFA_REQUIRED}

    def test_a_decided_submission_cannot_be_decided_again(self, verifier):
        submission = submit(factories.doctor(status=VerificationStatus.UNVERIFIED))
        services.review_licence(verifier, submission.pk, approve=False, reason="Ảnh mờ")
        with pytest.raises(ServiceError) as error:
            services.review_licence(verifier, submission.pk, approve=True)
        assert codes(error) == {AccountErrorCode.INVALID_TRANSITION}

    def test_one_licence_number_verifies_one_doctor_only(self, verifier):
        first = factories.doctor(status=VerificationStatus.UNVERIFIED)
        second = factories.doctor(status=VerificationStatus.UNVERIFIED)
        services.review_licence(verifier, submit(first, licence_number="000777/HNO-GPHN").pk, approve=True)
        submission = submit(second, licence_number="000777/HNO-GPHN")
        with pytest.raises(ServiceError) as error:
            services.review_licence(verifier, submission.pk, approve=True)
        assert codes(error) == {AccountErrorCode.LICENCE_IN_USE}

    def test_an_unknown_submission_is_not_found(self, verifier):
        with pytest.raises(ServiceError) as error:
            services.review_licence(verifier, 987654, approve=True)
        assert codes(error) == {AccountErrorCode.NOT_FOUND}


class TestRevocationAndExpiry:
    def test_revocation_needs_a_reason_and_ends_verification(self, verifier, verified_doctor):
        with pytest.raises(ServiceError) as error:
            services.revoke_verification(verifier, verified_doctor.pk, reason="")
        assert codes(error) == {AccountErrorCode.REASON_REQUIRED}
        services.revoke_verification(verifier, verified_doctor.pk, reason="Giấy phép bị thu hồi")
        doctor = reload(verified_doctor)
        assert doctor.verification_status == VerificationStatus.REVOKED
        assert doctor.licence_expires_on is None
        assert AuditEvent.objects.filter(action="licence.revoked", actor=verifier).count() == 1

    def test_only_a_verified_doctor_can_be_revoked(self, verifier):
        pending = factories.doctor(status=VerificationStatus.PENDING)
        with pytest.raises(ServiceError) as error:
            services.revoke_verification(verifier, pending.pk, reason="x")
        assert codes(error) == {AccountErrorCode.INVALID_TRANSITION}

    def test_a_verifier_cannot_revoke_themselves(self):
        verifier = factories.verifier()
        with pytest.raises(ServiceError) as error:
            services.revoke_verification(verifier, verifier.pk, reason="x")
        assert codes(error) == {AccountErrorCode.SELF_REVIEW}

    def test_lapsed_licences_expire_once_and_are_audited(self, verified_doctor):
        lapse_day = verified_doctor.licence_expires_on + timedelta(days=1)
        assert services.expire_lapsed_licences(today=verified_doctor.licence_expires_on) == 0
        assert services.expire_lapsed_licences(today=lapse_day) == 1
        assert services.expire_lapsed_licences(today=lapse_day) == 0
        assert reload(verified_doctor).verification_status == VerificationStatus.EXPIRED
        event = AuditEvent.objects.get(action="licence.expired")
        assert event.actor is None


class TestTheOneRule:
    """Only active, verified doctors with a current licence may act."""

    def test_a_verified_doctor_may_act(self, verified_doctor):
        assert services.require_verified_doctor(verified_doctor) == verified_doctor

    @pytest.mark.parametrize(
        "status",
        [
            VerificationStatus.UNVERIFIED,
            VerificationStatus.PENDING,
            VerificationStatus.REJECTED,
            VerificationStatus.REVOKED,
            VerificationStatus.EXPIRED,
        ],
    )
    def test_other_doctors_are_refused_with_not_verified(self, status):
        with pytest.raises(ServiceError) as error:
            services.require_verified_doctor(factories.doctor(status=status))
        assert codes(error) == {CommonErrorCode.NOT_VERIFIED}

    def test_a_verified_doctor_whose_licence_lapsed_today_is_refused_before_the_cron_runs(
        self, verified_doctor
    ):
        verified_doctor.licence_expires_on = timezone.localdate() - timedelta(days=1)
        with pytest.raises(ServiceError) as error:
            services.require_verified_doctor(verified_doctor)
        assert codes(error) == {CommonErrorCode.NOT_VERIFIED}

    def test_a_deactivated_doctor_is_refused(self, verified_doctor):
        verified_doctor.is_active = False
        with pytest.raises(ServiceError) as error:
            services.require_verified_doctor(verified_doctor)
        assert codes(error) == {CommonErrorCode.ACCOUNT_INACTIVE}

    def test_the_query_form_of_the_rule_agrees_with_the_rule(self):
        """Selectors filter with ``verified_doctors_q``: it must admit exactly those the rule does."""
        from accounts.selectors import verified_doctors_q

        yesterday = timezone.localdate() - timedelta(days=1)
        people = [factories.doctor(status=status) for status in VerificationStatus.values]
        people.append(factories.doctor(is_active=False))
        people.append(factories.doctor())
        people[-1].licence_expires_on = yesterday
        people[-1].save(update_fields=["licence_expires_on"])
        admitted = set(User.objects.filter(verified_doctors_q()).values_list("pk", flat=True))
        assert admitted == {person.pk for person in people if services.is_verified_doctor(person)}
        assert len(admitted) == 1

    def test_anonymous_visitors_are_refused(self):
        from django.contrib.auth.models import AnonymousUser

        for anonymous in (None, AnonymousUser()):
            with pytest.raises(ServiceError) as error:
                services.require_verified_doctor(anonymous)
            assert codes(error) == {CommonErrorCode.NOT_AUTHENTICATED}


def registry_csv(*rows: tuple[str, str, str], header: str = "licence_number,name,title") -> io.BytesIO:
    lines = [header, *(",".join(row) for row in rows)]
    return io.BytesIO(("\n".join(lines) + "\n").encode("utf-8"))


class TestBulkVerification:
    def test_matching_pending_doctors_are_verified_and_mismatches_listed(self, verifier):
        match = factories.doctor(
            status=VerificationStatus.UNVERIFIED, full_name="Trần Thị Hồng", title="BS.CKI"
        )
        wrong_name = factories.doctor(status=VerificationStatus.UNVERIFIED, full_name="Lê Văn Đức")
        submit(match, licence_number="000111/HNO-GPHN")
        submit(wrong_name, licence_number="000222/HNO-GPHN")
        report = services.bulk_verify_from_registry(
            verifier,
            registry_csv(
                ("000111/HNO-GPHN", "trần  thị HỒNG", "BS.CKI"),
                ("000222/HNO-GPHN", "Lê Văn Đúc", ""),
                ("999999/XYZ", "Không Có", ""),
            ),
        )
        assert report.verified == [match.pk]
        assert [(m.line, m.licence_number) for m in report.mismatches] == [
            (3, "000222/HNO-GPHN"),
            (4, "999999/XYZ"),
        ]
        assert [m.code for m in report.mismatches] == ["NAME_DIFFERS", "NO_PENDING_DOCTOR"]
        assert "Lê Văn Đúc" in report.mismatches[0].problem
        assert reload(match).verification_status == VerificationStatus.VERIFIED
        assert reload(wrong_name).verification_status == VerificationStatus.PENDING
        event = AuditEvent.objects.get(action="licence.verified")
        assert event.details["source"] == "registry"

    def test_a_malformed_extract_changes_nothing(self, verifier):
        doctor = factories.doctor(status=VerificationStatus.UNVERIFIED, full_name="Trần Thị Hồng")
        submit(doctor, licence_number="000111/HNO-GPHN")
        with pytest.raises(ServiceError) as error:
            services.bulk_verify_from_registry(
                verifier, registry_csv(("000111/HNO-GPHN", "Trần Thị Hồng"), header="licence_number,name")
            )
        assert codes(error) == {AccountErrorCode.INVALID_CSV}
        with pytest.raises(ServiceError):
            services.bulk_verify_from_registry(
                verifier, io.BytesIO("licence_number,name,title\n".encode("utf-16"))
            )
        assert reload(doctor).verification_status == VerificationStatus.PENDING
        assert not AuditEvent.objects.filter(action="licence.verified").exists()

    def test_a_verifier_in_the_extract_is_not_self_verified(self):
        verifier = factories.verifier(full_name="Phạm Minh Tuấn")
        submit(verifier, licence_number="000333/HNO-GPHN")
        report = services.bulk_verify_from_registry(
            verifier, registry_csv(("000333/HNO-GPHN", "Phạm Minh Tuấn", ""))
        )
        assert report.verified == []
        assert report.mismatches[0].code == "SELF_REVIEW"

    def test_two_pending_doctors_with_one_number_are_listed_not_guessed(self, verifier):
        for name in ("Trần Thị Hồng", "Trần Thị Hồng"):
            submit(
                factories.doctor(status=VerificationStatus.UNVERIFIED, full_name=name),
                licence_number="000888/X",
            )
        report = services.bulk_verify_from_registry(verifier, registry_csv(("000888/X", "Trần Thị Hồng", "")))
        assert report.verified == []
        assert [m.code for m in report.mismatches] == ["DUPLICATE_NUMBER"]

    def test_only_verifiers_may_bulk_verify(self, verified_doctor):
        with pytest.raises(ServiceError) as error:
            services.bulk_verify_from_registry(verified_doctor, registry_csv())
        assert codes(error) == {AccountErrorCode.PERMISSION_DENIED}


class TestScanViewing:
    def test_the_doctor_and_verifiers_open_a_scan_and_each_viewing_is_audited(self, verifier):
        doctor = factories.doctor(status=VerificationStatus.UNVERIFIED)
        submission = submit(doctor)
        for viewer in (doctor, verifier):
            assert services.open_licence_scan(viewer, submission.pk) == submission
        viewers = AuditEvent.objects.filter(action="licence.scan_viewed").values_list("actor_id", flat=True)
        assert sorted(viewers) == sorted([doctor.pk, verifier.pk])

    def test_anyone_else_gets_not_found(self, verified_doctor):
        submission = submit(factories.doctor(status=VerificationStatus.UNVERIFIED))
        with pytest.raises(ServiceError) as error:
            services.open_licence_scan(verified_doctor, submission.pk)
        assert codes(error) == {AccountErrorCode.NOT_FOUND}
        assert not AuditEvent.objects.filter(action="licence.scan_viewed").exists()
