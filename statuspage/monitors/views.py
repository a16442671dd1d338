"""The heartbeat URL that cron jobs call: GET or POST /monitors/heartbeat/<token>."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from statuspage.monitors.services import heartbeat_ping


def _plain(text: str, status: int) -> HttpResponse:
    response = HttpResponse(text + "\n", content_type="text/plain; charset=utf-8", status=status)
    response["Cache-Control"] = "no-store"
    return response


# A machine calls it with its secret in the path, never a browser session: no CSRF token.
@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def heartbeat(request: HttpRequest, token: str) -> HttpResponse:
    if heartbeat_ping(token=token) is None:
        return _plain("Unknown heartbeat URL.", 404)
    return _plain("OK", 200)
