"""The monitors' jobs. The tick runs on the scheduler's interval
(settings.STATUSPAGE_PERIODIC_JOBS) and enqueues one run per region, on that region's queue;
the run claims and runs what is due there (runner.run_due)."""

from __future__ import annotations

import logging

from django.conf import settings
from django.utils import timezone

from incidents.queue import QueueUnavailable, enqueue_now
from statuspage.monitors.models import Monitor
from statuspage.monitors.regions import home_region, queue_for
from statuspage.monitors.rollups import prune
from statuspage.monitors.runner import prune_runs, run_due

log = logging.getLogger(__name__)


def regions_in_use() -> list[str]:
    regions: set[str] = set()
    for named in Monitor.objects.filter(enabled=True).values_list("regions", flat=True):
        regions.update(named or [home_region()])
    return sorted(regions)


def monitors_tick() -> str:
    """Enqueue each region's run. The job id holds the tick's time window, so a second
    scheduler (or a tick that comes early) adds no second run of the same window."""
    now = timezone.now()
    window = int(now.timestamp()) // settings.MONITOR_TICK_SECONDS
    enqueued = []
    for region in regions_in_use():
        try:
            enqueue_now(
                "statuspage.monitors.jobs.monitors_run_region",
                region,
                queue=queue_for(region),
                job_id=f"monitors-run-{region}-{window}",
                unique=True,
            )
            enqueued.append(region)
        except QueueUnavailable as exc:
            log.warning("monitor checks of region %s not enqueued: %s", region, exc)
    prune_runs(now=now)
    return "enqueued: " + (", ".join(enqueued) or "none")


def monitors_run_region(region: str) -> str:
    """Run `region`'s due checks, on a worker of that region (it refuses to check from
    elsewhere: results carry the region they claim to come from)."""
    if region != settings.MONITOR_REGION:
        log.error(
            "a worker of region %s took region %s's checks: start it with MONITOR_REGION=%s",
            settings.MONITOR_REGION,
            region,
            region,
        )
        return f"not run: this worker is in region {settings.MONITOR_REGION}"
    report = run_due(region=region)
    return str(report)


def monitors_prune() -> str:
    """Hourly: raw results and metric points past their week, rollups past their keep."""
    deleted = prune(now=timezone.now())
    return ", ".join(f"{name}: {count}" for name, count in deleted.items())
