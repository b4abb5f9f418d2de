"""allauth's pages wear the site layout: stylesheet, menu, language switcher."""

from __future__ import annotations

import pytest

from tests import factories

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("url", ["/accounts/login/", "/accounts/signup/", "/accounts/password/reset/"])
def test_entrance_pages_use_the_site_layout(client, url):
    html = client.get(url).content.decode()

    assert 'href="/static/css/tuyen.css"' in html
    assert 'action="/i18n/setlang/"' in html
    assert '<div class="card narrow">' in html


def test_account_pages_have_the_settings_menu(signed_in):
    html = signed_in(factories.user()).get("/accounts/email/").content.decode()

    assert 'class="manage"' in html
    for link in ("/doctors/profile/", "/accounts/password/change/", "/accounts/2fa/", "/accounts/sessions/"):
        assert f'href="{link}"' in html


def test_allauth_buttons_get_the_site_classes(client):
    html = client.get("/accounts/login/").content.decode()

    assert 'class="button primary"' in html
