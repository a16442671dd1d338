"""Shape selector results for the public templates: which components show, the days of the
past-incidents list, history months, the uptime picker. Pure Python: no queries here. The
uptime bars and calendars are statuspage/public/uptime.py."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.utils.translation import gettext, ngettext

from incidents.enums import ComponentStatus
from incidents.models import Component, ComponentGroup
from incidents.selectors import ComponentTree, GroupNode, HistoryFilter

HISTORY_MONTHS_PER_PAGE = 3
# At most this many entries on one history page, so a page costs the same whatever the
# history holds: a busier window continues on `?page=N&from=50`, `100`, ...
HISTORY_PAGE_ITEMS = 50
HISTORY_MAX_FROM = 100_000
HISTORY_MAX_PAGE = 1200  # 300 years: anything larger is a bad request, not a query
SEARCH_MAX_CHARS = 100
_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")  # NUL cannot reach PostgreSQL at all


def component_visible(component) -> bool:
    return not component.only_show_if_degraded or component.status != ComponentStatus.OPERATIONAL


@dataclass
class VisibleGroup:
    node: GroupNode
    components: list
    expanded: bool


def visible_entries(tree: ComponentTree) -> list[VisibleGroup | Component]:
    """Top-level entries to show: groups keep only visible children (and vanish if none);
    a group opens when it is not collapsed by default or any child is not operational."""
    out: list[VisibleGroup | Component] = []
    for entry in tree.entries:
        if isinstance(entry, GroupNode):
            shown = [c for c in entry.components if component_visible(c)]
            if shown:
                troubled = any(c.status != ComponentStatus.OPERATIONAL for c in shown)
                out.append(VisibleGroup(entry, shown, troubled or not entry.group.collapsed))
        elif component_visible(entry):
            out.append(entry)
    return out


def subscribable_entries(visible: list[VisibleGroup | Component]) -> list[GroupNode | Component]:
    """The front page's subscribe form offers what the page shows (a component hidden while
    operational stays hidden there), grouped as on the page."""
    return [
        GroupNode(e.node.group, e.components) if isinstance(e, VisibleGroup) else e for e in visible
    ]


@dataclass
class Day:
    day: date
    incidents: list = field(default_factory=list)


def past_days(incidents, *, today: date, tz, days: int = 7) -> list[Day]:
    """The last `days` days, newest first, each with the incidents that started on it (an
    incident that started earlier than the window is listed on its first day)."""
    out = [Day(today - timedelta(n)) for n in range(days)]
    by_day = {d.day: d for d in out}
    first = out[-1].day
    for incident in incidents:
        started = max(incident.started_at.astimezone(tz).date(), first)
        if started in by_day:
            by_day[started].incidents.append(incident)
    return out


def month_start(day: date, back: int = 0) -> date:
    """The first day of the month `back` months before `day`'s month."""
    index = day.year * 12 + day.month - 1 - back
    return date(index // 12, index % 12 + 1, 1)


@dataclass
class HistoryMonth:
    start: date
    items: list = field(default_factory=list)  # (moment, kind, object), newest first


def history_window(today: date, page_number: int, tz) -> tuple[datetime, datetime, list[date]]:
    """The [start, end) datetimes and month starts (newest first) shown on history page N."""
    newest = (page_number - 1) * HISTORY_MONTHS_PER_PAGE
    months = [month_start(today, newest + n) for n in range(HISTORY_MONTHS_PER_PAGE)]
    end_month = month_start(months[0], -1)
    start = datetime.combine(months[-1], time.min, tzinfo=tz)
    end = datetime.combine(end_month, time.min, tzinfo=tz)
    return start, end, months


@dataclass
class HistoryChunk:
    """The part of a history window one page shows: `months` from the one holding the first
    entry shown to the one holding the last (the whole window when it all fits)."""

    months: list[HistoryMonth]
    offset: int
    more: bool  # the window continues on ?from=offset+HISTORY_PAGE_ITEMS


def history_chunk(
    months: list[date], incidents, maintenance, tz, *, offset: int
) -> HistoryChunk | None:
    """Entries offset..offset+HISTORY_PAGE_ITEMS of a window, newest first, by month; the
    selectors' lists hold at least offset+HISTORY_PAGE_ITEMS+1 of each kind when the window
    has them. None when `offset` is past the window's end (nothing to show)."""
    items = sorted(
        [(i.started_at, i.id, "incident", i) for i in incidents]
        + [(w.scheduled_for, w.id, "maintenance", w) for w in maintenance],
        key=lambda item: (item[0], item[1]),
        reverse=True,
    )
    shown = items[offset : offset + HISTORY_PAGE_ITEMS]
    if offset and not shown:
        return None
    more = len(items) > offset + HISTORY_PAGE_ITEMS
    out = {m: HistoryMonth(m) for m in months}
    for moment, _id, kind, item in shown:
        out[month_start(moment.astimezone(tz).date())].items.append((moment, kind, item))
    kept = list(months)
    if offset:  # the newer months were on the previous part of this window
        kept = kept[kept.index(month_start(shown[0][0].astimezone(tz).date())) :]
    if more:  # the older months continue on the next part
        kept = kept[: kept.index(month_start(shown[-1][0].astimezone(tz).date())) + 1]
    return HistoryChunk([out[m] for m in kept], offset, more)


def picker_entries(tree: ComponentTree, shown: list) -> list[tuple[ComponentGroup | None, list]]:
    """The /uptime picker's options: (group or None, components), as on the front page."""
    wanted = {c.id for c in shown}
    out: list[tuple[ComponentGroup | None, list]] = []
    for entry in tree.entries:
        if isinstance(entry, GroupNode):
            members = [c for c in entry.components if c.id in wanted]
            if members:
                out.append((entry.group, members))
        elif entry.id in wanted:
            out.append((None, [entry]))
    return out


# /uptime lists at most this many components a page, so a page costs the same (and stays
# readable) whatever the page holds.
UPTIME_PAGE_ROWS = 50


@dataclass
class UptimeBlock:
    """A run of /uptime's list: one group's members shown on this page (a group longer than
    what is left of a page continues on the next), or consecutive ungrouped components."""

    group: ComponentGroup | None
    members: list  # the group's members on every page (its figure is theirs); else `shown`
    shown: list
    first: int  # the position of shown[0] among `members`, from 1

    @property
    def last(self) -> int:
        return self.first + len(self.shown) - 1

    @property
    def partial(self) -> bool:
        return len(self.shown) < len(self.members)


@dataclass
class UptimeListing:
    number: int
    pages: int
    total: int  # components on every page
    first: int  # the position of this page's first component, from 1
    blocks: list[UptimeBlock]

    @property
    def last(self) -> int:
        return self.first + sum(len(b.shown) for b in self.blocks) - 1

    @property
    def counted(self) -> list:
        """The components whose figures this page needs: those it lists, and every member of
        the groups it shows (for the groups' figures)."""
        seen: dict[int, Component] = {}
        for block in self.blocks:
            for component in block.members:
                seen.setdefault(component.id, component)
        return list(seen.values())


def _uptime_rows(picker: list[tuple[ComponentGroup | None, list]]) -> list[tuple[int, list, Any]]:
    """(entry index, the entry's members, component), in page order."""
    return [(index, members, c) for index, (_g, members) in enumerate(picker) for c in members]


def uptime_pages(picker: list[tuple[ComponentGroup | None, list]]) -> int:
    total = sum(len(members) for _group, members in picker)
    return max(1, -(-total // UPTIME_PAGE_ROWS))


def uptime_page_of(picker: list[tuple[ComponentGroup | None, list]], component) -> int:
    """The list page that holds `component` (it is in the picker)."""
    position = next(n for n, row in enumerate(_uptime_rows(picker)) if row[2].id == component.id)
    return position // UPTIME_PAGE_ROWS + 1


def uptime_listing(picker: list[tuple[ComponentGroup | None, list]], number: int) -> UptimeListing:
    """Page `number` (in range) of /uptime's list, as blocks."""
    rows = _uptime_rows(picker)
    start = (number - 1) * UPTIME_PAGE_ROWS
    blocks: list[UptimeBlock] = []
    keys: list[int | None] = []
    for index, members, component in rows[start : start + UPTIME_PAGE_ROWS]:
        group = picker[index][0]
        key = index if group is not None else None  # ungrouped neighbours share one block
        if blocks and keys[-1] == key:
            blocks[-1].shown.append(component)
            continue
        if group is None:
            block = UptimeBlock(None, [], [component], 1)
            block.members = block.shown
        else:
            block = UptimeBlock(group, members, [component], members.index(component) + 1)
        blocks.append(block)
        keys.append(key)
    return UptimeListing(number, uptime_pages(picker), len(rows), start + 1, blocks)


@dataclass
class HistoryQuery:
    """/history's filters as read from the request: what to narrow to, what to tell the reader
    about input that was set aside, and whether the result may be cached (see one_off)."""

    narrow: HistoryFilter
    component: Component | None = None
    text: str = ""
    problems: list[str] = field(default_factory=list)
    cacheable: bool = True

    @property
    def active(self) -> bool:
        return self.component is not None or bool(self.text)


def history_query(raw_component: str, raw_text: str, components: list[Component]) -> HistoryQuery:
    """Read ?component= (a component's public id) and ?q= (text). Bad input is set aside with
    a message, never an error: an unknown component shows every component, a text longer than
    SEARCH_MAX_CHARS is not searched for. Only the plain page and exact component ids are
    cacheable: any text makes a one-off document."""
    problems = []
    component = None
    if raw_component:
        component = next((c for c in components if c.public_id == raw_component), None)
        if component is None:
            problems.append(
                gettext("There is no component “%(name)s”: showing every component.")
                % {"name": raw_component[:40]}
            )
    text = " ".join(_CONTROL_CHARS.sub(" ", raw_text).split())
    if len(text) > SEARCH_MAX_CHARS:
        problems.append(
            ngettext(
                "Search text can be at most %(count)s character: showing everything.",
                "Search text can be at most %(count)s characters: showing everything.",
                SEARCH_MAX_CHARS,
            )
            % {"count": SEARCH_MAX_CHARS}
        )
        text = ""
    narrow = HistoryFilter(component.id if component else None, text)
    cacheable = not raw_text and (not raw_component or component is not None)
    return HistoryQuery(narrow, component, text, problems, cacheable)
