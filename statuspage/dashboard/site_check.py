"""Does the configured public URL answer for this site? Checked from the dashboard, because a
wrong URL breaks every link in emails, feeds and the widget without any other symptom.

The check asks `<url>/api/v2/status.json` and compares the page id in the answer with ours,
so a URL that reaches some other site (or another install) is caught too. Results are cached
for a few minutes: the overview must not wait on the network at every load."""

from __future__ import annotations

import contextlib
import json
import urllib.error
import urllib.request

from django.core.cache import cache

TIMEOUT_SECONDS = 3
CACHE_SECONDS = 300


def _fetch_page_id(url: str) -> str:
    """The page id the site at `url` reports; raises OSError or ValueError when it cannot."""
    request = urllib.request.Request(  # noqa: S310 - http(s) only: the form's URLField
        f"{url.rstrip('/')}/api/v2/status.json", headers={"Accept": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
        body = json.loads(response.read(65536))
    page_id = body.get("page", {}).get("id") if isinstance(body, dict) else None
    if not isinstance(page_id, str):
        raise ValueError("not a status page")
    return page_id


def public_url_problem(page) -> str | None:
    """A sentence for the operator when the configured URL does not serve this page; None
    when it does, or when no URL is configured (links then follow the request)."""
    if not page.url:
        return None
    key = f"dashboard:public-url:{page.public_id}:{page.url}"
    try:
        cached = cache.get(key)
    except Exception:  # the cache is down: check every time, still answer
        cached = None
    if cached is not None:
        return cached or None
    try:
        answered = _fetch_page_id(page.url)
    except (OSError, ValueError) as exc:  # URLError, timeouts, refused, bad JSON
        reason = getattr(exc, "reason", None) or exc
        problem = f"The public URL {page.url} does not answer ({reason})."
    else:
        problem = (
            ""
            if answered == page.public_id
            else f"The public URL {page.url} answers for another status page."
        )
    with contextlib.suppress(Exception):  # caching is an optimisation here
        cache.set(key, problem, CACHE_SECONDS)
    return problem or None
