"""Rate limiters.

`send_slot` holds back sends so that no more than N requests reach a provider within any
one-second span, across every worker. `hit` counts requests in the Django cache for
subscribe limits.
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
import time

from django.conf import settings
from django.core.cache import cache

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


def _redis():
    import django_rq

    return django_rq.get_connection("notifications")


@contextlib.contextmanager
def send_slot(name: str, per_second: int):
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
