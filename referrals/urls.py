"""Web pages of the referrals app."""

from django.urls import URLPattern

app_name = "referrals"
urlpatterns: list[URLPattern] = []
