"""Remembers the origin of the request being served (incidents/origin.py says why)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase

from incidents.origin import request_origin


class RequestOriginMiddleware:
    """Sets the origin for the request's lifetime. The Host header has passed ALLOWED_HOSTS
    by then (get_host raises otherwise, and that request keeps the fallback). Under a page
    prefix (statuspage/page_routing.py) the origin ends with it: a page without a configured
    URL is at `<origin>/p/<slug>` for the links built from Page.public_url."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        try:
            route = getattr(request, "status_page", None)
            prefix = route.prefix if route is not None else ""
            origin: str | None = f"{request.scheme}://{request.get_host()}{prefix}"
        except Exception:  # DisallowedHost: Django answers 400 further on
            origin = None
        token = request_origin.set(origin)
        try:
            return self.get_response(request)
        finally:
            request_origin.reset(token)
