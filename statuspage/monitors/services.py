"""Writes of the monitors app: operators' edits (audited), heartbeat pings, and what a check
result does: the lease of its slot, its raw row, the region's count and, when the verdict
changes, the component and incident through the automation services (one audit trail and one
notification path with alerts and operators)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from incidents import selectors
from incidents.enums import COMPONENT_SEVERITY, ComponentStatus
from incidents.services import Actor, audit_record, audit_snapshot, page_lock, public_changed
from incidents.templating import TemplateRenderError, render_sandboxed, template_context
from statuspage.automation.services import component_hook_apply
from statuspage.monitors import rules
from statuspage.monitors.checks import Outcome
from statuspage.monitors.models import (
    Kind,
    Monitor,
    MonitorRegionState,
    MonitorResult,
    MonitorRun,
    Verdict,
)
from statuspage.monitors.regions import home_region
from statuspage.monitors.rollups import rollup_add
from statuspage.monitors.validation import DEFAULTS, clean

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


# --- check slots: the lease --------------------------------------------------------------


def run_claim(*, monitor: Monitor, region: str, slot: int, worker: str, now: datetime) -> bool:
    """Take the check of (monitor, region, slot): True for exactly one caller while the check
    is running; again True for a later caller only if the first one's lease ran out without a
    result (its worker died), so a slot is neither run twice nor skipped."""
    lease_until = now + timedelta(
        seconds=monitor.timeout_seconds + settings.MONITOR_LEASE_MARGIN_SECONDS
    )
    try:
        with transaction.atomic():
            MonitorRun.objects.create(
                monitor=monitor,
                region=region,
                slot=slot,
                lease_until=lease_until,
                claimed_by=worker[:100],
                claimed_at=now,
            )
        return True
    except IntegrityError:
        pass
    taken = MonitorRun.objects.filter(
        monitor=monitor, region=region, slot=slot, done=False, lease_until__lt=now
    ).update(lease_until=lease_until, claimed_by=worker[:100], claimed_at=now)
    return taken == 1


def result_record(
    *, monitor_id: int, region: str, slot: int, outcome: Outcome, at: datetime
) -> MonitorResult | None:
    """Keep a check's result and apply it: the region's count, the monitor's verdict and, if
    that changed, the component (and incident). One transaction; None if the monitor is gone
    or this slot already has its result (a late duplicate changes nothing)."""
    with transaction.atomic():
        # The page lock first, as every domain write takes it: a result that changes the
        # component takes it anyway (through automation), and one order for both locks means
        # no deadlock with a domain write that deletes the component (and so the monitor).
        page_lock()
        monitor = (
            Monitor.objects.select_for_update(of=("self",))
            .select_related("component")
            .filter(pk=monitor_id)
            .first()
        )
        if (
            monitor is None
            or MonitorResult.objects.filter(monitor=monitor, region=region, slot=slot).exists()
        ):
            return None
        result = MonitorResult.objects.create(
            monitor=monitor,
            region=region,
            slot=slot,
            ok=outcome.ok,
            degraded=outcome.degraded and outcome.ok,
            latency_ms=outcome.latency_ms,
            detail=outcome.detail[:300],
            checked_at=at,
        )
        MonitorRun.objects.filter(monitor=monitor, region=region, slot=slot).update(done=True)
        # Once per slot (the result row is unique): a failed check counts without a time.
        latency = float(result.latency_ms) if result.ok and result.latency_ms is not None else None
        rollup_add(monitor_id=monitor.pk, points=[(at, latency)])
        _count(monitor, region, slot, result)
        _conclude(monitor)
    return result


def _count(monitor: Monitor, region: str, slot: int, result: MonitorResult) -> None:
    state, _ = MonitorRegionState.objects.get_or_create(monitor=monitor, region=region)
    if slot < state.last_slot:
        return  # an older slot's result, arriving late, does not rewrite the run of results
    after = rules.region_after(
        rules.RegionCount(state.failures, state.successes, state.verdict),
        ok=result.ok,
        degraded=result.degraded,
        failures_before_down=monitor.failures_before_down,
        successes_before_up=monitor.successes_before_up,
    )
    state.failures, state.successes, state.verdict = after.failures, after.successes, after.verdict
    state.last_slot = slot
    state.save()


def _conclude(monitor: Monitor) -> None:
    regions = monitor.region_names(home_region())
    verdicts = list(
        MonitorRegionState.objects.filter(monitor=monitor, region__in=regions).values_list(
            "verdict", flat=True
        )
    )
    verdict = rules.monitor_verdict(monitor.verdict, verdicts, monitor.regions_required)
    if verdict == monitor.verdict:
        return
    first = monitor.verdict == Verdict.UNKNOWN
    Monitor.objects.filter(pk=monitor.pk).update(verdict=verdict)
    monitor.verdict = verdict
    if first and verdict == Verdict.UP:
        return  # a new monitor that finds its target up changes nothing an operator set
    _drive(monitor)


def _drive(monitor: Monitor) -> None:
    """Tell the component what the monitor now concludes, through the automation service
    the alert routes use. With several monitors on one component, a recovering one reports
    the worst status its siblings still hold, so one green check cannot hide a red one."""
    status = _status_of(monitor)
    if status == ComponentStatus.OPERATIONAL:
        siblings = Monitor.objects.filter(component=monitor.component, enabled=True).exclude(
            pk=monitor.pk
        )
        status = max(
            [_status_of(m) for m in siblings] + [status],
            key=lambda s: COMPONENT_SEVERITY[ComponentStatus(s)],
        )
    component_hook_apply(
        component=monitor.component,
        status=status,
        incident=_incident(monitor) if monitor.open_incident else None,
        actor=Actor(label=f"monitor {monitor.name}"[:150], via="automation"),
        fingerprint=f"monitor:{monitor.public_id}",
    )


def _status_of(monitor: Monitor) -> str:
    if monitor.verdict == Verdict.DOWN:
        return monitor.failure_status
    if monitor.verdict == Verdict.DEGRADED:
        return ComponentStatus.DEGRADED_PERFORMANCE
    return ComponentStatus.OPERATIONAL


def _incident(monitor: Monitor) -> dict[str, str]:
    """The incident a failing monitor opens: its template's title and body, rendered in the
    sandbox, or blanks (the automation service then names it after the component)."""
    template = monitor.incident_template
    if template is None:
        return {"name": "", "body": ""}
    context = template_context(selectors.page_get().name, [monitor.component.name])
    try:
        return {
            "name": render_sandboxed(template.title, context)[:200],
            "body": render_sandboxed(template.body, context),
        }
    except TemplateRenderError:
        # A template an operator broke must not keep the outage off the page.
        return {"name": "", "body": ""}
