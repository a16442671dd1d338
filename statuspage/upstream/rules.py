"""When a provider is polled next: its interval with jitter (providers added together drift
apart instead of polling in step), and after failures an exponential backoff, capped."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

MAX_BACKOFF_SECONDS = 3600
JITTER = 0.1


def next_poll_delay(*, interval: int, failures: int, rng: random.Random | None = None) -> float:
    """Seconds to the next poll: `interval` ±10% while polls succeed; after n consecutive
    failures interval x 2^n (at most an hour), with "full jitter" on its upper half so that
    providers failing together (our own network down) come back spread out."""
    rng = rng or random.Random()  # noqa: S311 - scheduling, not secrets
    if failures <= 0:
        return interval * rng.uniform(1 - JITTER, 1 + JITTER)
    ceiling = min(interval * 2 ** min(failures, 16), MAX_BACKOFF_SECONDS)
    ceiling = max(ceiling, interval)
    return rng.uniform(ceiling / 2, ceiling)


def next_poll_at(now: datetime, *, interval: int, failures: int, rng=None) -> datetime:
    return now + timedelta(seconds=next_poll_delay(interval=interval, failures=failures, rng=rng))
