"""Which page a host name or a `/p/<slug>/` prefix names: a table held in process memory.

A public request resolves its page before any cache lookup (statuspage/page_routing.py), on the
hot path too, so the lookup costs no query: the table (every page's id and slug, every
PageHost's host, the default page's id) is loaded once and reloaded only when a write to a Page
or a PageHost changed it. Such a write bumps a version in the shared cache (on commit, so no
process reloads the table before the change is visible); each process reads that version at
most every CHECK_SECONDS. The process that writes forgets its table at once (tests see their
writes immediately).

The last table loaded is also kept on disk beside the public snapshots: a process started while
the database is unreachable still tells the pages apart and serves their snapshots.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, transaction

log = logging.getLogger(__name__)

CHECK_SECONDS = 0.5
# Reloaded this often whatever the version says: a version lost with the shared cache (evicted,
# flushed) between a change and a process's next check cannot keep that process stale longer.
MAX_AGE_SECONDS = 60.0
VERSION_CACHE_KEY = "page-routes:version"
VERSION_CACHE_SECONDS = 30 * 24 * 3600


@dataclass(frozen=True)
class Route:
    """The page a request is served for. `prefix` is "/p/<slug>" when the request named the
    page by its path prefix (links then carry it), else ""."""

    id: int
    slug: str
    prefix: str = ""
    # "public", "private" or "audience": known before any lookup, so the public cache and the
    # WSGI fast path never hold or serve a page that requires a signed-in reader.
    visibility: str = "public"

    @property
    def public(self) -> bool:
        return self.visibility == "public"


@dataclass(frozen=True)
class Table:
    hosts: dict[str, int] = field(default_factory=dict)  # host -> page id
    slugs: dict[str, int] = field(default_factory=dict)  # slug -> page id
    page_slugs: dict[int, str] = field(default_factory=dict)  # page id -> slug
    default: int | None = None  # the oldest page's id (None: no page yet)
    # page id -> visibility; a page missing here is treated as private (fail closed)
    visibility: dict[int, str] = field(default_factory=dict)

    def route(self, page_id: int, *, prefixed: bool = False) -> Route:
        slug = self.page_slugs[page_id]
        seen = self.visibility.get(page_id, "private")
        return Route(page_id, slug, f"/p/{slug}" if prefixed else "", seen)


class _Holder:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.table: Table | None = None
        self.version: str | None = None  # the shared version the table was loaded at
        self.checked = 0.0  # monotonic time of the last version check
        self.loaded = 0.0  # monotonic time of the last load


_held = _Holder()


def table() -> Table:
    """The current table: no query while it is fresh. Raises DatabaseError when it must be
    loaded, the database is unreachable and no copy was ever saved."""
    now = time.monotonic()
    current = _held.table
    if current is not None and now - _held.checked < CHECK_SECONDS:
        return current
    version = _shared_version(_held.version if current is not None else None)
    fresh = now - _held.loaded < MAX_AGE_SECONDS
    if current is not None and fresh and version is not None and version == _held.version:
        _held.checked = now
        return current
    with _held.lock:
        try:
            loaded = _load()
        except DatabaseError:
            kept = current or _saved()
            if kept is None:
                raise
            loaded = kept
        else:
            _save(loaded)
        _held.table, _held.version, _held.checked, _held.loaded = loaded, version, now, now
        return loaded


def held() -> Table | None:
    """The table this process holds, however old, without any I/O (None: none loaded yet)."""
    return _held.table


def forget() -> None:
    """Drop this process's table: the next lookup loads it again."""
    _held.table, _held.version, _held.checked, _held.loaded = None, None, 0.0, 0.0


def changed() -> None:
    """A Page or PageHost was written: forget the table here now, and everywhere on commit."""
    forget()
    transaction.on_commit(_publish_change)


def page_saved(page_id: int, slug: str, visibility: str, *, created: bool) -> None:
    """A Page was saved: the routes change only with a new page, a new slug or a new
    visibility (a page's other settings are saved far more often, and its routes stay)."""
    current = _held.table
    if (
        created
        or current is None
        or current.page_slugs.get(page_id) != slug
        or current.visibility.get(page_id) != visibility
    ):
        changed()


def _publish_change() -> None:
    forget()
    try:
        cache.set(VERSION_CACHE_KEY, uuid.uuid4().hex, VERSION_CACHE_SECONDS)
    except Exception:  # noqa: BLE001 - other processes then reload at each check
        log.warning("could not publish the page routes' version to the shared cache")


def _shared_version(held: str | None) -> str | None:
    try:
        version = cache.get(VERSION_CACHE_KEY)
        if version is None:
            # No version (a fresh or flushed cache): set the one this process holds (its table
            # is kept; MAX_AGE_SECONDS bounds what a lost change costs), else a new one.
            version = held or uuid.uuid4().hex
            if not cache.add(VERSION_CACHE_KEY, version, VERSION_CACHE_SECONDS):
                version = cache.get(VERSION_CACHE_KEY)
    except Exception:  # noqa: BLE001 - no shared cache: reload at each check
        return None
    return version if isinstance(version, str) else None


def _load() -> Table:
    from incidents.models import Page

    # One query: each page with each of its hosts (one row with None for a page without).
    rows = Page.objects.order_by("id").values_list("id", "slug", "visibility", "hosts__host")
    page_slugs: dict[int, str] = {}
    hosts: dict[str, int] = {}
    visibility: dict[int, str] = {}
    for page_id, slug, seen, host in rows:
        page_slugs[page_id] = slug
        visibility[page_id] = seen
        if host is not None:
            hosts[host] = page_id
    return Table(
        hosts=hosts,
        slugs={slug: page_id for page_id, slug in page_slugs.items()},
        page_slugs=page_slugs,
        default=next(iter(page_slugs), None),
        visibility=visibility,
    )


def _path() -> Path:
    return Path(settings.PUBLIC_SNAPSHOT_DIR) / "page-routes.json"


def _save(loaded: Table) -> None:
    payload = {
        "hosts": loaded.hosts,
        "pages": list(loaded.page_slugs.items()),
        # JSON keys are strings: the ids are read back as ints.
        "visibility": {str(k): v for k, v in loaded.visibility.items()},
    }
    path = _path()
    try:
        if path.exists() and json.loads(path.read_text(encoding="utf-8")) == payload:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
        tmp.write_text(json.dumps(payload), encoding="utf-8")
        os.replace(tmp, path)
    except (OSError, ValueError) as exc:
        log.warning("could not save the page routes to %s: %s", path, exc)


def _saved() -> Table | None:
    try:
        payload = json.loads(_path().read_text(encoding="utf-8"))
        pages = [(int(page_id), str(slug)) for page_id, slug in payload["pages"]]
        hosts = {str(host): int(page_id) for host, page_id in payload["hosts"].items()}
        # A copy saved before pages had a visibility names none: those pages count as
        # private (Table.route) until the database answers again.
        seen = {int(k): str(v) for k, v in payload.get("visibility", {}).items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    return Table(
        hosts=hosts,
        slugs={slug: page_id for page_id, slug in pages},
        page_slugs=dict(pages),
        default=pages[0][0] if pages else None,
        visibility=seen,
    )
