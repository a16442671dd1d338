"""The optional read of a source's management API (v1) by import_statuspage: the one place
that holds a postmortem's text, which the public /api/v2/ does not carry.

The key travels only in the Authorization header, never in a URL, so no error message, progress
line or log of the command can show it."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlsplit

from django.core.management.base import CommandError

STATUSPAGE_API = "https://api.statuspage.io/v1"
KEY_ENV = "STATUSPAGE_API_KEY"
# Asked of every v1 list. Statuspage's description names `limit` (at most 100) and `page`;
# older clients and this app's v1 also know `per_page`: sending all three costs nothing.
PER_PAGE = 100
PAGE_GUARD = 1000
# Statuspage allows a key 1 request/s (this app: API_RATE_LIMIT_PER_MINUTE). A long history is
# many pages: on a 429 the read waits as told (at most a minute) and asks again, a few times.
RATE_LIMIT_RETRIES = 5
LONGEST_WAIT = 60.0


class HttpStatusError(CommandError):
    """An HTTP error answer, keeping its status for callers that explain some of them."""

    def __init__(self, url: str, code: int, retry_after: str | None = None):
        super().__init__(f"{url} answered HTTP {code}.")
        self.code = code
        self.retry_after = retry_after

    def wait(self) -> float:
        """Seconds a 429 asks to wait (Retry-After in seconds; 1 if it says nothing usable)."""
        try:
            seconds = float(self.retry_after or "1")
        except ValueError:
            seconds = 1.0
        return min(max(seconds, 0.0), LONGEST_WAIT)


# What the command gives this module: GET a URL with extra headers, return the decoded JSON.
Getter = Callable[[str, dict[str, str]], object]


def api_base(source: str, get: Getter) -> str:
    """Where the source's management API lives, when --api-base does not say.

    A page on statuspage.io: Atlassian's API. Otherwise the source's own origin if it is an
    install of this app, recognised by the management API description it serves without a key
    at /api/v1/openapi.json (asked without the key: only the API the key is meant for gets it).
    Anything else, e.g. a Statuspage page on its own domain: Atlassian's API."""
    parts = urlsplit(source)
    host = (parts.hostname or "").lower()
    if host == "statuspage.io" or host.endswith(".statuspage.io"):
        return STATUSPAGE_API
    origin = f"{parts.scheme}://{parts.netloc}"
    try:
        described = get(f"{origin}/api/v1/openapi.json", {})
    except CommandError:
        return STATUSPAGE_API
    paths = described.get("paths") if isinstance(described, dict) else None
    if isinstance(paths, dict) and "/pages/{page_id}/incidents" in paths:
        return f"{origin}/api/v1"
    return STATUSPAGE_API


def incidents(base: str, page_id: str, key: str, get: Getter) -> list[dict[str, Any]]:
    """Every incident (and window) the management API lists, every page of it: ?page=1, 2, …
    until an empty page, one shorter than the first, or one that only repeats."""
    url = f"{base.rstrip('/')}/pages/{quote(page_id, safe='')}/incidents"
    headers = {"Authorization": f"OAuth {key}"}
    items: list[dict[str, Any]] = []
    seen: set[str] = set()
    size = 0
    for number in range(1, PAGE_GUARD):
        page_url = f"{url}?page={number}&per_page={PER_PAGE}&limit={PER_PAGE}"
        batch = _get_page(page_url, url, headers, get)
        if not isinstance(batch, list) or not all(
            isinstance(item, dict) and isinstance(item.get("id"), str) for item in batch
        ):
            raise CommandError(f"{page_url}: the answer is not a list of incidents with ids.")
        fresh = [item for item in batch if item["id"] not in seen]
        seen.update(item["id"] for item in fresh)
        items += fresh
        if not fresh or len(batch) < size:
            return items
        size = size or len(batch)
    raise CommandError(f"{url} did not end after {PAGE_GUARD} pages.")


def _get_page(page_url: str, url: str, headers: dict[str, str], get: Getter) -> object:
    """One page of the list, waiting out rate limits; a refused key explained."""
    attempt = 0
    while True:
        try:
            return get(page_url, headers)
        except HttpStatusError as exc:
            if exc.code in (401, 403):
                raise CommandError(
                    f"{url} refused the API key (HTTP {exc.code}): give a key of this page "
                    f"with read access (--api-key or ${KEY_ENV}), or import without a key "
                    "(postmortem text is then not imported). Nothing was written."
                ) from None
            if exc.code != 429 or attempt == RATE_LIMIT_RETRIES:
                raise
            attempt += 1
            time.sleep(exc.wait())
