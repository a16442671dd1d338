"""The edge of everything under /api/: no CSRF check, and never an HTML answer.

Both APIs are read and written by programs. The management API authenticates with a key sent in
a header or the query string, never with a cookie, and the public API is anonymous: a forged
cross-site request has no ambient credential to ride on, so Django's CSRF check protects nothing
here and would only answer a client's POST with its HTML "CSRF verification failed" page.

Whatever answers below this middleware (a view, Django's own 404/405/400 handling, a decorator
such as require_safe), an error that is not JSON is rewritten here, in one place, as the APIs'
`{"error": "..."}` with the same status and the headers that matter (Allow, Retry-After, ...).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from http import HTTPStatus

from django.http import HttpRequest, HttpResponse

API_PREFIX = "/api/"
# Kept from the original answer when it is rewritten as JSON.
_KEPT_HEADERS = ("Allow", "Retry-After", "WWW-Authenticate", "Access-Control-Allow-Origin")


def is_api_path(path: str) -> bool:
    return path.startswith(API_PREFIX)


def _message(request: HttpRequest, status: int) -> str:
    if status == 404:
        return "No such endpoint."
    if status == 405:
        return f"{request.method} is not allowed here."
    try:
        return HTTPStatus(status).phrase + "."
    except ValueError:
        return "The request failed."


def _is_json(response: HttpResponse) -> bool:
    content_type = response.get("Content-Type", "").split(";")[0].strip().lower()
    return content_type == "application/json" or content_type.endswith("+json")


def as_json_error(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """`response` as a JSON error of the same status (unchanged when already fit for an API)."""
    if response.status_code < 400 or _is_json(response):
        return response
    status = response.status_code
    rewritten = HttpResponse(
        json.dumps({"error": _message(request, status)}),
        content_type="application/json",
        status=status,
    )
    for name in _KEPT_HEADERS:
        if name in response:
            rewritten[name] = response[name]
    if request.path_info.startswith("/api/v2/"):
        # The public documents are read cross-origin; so are their errors (docs/api.md).
        rewritten["Access-Control-Allow-Origin"] = "*"
    rewritten["Cache-Control"] = "no-store"
    return rewritten


class ApiEdgeMiddleware:
    """Placed before CsrfViewMiddleware, which skips requests marked as already processed."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not is_api_path(request.path_info):
            return self.get_response(request)
        # CsrfViewMiddleware's documented way to skip a request (what csrf_exempt does per view).
        setattr(request, "csrf_processing_done", True)  # noqa: B010 (not declared on HttpRequest)
        return as_json_error(request, self.get_response(request))
