"""The site menu offers the review queue by the verifier rule (permission and authenticator)."""

from __future__ import annotations

import pytest

from tests import factories

pytestmark = pytest.mark.django_db

REVIEW_LINK = 'href="/doctors/review/"'


@pytest.mark.parametrize(("totp", "shown"), [(True, True), (False, False)])
def test_the_menu_links_the_review_queue_only_for_verifiers_who_may_review(client, totp, shown):
    verifier = factories.verifier(totp=totp, is_staff=False)
    client.force_login(verifier)
    page = client.get("/").content.decode()
    assert (REVIEW_LINK in page) is shown


def test_doctors_see_no_review_link(client, verified_doctor):
    client.force_login(verified_doctor)
    assert REVIEW_LINK not in client.get("/").content.decode()
