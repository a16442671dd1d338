"""Who reads an audience-specific page, and what they see (docs/pages.md, "Audiences").

A reader of such a page belongs to at most one audience: the one its sign-in, as the reader
gate checked it (statuspage/readers), is admitted by. Its documents are rendered with the reads
narrowed to the audience's components (incidents/selectors/scope.py) and cached once per
(page, audience, generation) in a key space of their own, never per reader, never in the
public snapshots or the fast path. A reader in no audience gets a "no access" page (403).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string

from incidents import selectors
from incidents.selectors.audiences import AudienceRule, audience_among, audiences_of

# Audience documents are for one signed-in reader's eyes: no shared cache keeps them.
PRIVATE_CACHE_CONTROL = "private, no-cache"
# Where a shared audience render leaves room for the reader's own "signed in as" and sign-out
# (templates/public/base.html): never one reader's name or form token in another's page.
READER_BAR = b"<!--reader-bar-->"

_rules: dict[int, tuple[int, list[AudienceRule]]] = {}  # page id -> (generation, audiences)
_rules_lock = threading.Lock()


def reader_entry(request: HttpRequest, page_id: int) -> Mapping[str, Any] | None:
    """The page's signed-in reader, as the reader gate (statuspage/readers/gate.py) checked
    it for this request (its session entry, an allowlisted address or a feed address), or
    None."""
    reader = getattr(request, "reader", None)
    return reader if isinstance(reader, Mapping) else None


def audiences(page_id: int, generation: int) -> list[AudienceRule]:
    """The page's audiences, read once per generation in this process (every write to an
    audience bumps the page's generation): no query per reader."""
    memo = _rules.get(page_id)
    if memo is not None and memo[0] == generation:
        return memo[1]
    rules = audiences_of(page_id)
    with _rules_lock:
        _rules[page_id] = (generation, rules)
    return rules


def audience_of(request: HttpRequest, page_id: int, generation: int) -> AudienceRule | None:
    return audience_among(audiences(page_id, generation), reader_entry(request, page_id))


def no_access(request: HttpRequest, page_id: int) -> HttpResponse:
    """What a signed-in reader of no audience gets: a clear page saying so, never the page."""
    if request.path_info.startswith("/api/"):
        response = HttpResponse(
            b'{"error": "You have no access to this status page."}',
            status=403,
            content_type="application/json",
        )
    else:
        page = selectors.page_get(page_id)
        response = render(request, "public/no_access.html", {"page": page}, status=403)
    return private(response)


def reader_bar(request: HttpRequest) -> bytes:
    """This reader's bar (who is signed in, feed addresses, sign-out), for READER_BAR."""
    if not getattr(request, "reader", None):
        return b""
    return render_to_string("public/_reader_bar.html", request=request).encode()


def private(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = PRIVATE_CACHE_CONTROL
    return response


def forget() -> None:
    """Drop the memoised audiences (tests)."""
    with _rules_lock:
        _rules.clear()
