"""Writes of the monitors app: operators' edits (audited), heartbeat pings, and what a check
result does: the lease of its slot, its raw row, the region's count and, when the verdict
changes, the component and incident through the automation services (one audit trail and one
notification path with alerts and operators)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from incidents.services import Actor, audit_record, audit_snapshot, public_changed
from statuspage.monitors.models import (
    Kind,
    Monitor,
    MonitorRegionState,
)
from statuspage.monitors.recording import result_record, results_record, run_claim, runs_claim
from statuspage.monitors.validation import DEFAULTS, clean

# What a check result does lives in `recording` (batched); named here too, as every write.
__all__ = [
    "heartbeat_ping",
    "monitor_delete",
    "monitor_save",
    "monitor_token_rotate",
    "result_record",
    "results_record",
    "run_claim",
    "runs_claim",
    "token_hash",
]

AUDITED = [name for name in DEFAULTS if name not in ("component_id", "incident_template_id")]


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def monitor_save(*, actor: Actor, monitor: Monitor | None, data: Mapping[str, Any]) -> Monitor:
    """Create (monitor=None) or change a monitor from API or form input; refusals are
    ServiceError(field=). A change of target or rules starts the counts afresh."""
    fields = clean(data, monitor=monitor)
    with transaction.atomic():
        before = None
        if monitor is None:
            monitor = Monitor()
        else:
            monitor = Monitor.objects.select_for_update().get(pk=monitor.pk)
            before = _snapshot(monitor)
        for name, value in fields.items():
            setattr(monitor, name, value)
        if monitor.kind == Kind.HEARTBEAT and not monitor.heartbeat_token:
            _new_token(monitor)
        monitor.save()
        after = _snapshot(monitor)
        if before is not None and before != after:
            # Slots are counted in intervals: a new interval numbers them afresh.
            MonitorRegionState.objects.filter(monitor=monitor).update(
                failures=0, successes=0, last_slot=0
            )
        audit_record(
            actor=actor,
            action="monitor.update" if before else "monitor.create",
            obj=monitor,
            before=before,
            after=after,
        )
        charted = ("enabled", "kind", "name", "component")
        if before is None or any(before[k] != after[k] for k in charted):
            # The public charts list the enabled monitors (and the front page links them).
            public_changed()
    return monitor


def monitor_delete(*, actor: Actor, monitor: Monitor) -> None:
    """Delete a monitor and its results. The component keeps its status (an operator decides
    what it is now), as when an alert route is deleted."""
    with transaction.atomic():
        audit_record(actor=actor, action="monitor.delete", obj=monitor, before=_snapshot(monitor))
        monitor.delete()
        public_changed()


def monitor_token_rotate(*, actor: Actor, monitor: Monitor) -> Monitor:
    """A new heartbeat secret; the old URL stops working at once."""
    with transaction.atomic():
        _new_token(monitor)
        monitor.save(update_fields=["heartbeat_token", "heartbeat_token_hash", "updated_at"])
        audit_record(actor=actor, action="monitor.token_rotate", obj=monitor)
    return monitor


def _new_token(monitor: Monitor) -> None:
    monitor.heartbeat_token = secrets.token_urlsafe(24)
    monitor.heartbeat_token_hash = token_hash(monitor.heartbeat_token)


def _snapshot(monitor: Monitor) -> dict[str, object]:
    values = audit_snapshot(monitor, AUDITED)
    values["component"] = monitor.component.public_id
    values["incident_template"] = monitor.incident_template_id
    return values


def heartbeat_ping(*, token: str, at: datetime | None = None) -> Monitor | None:
    """Record a ping for the heartbeat monitor whose secret is `token`; None when no monitor
    has it. The lookup is by the token's hash, and the stored token is then compared in
    constant time, so the answer's timing says nothing of how close a guess came."""
    if not token or len(token) > 64:
        return None
    monitor = Monitor.objects.filter(
        kind=Kind.HEARTBEAT, heartbeat_token_hash=token_hash(token)
    ).first()
    if monitor is None or not hmac.compare_digest(monitor.heartbeat_token, token):
        return None
    Monitor.objects.filter(pk=monitor.pk).update(last_ping_at=at or timezone.now())
    return monitor
