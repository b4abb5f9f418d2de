"""Emails to doctors about their verification, sent only once the decision is committed."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation

from accounts.models import LicenceSubmission

logger = logging.getLogger(__name__)


def send_verification_decision(submission: LicenceSubmission) -> None:
    doctor = submission.doctor
    context = {"doctor": doctor, "submission": submission, "status": submission.status}
    with translation.override(settings.LANGUAGE_CODE):
        subject = render_to_string("accounts/email/verification_decision_subject.txt", context).strip()
        body = render_to_string("accounts/email/verification_decision.txt", context)
    try:
        send_mail(subject, body, None, [doctor.email])
    except OSError:
        # The decision stands; the doctor also sees it in the app. Log for the operators.
        logger.exception("Could not email verification decision %s to doctor %s", submission.pk, doctor.pk)


def send_verification_decision_on_commit(submission: LicenceSubmission) -> None:
    transaction.on_commit(lambda: send_verification_decision(submission))
