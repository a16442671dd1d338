"""What a provider's answer says, as a JSON-safe snapshot (stored on the provider):

    {"page": "GitHub",
     "components": [{"id", "name", "status"}],
     "incidents": [{"id", "name", "status", "impact", "link", "updated", "components", "body"}]}

Statuspage's summary.json lists its components and its unresolved incidents. A feed has no
components: it gets one, FEED_COMPONENT, which is down while an entry is open; an entry is
open while it does not read as resolved and was updated in the last FEED_OPEN_HOURS hours
(feed_at, applied at each poll, since time passes under an unchanged feed).
Anything else is a ParseError with a short message for the operator.
"""

from __future__ import annotations

import html
import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import feedparser

from incidents.enums import ComponentStatus, Impact, IncidentStatus

FEED_COMPONENT = "feed"
FEED_OPEN_HOURS = 24
MAX_COMPONENTS = 500
MAX_INCIDENTS = 100
# Upstream "under maintenance" is not an outage here (and monitoring may not put a component
# under maintenance: an operator or a window does).
_COMPONENT_STATUS = {s: s for s in ComponentStatus.values} | {
    ComponentStatus.UNDER_MAINTENANCE: ComponentStatus.OPERATIONAL
}
# Statuspage gives maintenance its own impact; an incident here has none of it.
INCIDENT_IMPACTS = (Impact.NONE, Impact.MINOR, Impact.MAJOR, Impact.CRITICAL)
_RESOLVED = re.compile(r"\b(resolved|completed|operating normally)\b", re.IGNORECASE)
_TAG = re.compile(r"<[^>]+>")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


class ParseError(Exception):
    @property
    def message(self) -> str:
        return str(self.args[0])


def _text(value: Any, limit: int) -> str:
    """A string field, cleaned of what no text here may hold (PostgreSQL cannot store NUL in
    JSON; the domain refuses control characters and lone surrogates), and capped."""
    return _CONTROL.sub("", value).strip()[:limit] if isinstance(value, str) else ""


def parse_summary(body: bytes) -> dict[str, Any]:
    """A Statuspage summary.json (or any page speaking its shape)."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise ParseError("Not JSON: is this a Statuspage-compatible page?") from None
    if not isinstance(data, dict) or not isinstance(data.get("components"), list):
        raise ParseError("Not a Statuspage summary (no component list).")
    page = data["page"] if isinstance(data.get("page"), dict) else {}
    components = [_component(c) for c in data["components"][:MAX_COMPONENTS]]
    incidents = data.get("incidents") or []
    if not isinstance(incidents, list):
        raise ParseError("Not a Statuspage summary (incidents is not a list).")
    return {
        "page": _text(page.get("name"), 120),
        "components": [c for c in components if c is not None],
        "incidents": [i for i in map(_incident, incidents[:MAX_INCIDENTS]) if i is not None],
    }


def _component(raw: Any) -> dict[str, str] | None:
    # Groups are components too in Statuspage's JSON; they can be followed like any other.
    if not isinstance(raw, dict) or not _text(raw.get("id"), 100):
        return None
    status = _COMPONENT_STATUS.get(str(raw.get("status")), ComponentStatus.OPERATIONAL)
    return {
        "id": _text(raw["id"], 100),
        "name": _text(raw.get("name"), 200) or _text(raw["id"], 100),
        "status": str(status),
    }


def _incident(raw: Any) -> dict[str, Any] | None:
    if not isinstance(raw, dict) or not _text(raw.get("id"), 200) or not _text(raw.get("name"), 1):
        return None
    status = raw.get("status")
    updates = raw["incident_updates"] if isinstance(raw.get("incident_updates"), list) else []
    latest = updates[0] if updates and isinstance(updates[0], dict) else {}
    components = raw["components"] if isinstance(raw.get("components"), list) else []
    impact = raw.get("impact")
    return {
        "id": _text(raw["id"], 200),
        "name": _text(raw["name"], 150),
        "status": status if status in IncidentStatus.values else IncidentStatus.INVESTIGATING,
        "impact": impact if impact in INCIDENT_IMPACTS else Impact.NONE,
        "link": _link(raw.get("shortlink")),
        "updated": _text(raw.get("updated_at"), 64),
        "components": [c["id"] for c in components if isinstance(c, dict) and "id" in c],
        "body": _text(latest.get("body"), 5000),
    }


def _link(value: Any) -> str:
    text = _text(value, 500)
    return text if text.startswith(("https://", "http://")) else ""


def parse_feed(body: bytes, *, now: datetime) -> dict[str, Any]:
    """An Atom or RSS status feed (feedparser reads it from bytes, never from the network).
    Entries that read as resolved are resolved; the others are open until feed_at() says they
    are too old."""
    parsed = feedparser.parse(body)
    if not parsed.get("version") or (parsed.get("bozo") and not parsed.entries):
        raise ParseError("Not an Atom or RSS feed.")
    incidents = []
    for entry in parsed.entries[:MAX_INCIDENTS]:
        name = _text(entry.get("title"), 150)
        ident = _text(entry.get("id") or entry.get("link") or name, 200)
        if not name or not ident:
            continue
        text = _text(_plain(entry.get("summary", "")), 5000)
        # Read as stored: feedparser's own fallback between the two warns on every access.
        when = dict.get(entry, "updated_parsed") or dict.get(entry, "published_parsed")
        resolved = bool(_RESOLVED.search(name) or _RESOLVED.search(text[:200]))
        incidents.append(
            {
                "id": ident,
                "name": name,
                "status": IncidentStatus.RESOLVED if resolved else IncidentStatus.INVESTIGATING,
                "impact": Impact.MINOR,
                "link": _link(entry.get("link")),
                "updated": _iso(when),
                "components": [],
                "body": text[:5000],
            }
        )
    snapshot = {"page": _text(parsed.feed.get("title"), 120), "incidents": incidents}
    return feed_at(snapshot, now=now)


def feed_at(snapshot: dict[str, Any], *, now: datetime) -> dict[str, Any]:
    """A feed's snapshot as of `now`: entries not updated in FEED_OPEN_HOURS are over, and
    FEED_COMPONENT is in partial outage while any entry is open (a feed cannot say more)."""
    since = now - timedelta(hours=FEED_OPEN_HOURS)
    incidents = []
    for incident in snapshot.get("incidents", []):
        updated = incident["updated"]
        stale = not updated or datetime.fromisoformat(updated) < since
        if stale and incident["status"] != IncidentStatus.RESOLVED:
            incident = incident | {"status": IncidentStatus.RESOLVED}
        incidents.append(incident)
    any_open = any(i["status"] != IncidentStatus.RESOLVED for i in incidents)
    status = ComponentStatus.PARTIAL_OUTAGE if any_open else ComponentStatus.OPERATIONAL
    component = {"id": FEED_COMPONENT, "name": "Any open incident", "status": str(status)}
    return snapshot | {"components": [component], "incidents": incidents}


def _iso(when: Any) -> str:
    if not when:
        return ""
    year, month, day, hour, minute, second = when[:6]
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC).isoformat()


def _plain(markup: str) -> str:
    """Feeds carry HTML; incident bodies here are Markdown, so keep only the words."""
    text = _TAG.sub(" ", markup.replace("<br", "\n<br").replace("</p>", "\n"))
    lines = (" ".join(line.split()) for line in html.unescape(text).splitlines())
    return "\n".join(line for line in lines if line).strip()
