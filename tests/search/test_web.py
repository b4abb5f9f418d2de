"""The search page (/search/): verified doctors only; results, highlights, facets, pages, and
refused input shown on the form."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import VerificationStatus
from network.models import Case
from tests import factories
from tests.network.test_cases_builders import comment_on, published_case
from tests.search.builders import hospital, named_doctor, searcher

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


# --- The header's search box ---------------------------------------------------------------------


class _SiteSearchForms(HTMLParser):
    """The attributes of each ``form.site-search`` of a page, and of the inputs inside it."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []
        self._inside = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "form" and "site-search" in (attributes.get("class") or "").split():
            self.forms.append({**attributes, "inputs": []})
            self._inside = True
        elif tag == "input" and self._inside:
            self.forms[-1]["inputs"].append(attributes)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._inside = False


def site_search_forms(response) -> list[dict[str, Any]]:
    parser = _SiteSearchForms()
    parser.feed(response.content.decode())
    return parser.forms


def test_the_header_search_box_sends_its_words_to_the_search_page(client):
    """Every page of a verified doctor (the feed here) carries a search box in the header: it
    GETs the search page with its words as ``q``, and the page answers them (doctors, the
    default kind) and keeps them in the box."""
    duc = named_doctor("Nguyễn Văn Đức")
    client.force_login(searcher())

    feed = client.get("/network/")
    assert feed.status_code == 200
    [box] = site_search_forms(feed)
    assert box["action"] == reverse("search:search")
    assert (box.get("method") or "get").lower() == "get"
    [words] = [field for field in box["inputs"] if field.get("type") == "search"]
    submitted = {field["name"]: field.get("value") or "" for field in box["inputs"] if field.get("name")}
    submitted[words["name"]] = "nguyen van duc"

    results = client.get(box["action"], submitted)

    page = results.content.decode()
    assert results.status_code == 200
    assert 'data-total="1"' in page
    assert str(duc.public_id) in page
    assert "<mark>Nguyễn</mark> <mark>Văn</mark> <mark>Đức</mark>" in page
    [echoed] = site_search_forms(results)
    assert [field.get("value") for field in echoed["inputs"] if field.get("type") == "search"] == [
        "nguyen van duc"
    ]


def test_only_verified_doctors_see_the_header_search_box(client):
    """The search page is for verified doctors alone: a box leading others to a refusal is
    not shown, neither to anonymous visitors nor to a doctor awaiting verification."""
    assert client.get("/").status_code == 200
    assert site_search_forms(client.get("/")) == []

    client.force_login(factories.doctor(status=VerificationStatus.PENDING))
    profile = client.get(reverse("accounts:profile"))
    assert profile.status_code == 200
    assert 'action="/accounts/logout/"' in profile.content.decode()  # the signed-in header
    assert site_search_forms(profile) == []


@pytest.mark.parametrize("kind", ["doctors", "cases", "facilities"])
def test_a_page_of_results_costs_the_same_for_2_and_20_hits(client, django_assert_max_num_queries, kind):
    """No query per card: the page reads its rows, their cards and facets in a fixed number of
    queries, whatever the number of hits."""

    def make(n: int) -> None:
        for index in range(n):
            if kind == "doctors":
                named_doctor(f"Nguyễn Văn Đức {index}", facility=hospital(f"Bệnh viện {index}"))
            elif kind == "cases":
                case = published_case(factories.doctor(), title=f"Đau ngực {index}")
                comment_on(case, factories.doctor())
            else:
                hospital(f"Bệnh viện Đa khoa {index}")

    text = {"doctors": "nguyen van duc", "cases": "dau nguc", "facilities": "benh vien da khoa"}[kind]
    client.force_login(searcher())
    make(2)
    with CaptureQueriesContext(connection) as two:
        assert 'data-total="2"' in client.get("/search/", {"q": text, "kind": kind}).content.decode()
    make(18)

    with django_assert_max_num_queries(len(two)):
        page = client.get("/search/", {"q": text, "kind": kind}).content.decode()

    assert 'data-total="20"' in page
