"""Fault tests: real workers killed, Redis stopped, PostgreSQL cut off. They need Redis
(REDIS_URL set, and a redis-server binary for the private instances they stop and restart);
those marked `postgres` also need PostgreSQL (other processes share the test's database).
Each runs under a hard time bound (TIME_BOUND_SECONDS, or the module's own) and kills what
it started. Without those services they skip, unless REQUIRE_REAL_SERVICES=1 (CI's second
pass), where a missing service fails them instead."""

from __future__ import annotations

import shutil
import signal
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from notifications.models import Subscriber, SubscriberState
from tests.faults.support import PrivateRedis, SmtpSink, redis_settings, unavailable

TIME_BOUND_SECONDS = 60
FAULTS_DIR = Path(__file__).resolve().parent


def pytest_collection_modifyitems(session, config, items):
    # Workers, servers and the database run in other processes, on the machine's clock: a
    # frozen clock here would see their leases and timestamps days away.
    for item in items:
        if FAULTS_DIR in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.real_clock)


class FaultTestTimeout(Exception):
    pass


@pytest.fixture(autouse=True)
def _needs_postgres_and_redis(request):
    from django.conf import settings

    if request.node.get_closest_marker("postgres") and connection.vendor != "postgresql":
        unavailable("needs PostgreSQL (CI's second run sets DATABASE_URL)")
    if request.node.get_closest_marker("redis") and not settings.REDIS_URL:
        unavailable("needs a real Redis (REDIS_URL)")
    if request.node.get_closest_marker("redis") and shutil.which("redis-server") is None:
        unavailable("needs the redis-server binary for a private instance")


@pytest.fixture(autouse=True)
def _time_bound(request):
    """A hard bound per test: SIGALRM raises in the test, whose `finally` blocks then kill
    every process it started. Generous: CI shares two cores with other suites."""
    seconds = getattr(request.module, "TIME_BOUND_SECONDS", TIME_BOUND_SECONDS)

    def expired(signum, frame):
        raise FaultTestTimeout(f"fault test exceeded {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture
def private_redis(tmp_path, settings):
    """A redis-server of the test's own (stopping the shared one would hurt everyone else);
    the queues, not the cache, point at it."""
    server = PrivateRedis(tmp_path).start()
    for name, value in redis_settings(server.url).items():
        setattr(settings, name, value)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def sink():
    server = SmtpSink().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def email_subscribers(page):
    from incidents.models import Page

    Page.objects.update(url="https://status.example.test")

    def make(count: int, prefix: str = "f") -> int:
        now = timezone.now()
        Subscriber.objects.bulk_create(
            (
                Subscriber(
                    channel="email",
                    address=f"{prefix}{n}@example.test",
                    state=SubscriberState.ACTIVE,
                    confirmed_at=now,
                    public_id=f"{prefix}{n:011d}"[:12],
                )
                for n in range(count)
            ),
            batch_size=2000,
        )
        return count

    return make
