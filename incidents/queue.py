"""One place that enqueues background jobs.

With REDIS_URL unset (the embedded default) a job runs in this process right after the
transaction commits, so a fresh checkout needs no Redis. With REDIS_URL set it goes to a real RQ
queue, looked up at call time (so settings changed by tests apply). Jobs take IDs, never models.
"""

from __future__ import annotations

import logging
from typing import TypeAlias

from django.conf import settings
from django.db import transaction
from django.utils.module_loading import import_string

log = logging.getLogger(__name__)

# What a job may be given: ids and short strings, never models (a job may run in another
# process, long after the objects it was given were loaded).
JobArg: TypeAlias = int | str


class QueueUnavailable(Exception):
    """Redis could not take the job; callers relying on an outbox may ignore it."""


def enqueue_now(
    func_path: str,
    *args: JobArg,
    queue: str = "default",
    job_id: str | None = None,
    unique: bool = False,
    retry: tuple[int, ...] = (),
) -> object:
    """Enqueue (or, without Redis, run) a job immediately. Raises QueueUnavailable.

    Returns the RQ job, or without Redis what the job returned. With `unique` (needs job_id)
    a job whose id already exists is not enqueued again: the deterministic id makes a
    repeated enqueue of the same work a no-op. Returns None then. `retry` gives the seconds
    before each retry of a failed job (run by a worker started with --with-scheduler).
    """
    if not settings.REDIS_URL:
        return import_string(func_path)(*args)
    import django_rq
    from redis.exceptions import RedisError
    from rq import Retry
    from rq.exceptions import DuplicateJobError

    retries = Retry(max=len(retry), interval=list(retry)) if retry else None
    try:
        return django_rq.get_queue(queue).enqueue(
            func_path, *args, job_id=job_id, unique=unique, retry=retries
        )
    except DuplicateJobError:
        return None
    except RedisError as exc:
        raise QueueUnavailable(f"queue {queue!r} unreachable: {exc}") from exc


def enqueue_on_commit(
    func_path: str,
    *args: JobArg,
    queue: str = "default",
    job_id: str | None = None,
    unique: bool = False,
) -> None:
    """Enqueue after the current transaction commits. A Redis failure is logged, not raised:
    the work it stood for must be recoverable from the database (outbox rows, periodic relay)."""

    def _send() -> None:
        try:
            enqueue_now(func_path, *args, queue=queue, job_id=job_id, unique=unique)
        except QueueUnavailable as exc:
            log.warning("job %s not enqueued: %s", func_path, exc)

    transaction.on_commit(_send)


def queue_is_reachable() -> bool:
    if not settings.REDIS_URL:
        return True
    import django_rq
    from redis.exceptions import RedisError

    try:
        return bool(django_rq.get_connection("default").ping())
    except RedisError:
        return False
