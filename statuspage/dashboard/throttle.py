"""Sign-in throttling per username and per client address, kept in the cache.

After LOGIN_FAILURE_LIMIT failures for one username (or LOGIN_IP_FAILURE_LIMIT from one
address) within LOGIN_LOCKOUT_SECONDS, every attempt is refused, even with the right password,
until the window passes. Counting per username stops guessing one account from many addresses;
counting per address stops spraying many accounts from one.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache


def _keys(username: str, ip: str) -> list[str]:
    # Hashed so arbitrary user input never becomes a raw cache key (length, odd characters).
    user = hashlib.sha256(username.strip().lower().encode()).hexdigest()[:32]
    return [f"dashboard:login-fail:user:{user}", f"dashboard:login-fail:ip:{ip}"]


def _limits() -> list[int]:
    return [settings.DASHBOARD_LOGIN_FAILURE_LIMIT, settings.DASHBOARD_LOGIN_IP_FAILURE_LIMIT]


def client_ip(request) -> str:
    # REMOTE_ADDR only: X-Forwarded-For is client-controlled unless a proxy rewrites it, and
    # trusting it would let an attacker pick a fresh "address" for every attempt.
    return request.META.get("REMOTE_ADDR") or "unknown"


def is_locked(username: str, ip: str) -> bool:
    keys = _keys(username, ip)
    counts = cache.get_many(keys)
    return any(counts.get(k, 0) >= limit for k, limit in zip(keys, _limits(), strict=True))


def record_failure(username: str, ip: str) -> None:
    window = settings.DASHBOARD_LOGIN_LOCKOUT_SECONDS
    for key in _keys(username, ip):
        # add() starts the window at the first failure; incr() keeps its expiry.
        if not cache.add(key, 1, window):
            try:
                cache.incr(key)
            except ValueError:  # expired between add() and incr()
                cache.add(key, 1, window)


def reset(username: str) -> None:
    """A successful sign-in clears the username's count (not the address's: one good account
    must not unlock spraying from that address)."""
    cache.delete(_keys(username, "")[0])
