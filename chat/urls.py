"""Web pages of the chat app, mounted at /chat/ (``chat.web``)."""

from django.urls import path

from chat import web

app_name = "chat"

urlpatterns = [
    path("", web.messages_page, name="messages"),
    path("rooms/<uuid:room_id>/", web.room_page, name="room"),
    path("cases/<uuid:case_id>/join/", web.join_case_room, name="join_case"),
]
