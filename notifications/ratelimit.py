"""Small fixed-window limiters.

`acquire_slot` blocks until a send fits under a per-second ceiling shared by every worker
(a Redis counter per second when REDIS_URL is set; a process-local one in embedded mode, where
there is only one process). `hit` counts requests in the Django cache for subscribe limits.
"""

from __future__ import annotations

import hashlib
import threading
import time

from django.conf import settings
from django.core.cache import cache

_local_lock = threading.Lock()
_local_counts: dict[int, int] = {}


def _redis():
    import django_rq

    return django_rq.get_connection("notifications")


def acquire_slot(name: str, per_second: int) -> int:
    """Wait until one more event fits in the current one-second window, take it, and return
    that window (unix second)."""
    while True:
        second = int(time.time())
        if settings.REDIS_URL:
            key = f"statuspage:rate:{name}:{second}"
            pipe = _redis().pipeline()
            pipe.incr(key)
            pipe.expire(key, 5)
            count = pipe.execute()[0]
        else:
            with _local_lock:
                count = _local_counts.get(second, 0) + 1
                _local_counts.clear()
                _local_counts[second] = count
        if count <= per_second:
            return second
        # Over the ceiling: the slot is burnt, wait for the next window.
        time.sleep(max(0.0, second + 1 - time.time()) + 0.001)


def hit(key: str, limit: int, window_seconds: int) -> bool:
    """Count one request; True while the count is within `limit` for this window."""
    bucket = int(time.time()) // window_seconds
    # Hashed: keys carry user input (addresses), which may hold spaces or be long.
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    full_key = f"ratelimit:{digest}:{bucket}"
    cache.add(full_key, 0, window_seconds + 5)
    try:
        count = cache.incr(full_key)
    except ValueError:  # expired between add and incr
        cache.set(full_key, 1, window_seconds + 5)
        count = 1
    return count <= limit
