from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "api"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_out

        from api.auth import announce_session_end

        user_logged_out.connect(announce_session_end, dispatch_uid="api.announce_session_end")
