"""The network's web endpoints, mounted at /network/."""

from django.urls import path

from network import views

app_name = "network"

urlpatterns = [
    path("attachments/<int:attachment_id>/", views.case_attachment, name="case_attachment"),
]
