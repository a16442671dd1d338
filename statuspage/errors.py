"""The last-resort error answer (handler500): a short human page, never a traceback.

A database that cannot be reached is not a bug in the request: it gets a 503 with
Retry-After and says so, for the dashboard as for anything else that needed the database.
Public documents never get here while a snapshot exists (statuspage/public_cache.py).
Nothing here touches the database, the cache or a template, since any of them may be the
thing that failed; the page links the public stylesheet (a static file) so it looks like the
rest of the site, light and dark.
"""

from __future__ import annotations

import sys
from html import escape

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.templatetags.static import static

RETRY_AFTER_SECONDS = 30
DATABASE_DOWN = (
    "The service cannot reach its database right now. The public status page keeps showing "
    f"the last known status. Please retry in {RETRY_AFTER_SECONDS} seconds."
)
SERVER_ERROR = "Something went wrong on our side. It has been logged; please retry."

_PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title><link rel="stylesheet" href="{stylesheet}"></head>
<body>
<div class="wrap"><main id="main" class="narrow">
<h1>{title}</h1>
<p class="alert" role="alert">{message}</p>
<p><a href="/">Back to the status page</a></p>
</main></div>
</body>
</html>
"""


def _stylesheet() -> str:
    try:
        return static("public/status.css")
    except ValueError:  # a manifest without the file (a half-done deploy): plain page
        return ""


def error_page(request: HttpRequest, *, status: int, title: str, message: str) -> HttpResponse:
    """The short human answer: JSON under /api/, else a styled page; 503s say when to retry."""
    response: HttpResponse
    if request.path.startswith("/api/"):
        response = JsonResponse({"error": message}, status=status)
    else:
        body = _PAGE.format(
            title=escape(title), message=escape(message), stylesheet=escape(_stylesheet())
        )
        response = HttpResponse(body, status=status, content_type="text/html; charset=utf-8")
    if status == 503:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


def database_unavailable(request: HttpRequest) -> HttpResponse:
    """For views that catch the database's absence themselves (the subscribe pages)."""
    return error_page(request, status=503, title="Temporarily unavailable", message=DATABASE_DOWN)


def server_error(request) -> HttpResponse:
    """Called by Django inside its exception handler, so sys.exc_info() names the error."""
    error = sys.exc_info()[1]
    if isinstance(error, OperationalError | InterfaceError):
        status, title, message = 503, "Temporarily unavailable", DATABASE_DOWN
    else:
        status, title, message = 500, "Server error", SERVER_ERROR
    return error_page(request, status=status, title=title, message=message)
