"""The last-resort error answer (handler500): a short human page, never a traceback.

A database that cannot be reached is not a bug in the request: it gets a 503 with
Retry-After and says so, for the dashboard as for anything else that needed the database.
Public documents never get here while a snapshot exists (statuspage/public_cache.py).
Nothing here touches the database, the cache or a template, since any of them may be the
thing that failed.
"""

from __future__ import annotations

import sys
from html import escape

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse

DATABASE_DOWN = (
    "The service cannot reach its database right now. The public status page keeps showing "
    "the last known status. Please retry in a minute."
)
SERVER_ERROR = "Something went wrong on our side. It has been logged; please retry."

_PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title></head>
<body>
<h1>{title}</h1>
<p>{message}</p>
</body>
</html>
"""


def server_error(request) -> HttpResponse:
    """Called by Django inside its exception handler, so sys.exc_info() names the error."""
    error = sys.exc_info()[1]
    if isinstance(error, OperationalError | InterfaceError):
        status, title, message = 503, "Temporarily unavailable", DATABASE_DOWN
    else:
        status, title, message = 500, "Server error", SERVER_ERROR
    response: HttpResponse
    if request.path.startswith("/api/"):
        response = JsonResponse({"error": message}, status=status)
    else:
        body = _PAGE.format(title=escape(title), message=escape(message))
        response = HttpResponse(body, status=status, content_type="text/html; charset=utf-8")
    if status == 503:
        response["Retry-After"] = "30"
    response["Cache-Control"] = "no-store"
    return response
