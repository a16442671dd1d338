"""The last-resort error answer (handler500): a short human page, never a traceback.

A database that cannot be reached is not a bug in the request: it gets a 503 with
Retry-After and says so, for the dashboard as for anything else that needed the database.
Public documents never get here while a snapshot exists (statuspage/public_cache/).
Nothing here touches the database, the cache or a template, since any of them may be the
thing that failed; the page links the public stylesheet (a static file) so it looks like the
rest of the site, light and dark.

The page speaks the reader's language: the one a public view had chosen when it failed, or
the address's prefix (/de/no-such-page); the catalogs are files, read without the database.
Under /api/ the error is JSON in English (a machine format is never translated).
"""

from __future__ import annotations

import sys
from html import escape

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.templatetags.static import static
from django.urls import get_script_prefix
from django.utils import translation
from django.utils.translation import gettext, gettext_noop, ngettext
from django.views import defaults

from incidents.languages import CODES, RIGHT_TO_LEFT, bcp47

RETRY_AFTER_SECONDS = 30
DATABASE_DOWN = (
    "The service cannot reach its database right now. The public status page keeps showing "
    f"the last known status. Please retry in {RETRY_AFTER_SECONDS} seconds."
)
SERVER_ERROR = gettext_noop("Something went wrong on our side. It has been logged; please retry.")
UNAVAILABLE = gettext_noop("Temporarily unavailable")
NOT_FOUND = (gettext_noop("Page not found"), gettext_noop("There is no page at this address."))
FORBIDDEN = (gettext_noop("Access denied"), gettext_noop("You do not have access to this page."))
BAD_REQUEST = (gettext_noop("Bad request"), gettext_noop("The request could not be understood."))

_PAGE = """<!doctype html>
<html lang="{lang}" dir="{dir}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title><link rel="stylesheet" href="{stylesheet}"></head>
<body>
<div class="wrap"><main id="main" class="narrow">
<h1>{title}</h1>
<p class="alert" role="alert">{message}</p>
<p><a href="{home}">{back}</a></p>
</main></div>
</body>
</html>
"""


def _stylesheet() -> str:
    try:
        return static("public/status.css")
    except ValueError:  # a manifest without the file (a half-done deploy): plain page
        return ""


def _language(request: HttpRequest) -> str:
    """The address's language prefix, else the language the failed view had chosen (English
    unless a public page had chosen its own)."""
    head = request.path_info.split("/", 2)[1] if request.path_info.startswith("/") else ""
    return head if head in CODES else (translation.get_language() or settings.LANGUAGE_CODE)


def error_page(request: HttpRequest, *, status: int, title: str, message: str) -> HttpResponse:
    """The short human answer: JSON under /api/, else a styled page; 503s say when to retry.
    `title` and `message` are English; the page says them in the reader's language."""
    response: HttpResponse
    if request.path_info.startswith("/api/"):
        response = JsonResponse({"error": message}, status=status)
    else:
        code = _language(request)
        with translation.override(code):
            title, message = gettext(title), _translated(message)
            back = gettext("Back to the status page")
        body = _PAGE.format(
            lang=bcp47(code),
            dir="rtl" if code in RIGHT_TO_LEFT else "ltr",
            title=escape(title),
            message=escape(message),
            back=escape(back),
            # The front page of the request's page: under /p/<slug>/ the script prefix
            # (statuspage/page_routing.py), else the site's root.
            home=escape(get_script_prefix()),
            stylesheet=escape(_stylesheet()),
        )
        response = HttpResponse(body, status=status, content_type="text/html; charset=utf-8")
    if status == 503:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


def _translated(message: str) -> str:
    if message == DATABASE_DOWN:
        # DATABASE_DOWN in any language, said with the number of seconds.
        return ngettext(
            "The service cannot reach its database right now. The public status page keeps "
            "showing the last known status. Please retry in %(num)s second.",
            "The service cannot reach its database right now. The public status page keeps "
            "showing the last known status. Please retry in %(num)s seconds.",
            RETRY_AFTER_SECONDS,
        ) % {"num": RETRY_AFTER_SECONDS}
    return gettext(message)


def database_unavailable(request: HttpRequest) -> HttpResponse:
    """For views that catch the database's absence themselves (the subscribe pages)."""
    return error_page(request, status=503, title=UNAVAILABLE, message=DATABASE_DOWN)


def server_error(request) -> HttpResponse:
    """Called by Django inside its exception handler, so sys.exc_info() names the error."""
    error = sys.exc_info()[1]
    if isinstance(error, OperationalError | InterfaceError):
        status, title, message = 503, UNAVAILABLE, DATABASE_DOWN
    else:
        status, title, message = 500, gettext_noop("Server error"), SERVER_ERROR
    return error_page(request, status=status, title=title, message=message)


# handler404, handler403, handler400: the same short page in the reader's language. The API
# keeps Django's own answers (its views answer their errors as JSON themselves).


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if request.path_info.startswith("/api/"):
        return defaults.page_not_found(request, exception)
    return error_page(request, status=404, title=NOT_FOUND[0], message=NOT_FOUND[1])


def forbidden(request: HttpRequest, exception: Exception) -> HttpResponse:
    if request.path_info.startswith("/api/"):
        return defaults.permission_denied(request, exception)
    return error_page(request, status=403, title=FORBIDDEN[0], message=FORBIDDEN[1])


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if request.path_info.startswith("/api/"):
        return defaults.bad_request(request, exception)
    return error_page(request, status=400, title=BAD_REQUEST[0], message=BAD_REQUEST[1])
