"""Rate limits: the one request rate limit of the project, and the SMS send ceiling.

`hit`, `exhausted` and `clear` count requests in the Django cache (local memory on the
embedded default, Redis in production: one configuration, CACHES). Every request limit uses
them: API keys (statuspage/api/v1/http.py), the subscribe form and SMS codes
(notifications/views.py), operator sign-in (statuspage/dashboard/throttle.py, which the Django
admin's sign-in also goes through). `client_address` is the one reading of who sent a request.

`send_slot` is another mechanism: a token bucket in Redis that holds back sends so that no more
than N requests reach a provider within any one-second span, across every worker.

Why this module lives in notifications: `incidents` imports nothing above it, and
`notifications` imports `incidents` only; it imports no `statuspage.*` module at all, not even
project-level infrastructure, so a `statuspage/ratelimit.py` would have been its first upward
import. The web surfaces (api, dashboard) and statuspage/metrics.py may import notifications,
so the one mechanism sits here, beside the subscribe limits, its first caller.
"""

from __future__ import annotations

import contextlib
import hashlib
import ipaddress
import logging
import math
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache
from django.core.cache.backends.base import BaseCache
from django.core.cache.backends.locmem import LocMemCache
from django.http import HttpRequest
from prometheus_client import Counter
from redis import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)
T = TypeVar("T")

# --- provider send ceiling (send_slot) ------------------------------------------------------

# A token is reserved for this long while its send is in flight. A send that outlives it
# (the SMS client's own timeout is shorter) or a worker killed mid-send then frees the token.
SLOT_LEASE_SECONDS = 30
WINDOW_SECONDS = 1.0

# Redis's own clock, so workers on machines with skewed clocks share one timeline.
_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local n = tonumber(ARGV[1])
if redis.call('ZCARD', KEYS[1]) < n then
  for i = 0, n - 1 do redis.call('ZADD', KEYS[1], 'NX', 0, i) end
end
local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
local wait = tonumber(first[2]) - now
if wait <= 0 then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), first[1])
  redis.call('EXPIRE', KEYS[1], 3600)
  return {first[1], '0'}
end
return {'', tostring(wait)}
"""
_RELEASE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[2]), ARGV[1])
return 1
"""

_local_lock = threading.Lock()
_local_tokens: dict[str, list[float]] = {}


def _redis() -> Redis:
    import django_rq

    return django_rq.get_connection("notifications")


@contextlib.contextmanager
def send_slot(name: str, per_second: int) -> Iterator[None]:
    """Wait for one of `per_second` tokens, send inside the block, and keep the token for
    one second after the send has finished.

    Each token is reused only a full second after its previous request *ended*, and a
    request reaches the provider between its start and its end, so any one-second span
    holds at most `per_second` arrivals however the requests' latency varies. (A fixed
    per-second counter allows twice the ceiling across a window boundary, and counts when
    a slot is taken rather than when the request lands.) The price: each token serves one
    request per (latency + 1 s), so throughput stays a little under the ceiling.
    """
    key = f"statuspage:rate:{name}:{per_second}"
    if settings.REDIS_URL:
        client = _redis()
        acquire, release = client.register_script(_ACQUIRE), client.register_script(_RELEASE)
        while True:
            token, wait = acquire(keys=[key], args=[per_second, SLOT_LEASE_SECONDS])
            if token:
                break
            time.sleep(min(max(float(wait), 0.005), 0.1))
        try:
            yield
        finally:
            release(keys=[key], args=[token, WINDOW_SECONDS])
        return
    # Embedded mode has a single process: the same tokens, in memory.
    while True:
        with _local_lock:
            tokens = _local_tokens.setdefault(key, [0.0] * per_second)
            now = time.monotonic()
            index = min(range(per_second), key=tokens.__getitem__)
            wait = tokens[index] - now
            if wait <= 0:
                tokens[index] = now + SLOT_LEASE_SECONDS
                break
        time.sleep(min(max(wait, 0.005), 0.1))
    try:
        yield
    finally:
        with _local_lock:
            tokens[index] = time.monotonic() + WINDOW_SECONDS


# --- request rate limits ---------------------------------------------------------------------


@dataclass(frozen=True)
class Rate:
    """At most `limit` hits per `window` seconds for each key; `name` keeps the keys of
    different limits apart."""

    name: str
    limit: int
    window: int


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    # Seconds until the key's window ends (when refused; 0 while allowed).
    retry_after: int = 0


# What an unreachable or failing cache raises: redis-py's errors are not OSErrors; other
# backends (file, memcached sockets) raise OSErrors. Anything else is a bug, not an outage.
CACHE_ERRORS = (RedisError, OSError)
# After a cache error this process counts in its own memory for this long before it tries the
# cache again: a cache that times out (rather than refusing at once) then costs one request
# a timeout every so often, not every request two, and the log gets one line, not thousands.
COOL_OFF_SECONDS = 10.0

CACHE_FAILURES = Counter(
    "statuspage_ratelimit_cache_errors_total",
    "Rate-limit cache calls that failed; limits were counted in process memory meanwhile.",
)

# Where counts go while the shared cache fails. Failing open here means: a request is never
# refused, and never answered 500, because the cache is down. Counting on in process memory
# keeps every limit bounded per process rather than switching it off. That matters for sign-in:
# with the counts simply skipped, an outage of Redis would be an unlimited window for guessing
# passwords; this way it allows at most (processes x limit) guesses per window. The entry cap
# bounds memory; culling old counts under a flood only resets some of them.
_fallback = LocMemCache("statuspage-ratelimit-fallback", {"OPTIONS": {"MAX_ENTRIES": 50_000}})
_shared_unusable_until = 0.0


def hit(rate: Rate, key: str) -> Verdict:
    """Count one hit for `key`; allowed while the window's count is within `rate.limit`.

    A key's window opens at its first hit and lasts `rate.window` seconds, whatever the later
    hits do: refused hits count too (a client that keeps hammering stays refused until the
    window ends, then gets a fresh allowance), and there is no clock-aligned boundary at which
    twice the limit could pass in a moment."""
    counter, ends = _keys(rate, key)

    def count(store: BaseCache) -> Verdict:
        if _count_one(store, rate, counter, ends) <= rate.limit:
            return Verdict(True)
        end = store.get(ends)
        left = rate.window if end is None else math.ceil(end - time.time())
        return Verdict(False, retry_after=min(max(1, left), rate.window))

    return _counted(count)


def exhausted(rate: Rate, key: str) -> bool:
    """True while `key` has used its whole allowance: the next hit would be refused. Counts
    nothing (sign-in checks this first and counts only failures)."""
    counter, _ends = _keys(rate, key)
    return _counted(lambda store: (store.get(counter) or 0) >= rate.limit)


def clear(rate: Rate, key: str) -> None:
    """Forget `key`'s count: its next hit opens a new window."""
    _counted(lambda store: store.delete_many(_keys(rate, key)))


def forget_local_state() -> None:
    """Drop this process's fallback counts and retry the shared cache at once (for tests)."""
    global _shared_unusable_until
    _fallback.clear()
    _shared_unusable_until = 0.0


def _keys(rate: Rate, key: str) -> tuple[str, str]:
    # Hashed: keys carry user input (addresses, usernames), which may hold spaces or be long.
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    base = f"ratelimit:{rate.name}:{digest}"
    return f"{base}:n", f"{base}:ends"


def _count_one(store: BaseCache, rate: Rate, counter: str, ends: str) -> int:
    # add() opens the window with its expiry; incr() keeps that expiry (Redis INCR and the
    # local-memory cache both leave it alone), so the window is not stretched by later hits.
    if not store.add(counter, 1, rate.window):
        try:
            return store.incr(counter)
        except ValueError:  # the window ended between add() and incr(): open the next one
            store.set(counter, 1, rate.window)
    store.set(ends, time.time() + rate.window, rate.window)
    return 1


def _counted(operation: Callable[[BaseCache], T]) -> T:
    """Run `operation` on the shared cache, or on this process's memory while that fails."""
    global _shared_unusable_until
    if time.monotonic() >= _shared_unusable_until:
        try:
            return operation(cache)
        except CACHE_ERRORS as exc:
            _shared_unusable_until = time.monotonic() + COOL_OFF_SECONDS
            CACHE_FAILURES.inc()
            log.warning(
                "rate limits: the cache failed (%s: %s); counting in process memory for %d s",
                exc.__class__.__name__,
                exc,
                COOL_OFF_SECONDS,
            )
    return operation(_fallback)


# --- who is asking ---------------------------------------------------------------------------


def client_address(request: HttpRequest) -> str:
    """The address of the client that sent `request`: the one reading of it, for every rate
    limit and the /metrics allow-list.

    REMOTE_ADDR, unless TRUST_X_FORWARDED_FOR is on. Behind a reverse proxy REMOTE_ADDR is the
    proxy's address for every client, so one client could exhaust everyone's limits and every
    outside request would look like it came from 127.0.0.1; there the last X-Forwarded-For
    entry counts: the one our own proxy wrote (deploy/nginx.conf overwrites the header with
    $remote_addr). Off by default: without a proxy that overwrites it, the header is whatever
    the client sent, and trusting it would let an attacker pick a fresh "address" for every
    attempt."""
    remote = request.META.get("REMOTE_ADDR") or "unknown"
    if not settings.TRUST_X_FORWARDED_FOR:
        return remote
    last = request.META.get("HTTP_X_FORWARDED_FOR", "").rsplit(",", 1)[-1].strip()
    try:
        return str(ipaddress.ip_address(last))
    except ValueError:  # absent or garbage: keep the proxy's own address
        return remote
