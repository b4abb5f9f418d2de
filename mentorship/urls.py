"""The mentorship app's web pages.

``urlpatterns`` (namespace ``mentorship``) is mounted at /audit/: the compliance dashboard and
its CSV downloads (``mentorship.views``), and the planner's pages for mentorship administrators
(``mentorship.web``). ``doctor_urlpatterns`` (namespace ``mentoring``) is mounted at
/mentorship/: the doctors' mentoring page and its buttons (``mentorship.web``).
"""

from django.urls import path

from mentorship import views, web
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
    path("plans/", web.plans, name="plans"),
    path("plans/run/", web.plan_run, name="plan_run"),
    path("plans/<uuid:plan_id>/", web.plan_detail, name="plan"),
    path("plans/<uuid:plan_id>/apply/", web.plan_action, {"action": "apply"}, name="plan_apply"),
    path("plans/<uuid:plan_id>/discard/", web.plan_action, {"action": "discard"}, name="plan_discard"),
]

doctor_urlpatterns = [
    path("", web.mentoring, name="home"),
    path("propose/", web.propose, name="propose"),
    path("<uuid:mentorship_id>/accept/", web.answer, {"action": "accept"}, name="accept"),
    path("<uuid:mentorship_id>/decline/", web.answer, {"action": "decline"}, name="decline"),
    path("<uuid:mentorship_id>/withdraw/", web.answer, {"action": "withdraw"}, name="withdraw"),
    path("<uuid:mentorship_id>/end/", web.end, name="end"),
]
