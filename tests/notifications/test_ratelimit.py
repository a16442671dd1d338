"""The one request rate limit (notifications/ratelimit.py): windows, keys, and what happens
when its cache is unreachable; and the one reading of a client's address."""

from __future__ import annotations

import logging
import socket
import threading
import time

import pytest
from django.test import RequestFactory
from prometheus_client import REGISTRY

from notifications import ratelimit
from notifications.ratelimit import Rate, clear, client_address, exhausted, hit

THREE_A_MINUTE = Rate("test", 3, 60)


def _use_local_memory_cache(settings) -> None:
    # Its own location: local-memory caches of one name share their entries for the whole
    # process, and the suite's autouse fixture clears only the configured cache.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "test-ratelimit",
        }
    }
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def local_cache(settings):
    """The local-memory cache expires keys by the test's clock (Redis keeps real time), for the
    tests that move the clock past a window's end."""
    _use_local_memory_cache(settings)


def _errors() -> float:
    return REGISTRY.get_sample_value("statuspage_ratelimit_cache_errors_total") or 0.0


def test_a_key_is_refused_past_its_limit_with_the_seconds_left():
    assert [hit(THREE_A_MINUTE, "k").allowed for _ in range(4)] == [True, True, True, False]
    refused = hit(THREE_A_MINUTE, "k")
    assert not refused.allowed
    assert 1 <= refused.retry_after <= 60


def test_keys_and_limits_count_apart():
    for _ in range(3):
        hit(THREE_A_MINUTE, "a")
    assert not hit(THREE_A_MINUTE, "a").allowed
    assert hit(THREE_A_MINUTE, "b").allowed
    assert hit(Rate("other", 3, 60), "a").allowed


def test_the_window_opens_at_the_first_hit_and_later_hits_do_not_stretch_it(local_cache, clock):
    for _ in range(3):
        hit(THREE_A_MINUTE, "k")
    clock.shift(40)
    refused = hit(THREE_A_MINUTE, "k")
    assert not refused.allowed
    assert 19 <= refused.retry_after <= 20
    clock.shift(21)
    assert hit(THREE_A_MINUTE, "k").allowed


def test_exhausted_reads_without_counting():
    for _ in range(2):
        hit(THREE_A_MINUTE, "k")
    assert not exhausted(THREE_A_MINUTE, "k")
    assert not exhausted(THREE_A_MINUTE, "k")
    hit(THREE_A_MINUTE, "k")
    assert exhausted(THREE_A_MINUTE, "k")


def test_clear_gives_a_fresh_allowance():
    for _ in range(4):
        hit(THREE_A_MINUTE, "k")
    clear(THREE_A_MINUTE, "k")
    assert not exhausted(THREE_A_MINUTE, "k")
    assert hit(THREE_A_MINUTE, "k").allowed


def test_keys_of_any_shape_are_safe():
    odd = "a b\n" + "x" * 5000 + "\x00ü"
    assert hit(THREE_A_MINUTE, odd).allowed
    assert hit(THREE_A_MINUTE, "").allowed


# --- the cache unreachable -----------------------------------------------------------------


def test_an_unreachable_cache_fails_open_and_keeps_counting_in_memory(unreachable_cache, caplog):
    before = _errors()
    with caplog.at_level(logging.WARNING, logger="notifications.ratelimit"):
        verdicts = [hit(THREE_A_MINUTE, "k").allowed for _ in range(5)]
    # Never an exception, never a refusal for the outage itself; the limit still holds.
    assert verdicts == [True, True, True, False, False]
    assert exhausted(THREE_A_MINUTE, "k")
    # One failed call, then this process stops asking the cache for a while: one warning,
    # counted once, not one per request.
    assert _errors() == before + 1
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "ConnectionError" in warnings[0].getMessage()


def test_the_cache_is_tried_again_after_the_pause(unreachable_cache, settings, monkeypatch):
    monkeypatch.setattr(ratelimit, "COOL_OFF_SECONDS", 0.0)
    before = _errors()
    hit(THREE_A_MINUTE, "k")
    hit(THREE_A_MINUTE, "k")
    assert _errors() == before + 2
    # The cache is back: counts go to it again (it has seen none of the outage's).
    _use_local_memory_cache(settings)
    from django.core.cache import cache

    assert hit(THREE_A_MINUTE, "k").allowed
    assert _errors() == before + 2
    assert cache.get(ratelimit._keys(THREE_A_MINUTE, "k")[0]) == 1


@pytest.fixture
def silent_server():
    """A port that accepts connections and never answers: a cache behind a network partition."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    stop = threading.Event()
    held: list[socket.socket] = []

    def accept():
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1]
    finally:
        stop.set()
        thread.join(timeout=2)
        for conn in held:
            conn.close()
        server.close()


def test_a_cache_that_never_answers_costs_one_timeout_not_a_hang(settings, silent_server):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{silent_server}/0",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    before = _errors()
    started = time.monotonic()
    assert hit(THREE_A_MINUTE, "k").allowed
    assert time.monotonic() - started < 5
    assert _errors() == before + 1
    # Within the pause the cache is not asked again: no further timeouts.
    assert all(hit(THREE_A_MINUTE, "k").allowed for _ in range(2))
    assert _errors() == before + 1


# --- who is asking -------------------------------------------------------------------------


def _request(**meta):
    return RequestFactory().get("/", **meta)


def test_without_a_trusted_proxy_the_header_is_ignored(settings):
    settings.TRUST_X_FORWARDED_FOR = False
    request = _request(REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="127.0.0.1")
    assert client_address(request) == "203.0.113.9"


def test_behind_a_trusted_proxy_the_last_forwarded_entry_counts(settings):
    settings.TRUST_X_FORWARDED_FOR = True
    forwarded = "198.51.100.1, 203.0.113.9"
    assert client_address(_request(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded)) == (
        "203.0.113.9"
    )
    ipv6 = _request(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="2001:DB8::0:1")
    assert client_address(ipv6) == "2001:db8::1"


@pytest.mark.parametrize("header", ["not-an-ip", "", "203.0.113.9, ", "1.2.3.4:80"])
def test_a_missing_or_garbage_header_leaves_the_proxy_address(settings, header):
    settings.TRUST_X_FORWARDED_FOR = True
    assert client_address(_request(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=header)) == (
        "10.0.0.2"
    )


def test_no_remote_address_at_all_is_one_shared_unknown(settings):
    request = _request()
    del request.META["REMOTE_ADDR"]
    assert client_address(request) == "unknown"
