"""Process memory: the documents kept here (an LRU), and the page's generation and document
version memoised so a hot page costs no network round trip per request."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from datetime import datetime, timedelta
from datetime import time as dt_time
from zoneinfo import ZoneInfo

from django.db import DatabaseError

from incidents import selectors
from incidents.models import Visibility
from statuspage.public_cache.documents import Document

GENERATION_MEMO_SECONDS = 0.5
LOCAL_DOCUMENTS = 256


class _LocalStore:
    """A small thread-safe LRU of documents in process memory."""

    def __init__(self, size: int):
        self.size = size
        self.items: OrderedDict[str, Document] = OrderedDict()
        self.lock = threading.Lock()
        # Per page (its id, or None for the default page, whichever it is):
        # (when read, page id, generation)
        self.generation: dict[int | None, tuple[float, int, int]] = {}
        # The page's zone and visibility, per generation: (generation, zone, visibility)
        self.zone: dict[int, tuple[int, ZoneInfo, str]] = {}
        # (generation, document version, wall-clock time of the page's next midnight)
        self.version: dict[int, tuple[int, str, float]] = {}

    def get(self, key: str) -> Document | None:
        # Without the lock: every cached answer reads here, and each of these two calls on an
        # OrderedDict of str keys is one step under the GIL. The lock orders the writers (put's
        # several steps); a put that drops this key in between only makes the move miss it.
        doc = self.items.get(key)
        if doc is not None:
            try:  # noqa: SIM105 - contextlib.suppress costs Python calls on every answer
                self.items.move_to_end(key)
            except KeyError:
                pass
        return doc

    def put(self, key: str, doc: Document) -> None:
        with self.lock:
            self.items[key] = doc
            self.items.move_to_end(key)
            while len(self.items) > self.size:
                self.items.popitem(last=False)

    def clear(self) -> None:
        with self.lock:
            self.items.clear()
            self.generation = {}
            self.zone = {}
            self.version = {}


local = _LocalStore(LOCAL_DOCUMENTS)


def current_generation(page: int | None = None) -> int:
    """The page's public generation (None: the default page's), memoised briefly in this
    process. Raises DatabaseError."""
    return page_generation(page)[1]


def page_generation(page: int | None = None) -> tuple[int, int]:
    """(page id, generation) of the page (None: the default page), memoised briefly in this
    process. Raises DatabaseError."""
    memo = local.generation.get(page)
    now = time.monotonic()
    if memo is not None and now - memo[0] < GENERATION_MEMO_SECONDS:
        return memo[1], memo[2]
    try:
        page_id, generation = selectors.page_generation(page)
    except DatabaseError:
        raise
    except Exception:  # noqa: BLE001 - the shared cache is down: ask the database directly
        from incidents.models import Page

        rows = Page.objects.order_by("id") if page is None else Page.objects.filter(pk=page)
        page_id, generation = rows.values_list("id", "generation")[:1].get()
    local.generation[page] = (now, page_id, generation)
    return page_id, generation


def document_version(page: int | None = None) -> str:
    """What a document's cache key is made of: the page, its generation and its local date
    (None: the default page). Two pages never share a key, whatever their generations.

    Pages show "today" (the last uptime bar, the past days, the current history month), so a
    document rendered before the page's midnight must not be served after it, even when
    nothing was written in between. The zone only changes with a write, which bumps the
    generation: it is looked up once per generation. The version itself is kept until the
    generation changes or the page's next midnight passes (one clock read per request rather
    than a date in the page's zone). Raises DatabaseError."""
    page_id, generation = page_generation(page)
    version = local.version.get(page_id)
    if version is not None and version[0] == generation and time.time() < version[2]:
        return version[1]
    memo = local.zone.get(page_id)
    if memo is None or memo[0] != generation:
        memo = local.zone[page_id] = (generation, *selectors.page_zone_and_visibility(page_id))
    today = datetime.now(memo[1]).date()
    midnight = datetime.combine(today + timedelta(days=1), dt_time(0), tzinfo=memo[1])
    # The generation leads (_render reads it back); the page ends it.
    text = f"{generation}.{today.isoformat()}.p{page_id}"
    local.version[page_id] = (generation, text, midnight.timestamp())
    return text


def audience_page(page: int | None) -> tuple[int, int] | None:
    """(page id, generation) when the page is audience-specific, else None. Read after
    document_version, from what it memoised: no query. When the memo moved on in between
    (another thread read a newer generation), the visibility is read again rather than
    guessed."""
    memo = local.generation.get(page)
    if memo is None:
        return None  # no version was read for this page here (a view tested on its own)
    _when, page_id, generation = memo
    zone = local.zone.get(page_id)
    if zone is None or zone[0] != generation:
        zone = local.zone[page_id] = (generation, *selectors.page_zone_and_visibility(page_id))
    if zone[2] != Visibility.AUDIENCE:
        return None
    return page_id, generation


def _was_audience(page: int | None) -> bool:
    """Whether this process last knew the page as audience-specific (the database being
    unreachable, nothing newer can be known)."""
    memo = local.generation.get(page)
    zone = None if memo is None else local.zone.get(memo[1])
    return zone is not None and zone[2] == Visibility.AUDIENCE
