"""A bare WebSocket echo on the product's server stack (Daphne + Channels), served only by
``bench_chat`` as the floor of a socket round trip: no authentication, no GraphQL, no database,
no channel layer.

``python -m daphne bench.echo_asgi:application``
"""

from __future__ import annotations

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
get_asgi_application()  # Django set up, as config.asgi does

from channels.generic.websocket import AsyncWebsocketConsumer  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import path  # noqa: E402


class EchoConsumer(AsyncWebsocketConsumer):
    channel_layer_alias = "bench.echo.none"  # no channel layer: nothing but the socket

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        await self.send(text_data=text_data, bytes_data=bytes_data)


application = ProtocolTypeRouter({"websocket": URLRouter([path("echo/", EchoConsumer.as_asgi())])})
