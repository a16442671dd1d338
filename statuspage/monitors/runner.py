"""Running the due checks of one region: claim each due (monitor, slot) through its lease,
run the claimed checks together on one event loop, then keep and apply each result.

Called by the region's RQ job (jobs.monitors_run_region) and by `manage.py monitors_run
--once`; the database work is synchronous, only the checks' network I/O is asynchronous."""

from __future__ import annotations

import asyncio
import os
import socket
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from statuspage.monitors import checks
from statuspage.monitors.models import Monitor, MonitorRun
from statuspage.monitors.recording import Finished, results_record, runs_claim
from statuspage.monitors.regions import home_region
from statuspage.monitors.rules import slot_of

# Results kept per transaction: a batch costs the same dozen statements at any size; this
# bounds how long it holds the page lock and each statement's parameters.
RESULT_BATCH = 500


@dataclass
class RunReport:
    region: str
    due: int = 0
    checked: int = 0
    # Due, but another worker holds the slot's lease.
    taken_elsewhere: int = 0
    failures: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return (
            f"region {self.region}: {self.due} due, {self.checked} checked, "
            f"{self.taken_elsewhere} taken by another worker, {len(self.failures)} failing"
        )


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def due_checks(region: str, now: datetime) -> list[tuple[Monitor, int]]:
    """(monitor, current slot) for each enabled monitor of `region` whose current slot has no
    result and no live lease in that region (a lease that ran out counts as none)."""
    mine = [
        m
        for m in Monitor.objects.filter(enabled=True).select_related("component")
        if region in (m.regions or [home_region()])
    ]
    if not mine:
        return []
    longest = max(m.interval_seconds for m in mine)
    busy = set(
        MonitorRun.objects.filter(
            region=region,
            monitor__in=mine,
            claimed_at__gte=now - timedelta(seconds=longest),
        )
        .filter(Q(done=True) | Q(lease_until__gte=now))
        .values_list("monitor_id", "slot")
    )
    due = [(m, slot_of(now, m.interval_seconds)) for m in mine]
    return [(m, slot) for m, slot in due if (m.pk, slot) not in busy]


def probe_of(monitor: Monitor, now: datetime) -> checks.Probe:
    return checks.Probe(
        monitor_id=monitor.pk,
        kind=monitor.kind,
        url=monitor.url,
        host=monitor.host,
        port=monitor.port,
        timeout_seconds=monitor.timeout_seconds,
        method=monitor.method,
        headers=dict(monitor.headers),
        expected_statuses=tuple(monitor.expected_statuses),
        keyword=monitor.keyword,
        json_path=monitor.json_path,
        json_expected=monitor.json_expected,
        latency_threshold_ms=monitor.latency_threshold_ms,
        tls_expiry_warning_days=monitor.tls_expiry_warning_days,
        dns_resolver=monitor.dns_resolver,
        dns_record_type=monitor.dns_record_type,
        last_ping_at=monitor.last_ping_at,
        deadline_seconds=monitor.interval_seconds + monitor.grace_seconds,
        created_at=monitor.created_at,
        now=now,
    )


async def _run_all(probes: list[checks.Probe]) -> list[checks.Outcome]:
    limit = asyncio.Semaphore(settings.MONITOR_CONCURRENCY)

    async def one(probe: checks.Probe) -> checks.Outcome:
        async with limit:
            return await checks.run(probe)

    return await asyncio.gather(*(one(p) for p in probes))


def run_due(*, region: str | None = None, now: datetime | None = None) -> RunReport:
    """Run every due check of `region` (this process's MONITOR_REGION by default) once:
    claim the due slots in one batch, run the claimed checks together, keep their results
    RESULT_BATCH at a time."""
    region = region or settings.MONITOR_REGION
    now = now or timezone.now()
    report = RunReport(region=region)
    due = due_checks(region, now)
    report.due = len(due)
    held = runs_claim(region=region, due=due, worker=worker_name(), now=now)
    claimed = [(m, slot) for m, slot in due if (m.pk, slot) in held]
    report.taken_elsewhere = len(due) - len(claimed)
    if not claimed:
        return report
    # Heartbeats need no network: they are judged at the tick's instant like the rest.
    outcomes = asyncio.run(_run_all([probe_of(m, now) for m, _ in claimed]))
    checked_at = timezone.now()
    finished = [
        Finished(monitor.pk, slot, outcome)
        for (monitor, slot), outcome in zip(claimed, outcomes, strict=True)
    ]
    for start in range(0, len(finished), RESULT_BATCH):
        results_record(
            region=region, finished=finished[start : start + RESULT_BATCH], at=checked_at
        )
    report.checked = len(finished)
    report.failures = [
        f"{monitor.name}: {outcome.detail}"
        for (monitor, _), outcome in zip(claimed, outcomes, strict=True)
        if not outcome.ok
    ]
    return report


def prune_runs(*, now: datetime) -> int:
    """Leases older than a day are only history (the result rows keep what happened)."""
    deleted, _ = MonitorRun.objects.filter(claimed_at__lt=now - timedelta(days=1)).delete()
    return deleted
