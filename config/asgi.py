"""ASGI entry point (Daphne): Django for HTTP, the GraphQL consumer for WebSocket.

``python -m config.launch run`` starts Daphne with ``--websocket-max-message-size`` set from
WEBSOCKET_MAX_MESSAGE_BYTES.
"""

from __future__ import annotations

import gc
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# Set up Django before importing anything that touches models.
django_application = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import path  # noqa: E402

from api.ws.auth import WebSocketAuthMiddleware  # noqa: E402
from api.ws.consumer import GraphQLTransportWSConsumer  # noqa: E402

websocket_urlpatterns = [path("graphql/", GraphQLTransportWSConsumer.as_asgi())]

application = ProtocolTypeRouter(
    {
        "http": django_application,
        "websocket": WebSocketAuthMiddleware(URLRouter(websocket_urlpatterns)),
    }
)

# What was loaded at startup (Django, the schema, the URL conf) lives as long as the process:
# kept out of the collector's full passes, which would otherwise walk it all and pause every
# socket of the process for hundreds of milliseconds.
gc.freeze()
