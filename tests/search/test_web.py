"""The search page (/search/): verified doctors only; results, highlights, facets, pages, and
refused input shown on the form."""

from __future__ import annotations

import pytest

from accounts.models import VerificationStatus
from network.models import Case
from tests import factories
from tests.network.test_cases_builders import published_case
from tests.search.builders import named_doctor, searcher

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(client):
    """The page in English, whose texts these tests read."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get("/search/?q=duc")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_doctors_not_verified_are_told_why(client):
    client.force_login(factories.doctor(status=VerificationStatus.PENDING))
    assert client.get("/search/?q=duc").status_code == 403


def test_doctor_search_shows_cards_highlights_and_facets(client):
    duc = named_doctor("Nguyễn Văn Đức")
    client.force_login(searcher())

    response = client.get("/search/", {"q": "nguyen van duc tim mach ha noi", "kind": "doctors"})

    page = response.content.decode()
    assert response.status_code == 200
    assert str(duc.public_id) in page  # the card links to the profile
    assert "<mark>Nguyễn</mark> <mark>Văn</mark> <mark>Đức</mark>" in page
    assert 'data-total="1"' in page
    assert "Tim mạch" in page and "(1)" in page  # the specialty facet


def test_case_search_obeys_visibility(client):
    viewer = searcher()
    published_case(factories.doctor(), title="Đau ngực trái cấp")
    published_case(
        factories.doctor(),
        title="Đau ngực riêng tư",
        visibility=Case.Visibility.NAMED,
        audience=(factories.doctor(),),
    )
    client.force_login(viewer)

    page = client.get("/search/", {"q": "dau nguc", "kind": "cases"}).content.decode()

    assert "<mark>Đau</mark> <mark>ngực</mark> trái cấp" in page
    assert "riêng tư" not in page
    assert 'data-total="1"' in page


def test_refused_input_is_shown_on_the_form(client):
    client.force_login(searcher())

    page = client.get(
        "/search/", {"kind": "cases", "published_from": "2026-05-02", "published_to": "2026-05-01"}
    )

    assert page.status_code == 200
    assert "The end date is before the start date." in page.content.decode()
    assert "data-total" not in page.content.decode()


def test_pages_of_results(client):
    for n in range(22):
        named_doctor(f"Nguyễn Văn Đức {n}")
    client.force_login(searcher())

    first = client.get("/search/", {"q": "duc"}).content.decode()
    second = client.get("/search/", {"q": "duc", "page": "2"}).content.decode()

    assert 'rel="next"' in first and 'rel="prev"' not in first
    assert 'rel="prev"' in second and 'rel="next"' not in second


def test_a_page_past_the_deepest_one_is_refused_on_the_form(client):
    named_doctor("Nguyễn Văn Đức")
    client.force_login(searcher())

    response = client.get("/search/", {"q": "duc", "kind": "doctors", "page": "100000"})

    assert response.status_code == 200
    assert "Only the first 10000 results can be paged through" in response.content.decode()
