"""Periodic notification work, scheduled by RQ's own CronScheduler (rq.cron).

`python manage.py notifications_cron` runs the scheduler next to the workers; it only
enqueues, and `rqworker notifications default --with-scheduler` runs the jobs. Every job is
idempotent, so a second scheduler would do no harm.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.utils.module_loading import import_string
from redis import Redis
from rq.cron import CronScheduler

from incidents.jobs import maintenance_tick
from notifications import jobs

# (job, queue, seconds between runs)
SCHEDULE: tuple[tuple[Callable[[], object], str, int], ...] = (
    # The outbox relay: lost enqueues, due retries, rows whose sending lease expired.
    (jobs.relay, "notifications", 30),
    (jobs.expire_and_purge, "default", 3600),
    # Maintenance windows start, complete and send reminders on time.
    (maintenance_tick, "default", 30),
)


def build_scheduler(connection: Redis) -> CronScheduler:
    scheduler = CronScheduler(connection=connection, name="statuspage-notifications")
    for func, queue_name, interval in schedule():
        scheduler.register(func, queue_name=queue_name, interval=interval)
    return scheduler


def schedule() -> list[tuple[Callable[[], object], str, int]]:
    """SCHEDULE, then the periodic jobs of the apps above this one, named (dotted path, queue,
    seconds) in settings.STATUSPAGE_PERIODIC_JOBS: this app imports none of them."""
    extra = [
        (import_string(path), queue_name, interval)
        for path, queue_name, interval in getattr(settings, "STATUSPAGE_PERIODIC_JOBS", ())
    ]
    return [*SCHEDULE, *extra]
