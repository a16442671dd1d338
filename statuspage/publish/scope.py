"""Which documents a change touches: the rules of an incremental publish.

Each public write records what it touched (incidents.models.PublicChange: incident,
maintenance and component ids, whether items may move between listing pages). Here that
becomes a test on a document's path and query, applied to the previous publish's documents:

- every change: the front page (and its Markdown, `/index.md`), the first history page, the
  news feeds, every `/api/v2` document (each carries the page's `updated_at`) and the embeds;
- a maintenance window or a change that shifts the listings: the maintenance calendar
  (`/maintenance.ics`), which shows nothing else (a component's name, which a window's event
  names, changes with a write that does not say what it touched: everything is rendered);
- an incident or maintenance: its permalink, and every document that links to it (the history
  page that lists it, a calendar cell that names it; a calendar only if the incident's name,
  status, impact or span may have moved: not for an update that moves nothing); a new one, or
  one whose window moved, shifts the listings: every history page;
- a component: `/uptime` (its pages) and that component's calendar; if its status moved (or
  the change does not say), also the page of every incident and window that covers it (each
  shows its components' status now) and the badges;
- a component that is not operational: its calendar and `/uptime` (today's downtime grows by
  the minute, without a write), at a publish whose previous one rendered them a minute ago or
  more (services.LIVE_EVERY);
- the system-metrics charts (`/system-metrics`, `/week`, `/month`): at every publish (they
  move with time, a step of a few minutes to hours, not with writes);
- the page's indicator or description moved (an incident opened, the last one resolved):
  every HTML page, whose title and icon show it, and the badges.

The rest (other permalinks, other calendars, older history pages, static files, the brand
stylesheet and images) is kept as published. When a change cannot be told (a write that did
not say, a gap in the log, a rewritten past, a new day, the hourly full render), everything is
rendered: services.plan_for decides, and tests/publish/test_incremental.py proves the result
byte-identical to a publish from scratch.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from incidents.languages import CODES
from incidents.selectors import PublicIds
from statuspage.publish.layout import object_key

# The translated pages are also published under a language's prefix (`/de/history`): the same
# document in another language, touched by the same changes.
_PREFIXES = tuple(f"/{code}/" for code in CODES)

# Documents every change touches: (path, query) exactly, and paths by prefix.
ALWAYS = {
    ("/", ""),
    ("/index.md", ""),
    ("/history", ""),
    # The same page as linked from page 2: it lists what happens now.
    ("/history", "page=1"),
    ("/history.atom", ""),
    ("/history.rss", ""),
}
CALENDAR = "/maintenance.ics"
ALWAYS_PREFIXES = ("/api/v2/", "/embed/", "/system-metrics")
# Badges show statuses only: the page's (`/badge.svg`, `/badge.json`), a component's or a
# group's (`/badge/<id>.svg`).
BADGES = "/badge"


@dataclass
class Changes:
    """The union of the changes since the previous publish."""

    incidents: set[str] = field(default_factory=set)
    maintenance: set[str] = field(default_factory=set)
    components: set[str] = field(default_factory=set)
    listings: bool = False
    # The page's indicator moved: every HTML page shows it (title, icon).
    status: bool = False
    # Components not operational now: their calendars count downtime by the minute.
    live: set[str] = field(default_factory=set)
    # Of `components`, those whose status may have moved (a record that does not say: all).
    moved: set[str] = field(default_factory=set)
    # Of `incidents`, those whose face (name, status, impact, span) may have moved: what a
    # calendar naming them shows (a record that does not say: all).
    faced: set[str] = field(default_factory=set)

    @classmethod
    def union(cls, records: Iterable[dict[str, Any]]) -> Changes:
        out = cls()
        for record in records:
            out.incidents.update(record.get("incidents") or ())
            if record.get("face", True):
                out.faced.update(record.get("incidents") or ())
            out.maintenance.update(record.get("maintenance") or ())
            out.components.update(record.get("components") or ())
            moved = record.get("moved")
            out.moved.update((record.get("components") or ()) if moved is None else moved)
            out.listings = out.listings or bool(record.get("listings"))
        return out


def touched_by(
    changes: Changes,
    paths: dict[str, str],
    links: dict[str, list[str]],
    covering: PublicIds,
) -> Callable[[str, str], bool]:
    """The test for "render again" of the previous publish's documents (`paths`: key -> the
    origin's path and query; `links`: key -> the keys it leads to; `covering`: the incidents
    and windows that cover a changed component, whose pages show its status now)."""
    permalinks = {f"/incidents/{i}" for i in changes.incidents} | {
        f"/maintenance/{m}" for m in changes.maintenance
    }
    permalink_keys = {object_key(p) for p in permalinks}
    linked_keys = _in_every_language(permalinks)
    permalinks |= {f"/incidents/{i}" for i in covering.incidents}
    permalinks |= {f"/maintenance/{m}" for m in covering.maintenance}
    # A permalink not published before is a new item: every listing page may shift.
    listings = changes.listings or not permalink_keys <= paths.keys()
    linking = {key for key, targets in links.items() if linked_keys.intersection(targets)}
    # The calendars (`/uptime`) link to incidents by name, impact and span: they follow only
    # the incidents whose face moved (and the windows).
    quiet = _in_every_language({f"/incidents/{i}" for i in changes.incidents - changes.faced})
    faced_keys = linked_keys - quiet
    face_linking = {key for key in linking if faced_keys.intersection(links[key])}
    moving = changes.components | changes.live
    calendars = {f"component={c}" for c in moving}

    def touched(path: str, query: str) -> bool:
        if changes.status and object_key(path, query).endswith(".html"):
            return True
        key = object_key(path, query)
        if key in linking and (key in face_linking or _unprefixed(path) != "/uptime"):
            return True
        path = _unprefixed(path)
        if (path, query) in ALWAYS or path.startswith(ALWAYS_PREFIXES) or path in permalinks:
            return True
        if path.startswith(BADGES):
            return changes.status or bool(changes.moved)
        if path == "/history" and listings:
            return True
        if path == CALENDAR:
            return bool(changes.maintenance) or listings
        if path == "/uptime" and moving:
            return not query.startswith("component=") or query in calendars
        return False

    return touched


def _in_every_language(paths: set[str]) -> set[str]:
    """The keys of `paths` and of the same paths as the translated pages link to them."""
    return {object_key(p) for p in paths} | {
        object_key(f"/{code}{p}") for p in paths for code in CODES
    }


def _unprefixed(path: str) -> str:
    """ "/history" for "/de/history", "/" for "/de/"; other paths as they are."""
    if path.startswith(_PREFIXES):
        return path[path.index("/", 1) :]
    return path
