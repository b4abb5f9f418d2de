"""The client address of the request (HTTP or WebSocket) being served, for the audit log.

Set by ``RequestContextMiddleware`` and by the WebSocket consumers; a ContextVar keeps it
correct across threads and asyncio tasks.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar

from django.conf import settings
from django.http import HttpRequest, HttpResponse

_ip_address: ContextVar[str | None] = ContextVar("tuyen_ip_address", default=None)


def current_ip_address() -> str | None:
    return _ip_address.get()


def set_ip_address(ip: str | None) -> None:
    _ip_address.set(ip)


def client_ip(remote_addr: str | None, forwarded_for: str | None) -> str | None:
    """The client's address, trusting only ALLAUTH_TRUSTED_PROXY_COUNT proxies."""
    proxies = getattr(settings, "ALLAUTH_TRUSTED_PROXY_COUNT", 0)
    if proxies and forwarded_for:
        hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
        if len(hops) >= proxies:
            return hops[-proxies]
    return remote_addr


class RequestContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _ip_address.set(
            client_ip(request.META.get("REMOTE_ADDR"), request.META.get("HTTP_X_FORWARDED_FOR"))
        )
        try:
            return self.get_response(request)
        finally:
            _ip_address.reset(token)
