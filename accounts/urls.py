"""Doctors' and verifiers' web pages, mounted at /doctors/."""

from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("licence/", views.submit_licence, name="submit_licence"),
    path("licence/<int:submission_id>/scan/", views.licence_scan, name="licence_scan"),
    path("profile/", views.edit_profile, name="profile"),
    path("review/", views.review_queue, name="review_queue"),
    path("review/<int:submission_id>/decision/", views.decide, name="decide"),
    path("review/verified/", views.verified_doctors, name="verified_doctors"),
    path("review/verified/<int:doctor_id>/revoke/", views.revoke, name="revoke"),
    path("review/registry/", views.bulk_verify, name="bulk_verify"),
]
