"""Web pages of the referrals app (mounted at /referrals/)."""

from django.urls import path

from referrals import views, web
from referrals.selectors.metrics import Grouping

app_name = "referrals"
urlpatterns = [
    path("", web.home, name="home"),
    path("new/", web.new, name="new"),
    path("<uuid:referral_id>/", web.detail, name="detail"),
    path("<uuid:referral_id>/<str:action>/", web.act, name="act"),
    path("<uuid:referral_id>/record.pdf", views.record_download, name="record"),
    path("<uuid:referral_id>/fhir.json", views.fhir_export, name="fhir"),
    *(
        path(
            f"metrics/{grouping.value}.csv",
            views.metrics_export,
            {"grouping": grouping.value},
            name=f"metrics_{grouping.value}",
        )
        for grouping in Grouping
    ),
]
