"""The network's web endpoints, mounted at /network/: the doctors' and moderators' pages
(``network.web``) and the attachment download (``network.views``)."""

from django.urls import path

from network import views, web

app_name = "network"

urlpatterns = [
    path("attachments/<int:attachment_id>/", views.case_attachment, name="case_attachment"),
    path("attachments/<int:attachment_id>/remove/", web.attachment_remove, name="attachment_remove"),
    # Feed and cases
    path("", web.feed, name="feed"),
    path("cases/mine/", web.my_cases, name="my_cases"),
    path("cases/new/", web.case_new, name="case_new"),
    path("cases/<uuid:case_id>/", web.case_detail, name="case"),
    path("cases/<uuid:case_id>/edit/", web.case_edit, name="case_edit"),
    path("cases/<uuid:case_id>/attachments/", web.case_attachments, name="case_attachments"),
    path("cases/<uuid:case_id>/publish/", web.case_action, {"action": "publish"}, name="case_publish"),
    path("cases/<uuid:case_id>/close/", web.case_action, {"action": "close"}, name="case_close"),
    path("cases/<uuid:case_id>/reopen/", web.case_action, {"action": "reopen"}, name="case_reopen"),
    path("cases/<uuid:case_id>/delete/", web.case_delete, name="case_delete"),
    path("cases/<uuid:case_id>/report/", web.case_report, name="case_report"),
    path("cases/<uuid:case_id>/comments/", web.comment_add, name="comment_add"),
    path("cases/<uuid:case_id>/mentionable/", web.case_mentionable, name="case_mentionable"),
    # Comments
    path("comments/<uuid:comment_id>/edit/", web.comment_edit, name="comment_edit"),
    path("comments/<uuid:comment_id>/delete/", web.comment_delete, name="comment_delete"),
    path("comments/<uuid:comment_id>/helpful/", web.comment_helpful, name="comment_helpful"),
    path("comments/<uuid:comment_id>/accept/", web.accept_answer, name="accept_answer"),
    path("comments/<uuid:comment_id>/report/", web.comment_report, name="comment_report"),
    # Doctors and connections
    path("doctors/<uuid:doctor_id>/", web.doctor_profile, name="doctor"),
    path("doctors/<uuid:doctor_id>/connect/", web.connect, name="connect"),
    path(
        "doctors/<uuid:doctor_id>/disconnect/",
        web.doctor_action,
        {"action": "disconnect"},
        name="disconnect",
    ),
    path("doctors/<uuid:doctor_id>/block/", web.doctor_action, {"action": "block"}, name="block"),
    path("doctors/<uuid:doctor_id>/unblock/", web.doctor_action, {"action": "unblock"}, name="unblock"),
    path("connections/", web.connections, name="connections"),
    path(
        "requests/<int:request_id>/accept/", web.request_action, {"action": "accept"}, name="request_accept"
    ),
    path(
        "requests/<int:request_id>/decline/",
        web.request_action,
        {"action": "decline"},
        name="request_decline",
    ),
    path(
        "requests/<int:request_id>/cancel/", web.request_action, {"action": "cancel"}, name="request_cancel"
    ),
    path("specialties/follow/", web.follow_specialty, name="follow_specialty"),
    path("specialties/<int:specialty_id>/unfollow/", web.unfollow_specialty, name="unfollow_specialty"),
    # Moderation (moderators only)
    path("moderation/", web.moderation_queue_page, name="moderation"),
    path("moderation/reports/<int:report_id>/hide/", web.moderation_hide, name="moderation_hide"),
    path("moderation/reports/<int:report_id>/dismiss/", web.moderation_dismiss, name="moderation_dismiss"),
    # Notifications
    path("notifications/", web.notifications, name="notifications"),
    path("notifications/read-all/", web.notifications_read_all, name="notifications_read_all"),
    path(
        "notifications/preferences/",
        web.notification_preferences_save,
        name="notification_preferences",
    ),
    path("notifications/<uuid:notification_id>/open/", web.notification_open, name="notification_open"),
    path("notifications/<uuid:notification_id>/read/", web.notification_read, name="notification_read"),
]
