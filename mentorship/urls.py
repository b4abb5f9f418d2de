"""The compliance audit's web pages, mounted at /audit/ (``mentorship.views``)."""

from django.urls import path

from mentorship import views
from mentorship.exports import ExportView

app_name = "mentorship"

urlpatterns = [
    path("", views.dashboard, name="audit_dashboard"),
    *(
        path(
            f"export/{view.value}.csv", views.export, {"view": view.value}, name=f"audit_export_{view.value}"
        )
        for view in ExportView
    ),
]
