"""The reader gate: a page that is not public serves nothing without a signed-in reader.

Runs after the session middleware, for every request that names a page (statuspage/
page_routing.py sets `request.status_page`, visibility included, from the in-memory routes
table). The public cache and the WSGI fast path read the same visibility and keep such pages
out of every shared cache, the snapshots and the fast path; this gate decides who is served,
and marks every answer of such a page private (also the redirects and refusals, so no shared
cache keeps even those).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from urllib.parse import urlencode

from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse, HttpResponseNotFound, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.urls import reverse
from django.utils.cache import patch_vary_headers

from statuspage.readers import feeds
from statuspage.readers.access import reader_for

# Under the page, the sign-in endpoints themselves are open (and only them).
OPEN_PREFIX = "/readers/"
# A subscriber's own links (confirm, manage, unsubscribe, the one-click List-Unsubscribe POST)
# carry a signed token naming the subscriber and the page: the token is the credential, as in
# the emails its holder already receives, so a mail provider's one-click unsubscribe works.
SUBSCRIBER_LINK = re.compile(r"^/(?:subscribe/confirm|manage|unsubscribe)/[^/]+$")
PRIVATE_CACHE_CONTROL = "private, no-store, max-age=0"


def is_machine_path(path: str) -> bool:
    """A document machines read (JSON, feeds, badges, scripts, Markdown): refused with a 401,
    not redirected to a sign-in form they cannot fill."""
    last = path.rstrip("/").rsplit("/", 1)[-1]
    return path.startswith("/api/") or "." in last


def refusal(request: HttpRequest) -> HttpResponse:
    path = request.path_info
    if path.startswith("/api/"):
        response = HttpResponse(
            json.dumps({"error": "Sign-in required: this status page is private."}),
            status=401,
            content_type="application/json",
        )
    elif is_machine_path(path):
        response = HttpResponse(
            "Sign-in required: this status page is private.\n",
            status=401,
            content_type="text/plain; charset=utf-8",
        )
    else:
        target = reverse("reader-signin") + "?" + urlencode({"next": request.get_full_path()})
        return HttpResponseRedirect(target)
    # No WWW-Authenticate challenge a browser would answer with its own password prompt:
    # readers sign in on the page's sign-in form.
    response["WWW-Authenticate"] = 'Cookie realm="status page"'
    return response


def mark_private(response: HttpResponseBase) -> HttpResponseBase:
    """No shared cache may keep it, and browsers key it on the session cookie."""
    response["Cache-Control"] = PRIVATE_CACHE_CONTROL
    patch_vary_headers(response, ["Cookie"])
    # Not a public document, whatever a view marked it: PublicResponseMiddleware then leaves
    # its cookies (the session) and its `Vary: Cookie` alone, and learns nothing of it.
    response.public_document = False  # type: ignore[attr-defined]
    if hasattr(response, "public_key"):
        del response.public_key
    return response


class ReaderGateMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        route = getattr(request, "status_page", None)
        if route is None or route.public:
            return self.get_response(request)
        secret = feeds.PATH.match(request.path_info)
        if secret is not None:
            return mark_private(self._feed(request, route.id, secret[1], secret[2]))
        path = request.path_info
        if not path.startswith(OPEN_PREFIX) and not SUBSCRIBER_LINK.match(path):
            try:
                reader = reader_for(request, route.id)
            except DatabaseError:
                reader = None  # who reads cannot be told: nobody does
            if reader is None:
                return mark_private(refusal(request))
            request.reader = reader  # type: ignore[attr-defined]
        return mark_private(self.get_response(request))

    def _feed(
        self, request: HttpRequest, page_id: int, token: str, document: str
    ) -> HttpResponseBase:
        """A secret feed address: the document it names, served as to the reader who made
        it; a revoked or unknown secret is a 404 (nothing says whether it ever existed)."""
        try:
            reader = feeds.reader_of(page_id, token)
        except DatabaseError:
            reader = None
        if reader is None or not feeds.DOCUMENTS.match(document):
            return HttpResponseNotFound(
                "No such feed address.\n", content_type="text/plain; charset=utf-8"
            )
        request.reader = reader  # type: ignore[attr-defined]
        request.path_info = document  # the URLconf serves the document itself
        return self.get_response(request)
