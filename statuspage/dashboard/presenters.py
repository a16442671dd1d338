"""What the dashboard shows of updates and audit entries: words rendered, codes as labels.

Updates store Statuspage's wire codes (``major_outage``); operators read labels ("Major
outage"). A component listed with the same status before and after changed nothing, so it is
left out rather than shown as "Major outage → Major outage".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from markupsafe import Markup

from incidents.enums import COMPONENT_SEVERITY, ComponentStatus, Impact, IncidentStatus
from statuspage.markdown import render_markdown


@dataclass(frozen=True)
class StatusChange:
    name: str
    old: str
    new: str
    old_label: str
    new_label: str
    worse: bool  # the new status is more severe: shown in the outage colour, whatever its side


@dataclass(frozen=True)
class TimelineEntry:
    update: object
    body: Markup
    changes: tuple[StatusChange, ...]


def status_label(code: str) -> str:
    try:
        return str(ComponentStatus(code).label)
    except ValueError:
        return code  # a status this version does not know (imported data): shown as stored


# How bad a stored value is, for colouring a before/after pair by severity rather than by side.
# Only values whose meaning is known get a colour; anything else (names, counts) stays neutral.
_SEVERITY: dict[str, int] = {
    **{str(k): v for k, v in COMPONENT_SEVERITY.items()},
    Impact.NONE: 0,
    Impact.MAINTENANCE: 1,
    Impact.MINOR: 2,
    Impact.MAJOR: 3,
    Impact.CRITICAL: 4,
    IncidentStatus.RESOLVED: 0,
    IncidentStatus.POSTMORTEM: 0,
    IncidentStatus.MONITORING: 1,
    IncidentStatus.IDENTIFIED: 2,
    IncidentStatus.INVESTIGATING: 2,
}


@dataclass(frozen=True)
class FieldChange:
    field: str
    before: object
    after: object
    had_before: bool
    before_class: str
    after_class: str


@dataclass(frozen=True)
class AuditRow:
    entry: object
    changes: tuple[FieldChange, ...]
    removed: object  # what a deletion took away, else None


def _classes(before: object, after: object) -> tuple[str, str]:
    if isinstance(before, str) and isinstance(after, str):
        b, a = _SEVERITY.get(before), _SEVERITY.get(after)
        if b is not None and a is not None and a != b:
            return ("before calm", "after severe") if a > b else ("before severe", "after calm")
    return "before", "after"


def audit_rows(entries: Iterable) -> list[AuditRow]:
    """For updates, only the fields whose value differs, each side coloured by its severity."""
    rows = []
    for entry in entries:
        before, after = entry.before or {}, entry.after or {}
        changes = tuple(
            FieldChange(
                key, before.get(key), value, key in before, *_classes(before.get(key), value)
            )
            for key, value in after.items()
            if key not in before or before[key] != value
        )
        rows.append(AuditRow(entry, changes, entry.before if not entry.after else None))
    return rows


def changes_of(affected: Iterable[dict] | None) -> tuple[StatusChange, ...]:
    rows = []
    for item in affected or ():
        old, new = item.get("old_status", ""), item.get("new_status", "")
        if old == new:
            continue
        rows.append(
            StatusChange(
                name=item.get("name", ""),
                old=old,
                new=new,
                old_label=status_label(old),
                new_label=status_label(new),
                worse=COMPONENT_SEVERITY.get(new, 0) > COMPONENT_SEVERITY.get(old, 0),
            )
        )
    return tuple(rows)


def timeline(updates: Iterable) -> list[TimelineEntry]:
    return [
        TimelineEntry(
            update=u,
            body=render_markdown(u.body),
            changes=changes_of(getattr(u, "affected_components", None)),
        )
        for u in updates
    ]
