"""Web pages of the search app."""

from django.urls import URLPattern, path

from search import web

app_name = "search"
urlpatterns: list[URLPattern] = [path("", web.search, name="search")]
