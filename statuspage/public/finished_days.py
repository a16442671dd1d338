"""The finished-day cache: each component's uptime cells and sums for the days that are over
in the page's zone, so a change re-renders only today's cells.

A finished day never changes, except when history is rewritten (a backdated change, an
incident edit or deletion, an import, a restore): those writes bump Page.history_version
(incidents/services/common.py `history_changed`), which every key carries. The key also
carries everything else the cells are made of: the page's zone and uptime rules, the day the
window ends, the component and its tracking start, and the language of the cells' words.
Entries live in the shared cache (Redis in production); a cache that fails costs a full
count, never a wrong page."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from django.core.cache import cache
from django.utils import translation

from incidents.models import Component, Page

log = logging.getLogger(__name__)

# Keys name the day, so yesterday's entries are never read again: they only need to outlive
# the day they serve.
SECONDS = 2 * 24 * 3600
# Bumped when the stored shape or the cells' markup changes.
FORMAT = 2


@dataclass(frozen=True)
class Finished:
    """The days of a window before today: their cells' markup and their tracked and down
    seconds (summed oldest first, as the window's figure sums them)."""

    cells: str
    tracked: float
    downtime: float


def _prefix(page: Page, today: date, days: int) -> str:
    weights = f"{page.partial_outage_weight}|{page.degraded_weight}"
    rules = f"{page.time_zone}|{weights}|{page.thresholds}"
    digest = hashlib.sha256(rules.encode()).hexdigest()[:16]
    language = translation.get_language() or ""
    return (
        f"public:days:{FORMAT}:{language}:{page.history_version}:{today.isoformat()}:{days}:"
        f"{digest}"
    )


def _key(prefix: str, component: Component) -> str:
    since = component.start_date.isoformat() if component.start_date else ""
    return f"{prefix}:{component.id}:{since}:{component.created_at.timestamp()}"


def load(
    components: Sequence[Component], *, page: Page, today: date, days: int
) -> dict[int, Finished]:
    prefix = _prefix(page, today, days)
    keys = {_key(prefix, c): c.id for c in components}
    try:
        found = cache.get_many(list(keys))
    except Exception:  # noqa: BLE001 - the cache is an optimisation: count everything
        log.warning("finished-day cache unavailable", exc_info=True)
        return {}
    return {keys[key]: Finished(*value) for key, value in found.items()}


def store(
    entries: Mapping[int, Finished],
    components: Sequence[Component],
    *,
    page: Page,
    today: date,
    days: int,
) -> None:
    if not entries:
        return
    prefix = _prefix(page, today, days)
    # Plain tuples: unpickling them is cheaper than dataclasses and survives a class change.
    values = {
        _key(prefix, c): (entries[c.id].cells, entries[c.id].tracked, entries[c.id].downtime)
        for c in components
        if c.id in entries
    }
    try:
        cache.set_many(values, SECONDS)
    except Exception:  # noqa: BLE001 - the next render counts them again
        log.warning("finished-day cache unavailable", exc_info=True)
