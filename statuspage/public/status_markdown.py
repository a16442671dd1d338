"""The status as one Markdown document (/index.md, and `/` for clients that ask for Markdown):
for AI agents and terminals. What the front page says, in the same order, without the uptime
bars: the overall status, active incidents with their latest update, maintenance in progress
and scheduled, components grouped as on `/`, and links to the JSON, the feeds and the history.

Every text an operator typed is escaped (escape_markdown) or, for update bodies, rebuilt from
its parse tree and quoted (render_markdown_source), so no name or body can add a link, a
heading of this document's outline, or markup the HTML page would not show. Times are UTC in
ISO 8601, followed by the page's time zone as the HTML page writes them. Nothing depends on the
moment of rendering: the same data gives the same bytes (and ETag) in every process.
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.urls import reverse

from incidents import selectors
from incidents.enums import ComponentStatus, IncidentStatus, MaintenanceStatus
from statuspage.markdown import escape_markdown, render_markdown_source
from statuspage.page_routing import link_base
from statuspage.public import presenters
from statuspage.public.templating import pagetime

CONTENT_TYPE = "text/markdown; charset=utf-8"
# Update bodies sit under a "###" heading: their own headings start one level below.
BODY_HEADINGS_FROM = 4


def render(page) -> str:
    tree = selectors.component_tree(page)
    _indicator, description = selectors.status_summary(tree.components, page=page)
    sections = [
        f"# {escape_markdown(page.name)} status",
        f"**{escape_markdown(description)}**",
        _incidents(page, list(selectors.incidents_unresolved(page))),
        _maintenance(
            page, [*selectors.maintenance_active(page), *selectors.maintenance_upcoming(page)]
        ),
        _components(presenters.visible_entries(tree)),
        _links(page),
    ]
    return "\n\n".join(sections) + "\n"


def moment(value: datetime, page) -> str:
    """`2026-11-18T11:45:00Z (Nov 18, 2026 12:45 CET)`: UTC for programs, the page's zone for
    people (as the HTML page shows it)."""
    utc = value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"{utc} ({pagetime(value, page)})"


def link(label: str, url: str) -> str:
    """A link whose label is already Markdown; `url` comes from the page's settings and
    reverse(), so it is made safe for a destination, not trusted to be."""
    if any(c in url for c in " ()<>\\") or any(ord(c) < 0x20 for c in url):
        url = "<" + "".join(f"%{ord(c):02X}" if c in "<>" or c.isspace() else c for c in url) + ">"
    return f"[{label}]({url})"


def _absolute(page, name: str, *args: str) -> str:
    # Under a page prefix reverse() carries it (statuspage/page_routing.py).
    return link_base(page) + reverse(name, args=args or None)


def _latest(page, updates: list) -> list[str]:
    if not updates:
        return []
    latest = updates[0]  # the selectors order updates newest first
    heading = (
        f"Latest update ({escape_markdown(latest.get_status_display())}), "
        f"{moment(latest.display_at, page)}:"
    )
    body = render_markdown_source(latest.body, BODY_HEADINGS_FROM)
    quoted = "\n".join(f"> {line}".rstrip() for line in body.split("\n")) if body else ""
    return [heading, quoted] if quoted else [heading]


def _affects(components) -> list[str]:
    names = [escape_markdown(c.name) for c in components]
    return [f"- Affects: {', '.join(names)}"] if names else []


def _incidents(page, incidents: list) -> str:
    parts = ["## Active incidents"]
    if not incidents:
        parts.append("No active incidents.")
    for incident in incidents:
        url = _absolute(page, "public-incident", incident.public_id)
        facts = [
            f"- Status: {IncidentStatus(incident.status).label}",
            f"- Impact: {escape_markdown(incident.impact.capitalize())}",
            f"- Started: {moment(incident.started_at, page)}",
            *_affects(incident.components.all()),
        ]
        parts += [
            f"### {link(escape_markdown(incident.name), url)}",
            "\n".join(facts),
            *_latest(page, list(incident.updates.all())),
        ]
    return "\n\n".join(parts)


def _maintenance(page, windows: list) -> str:
    parts = ["## Maintenance"]
    if not windows:
        parts.append("No maintenance in progress or scheduled.")
    for window in windows:
        url = _absolute(page, "public-maintenance", window.public_id)
        status = "Cancelled" if window.cancelled_at else MaintenanceStatus(window.status).label
        facts = [
            f"- Status: {status}",
            f"- From: {moment(window.scheduled_for, page)}",
            f"- Until: {moment(window.scheduled_until, page)}",
            *_affects(window.components.all()),
        ]
        parts += [
            f"### {link(escape_markdown(window.name), url)}",
            "\n".join(facts),
            *_latest(page, list(window.updates.all())),
        ]
    return "\n\n".join(parts)


def _status(value: str) -> str:
    return ComponentStatus(value).label


def _components(entries: list) -> str:
    lines = []
    for entry in entries:
        if isinstance(entry, presenters.VisibleGroup):
            group = entry.node
            lines.append(f"- **{escape_markdown(group.group.name)}**: {_status(group.status)}")
            lines += [
                f"  - {escape_markdown(c.name)}: {_status(c.status)}" for c in entry.components
            ]
        else:
            lines.append(f"- {escape_markdown(entry.name)}: {_status(entry.status)}")
    return "\n\n".join(["## Components", "\n".join(lines) or "No components."])


def _links(page) -> str:
    items = [
        link("Incident history", _absolute(page, "public-history")),
        link("Current status as JSON", _absolute(page, "api-v2-summary"))
        + " (Statuspage-compatible API, `/api/v2/`)",
        link("Atom feed", _absolute(page, "public-history-atom")),
        link("RSS feed", _absolute(page, "public-history-rss")),
        link("Maintenance calendar (iCal)", _absolute(page, "public-maintenance-ics")),
        link("This status page", _absolute(page, "public-index")),
    ]
    zone = escape_markdown(page.time_zone)
    return "\n\n".join(
        [
            "## More",
            "\n".join(f"- {item}" for item in items),
            f"Times are UTC (ISO 8601), then the page's time zone, {zone}, in parentheses.",
        ]
    )
