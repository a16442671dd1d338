"""Fixtures shared by every test: the page, a few components, an operator actor, a clock."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo

import pytest
import time_machine

from incidents import services
from incidents.models import Page
from incidents.services import Actor

# The suite's "now": an ordinary weekday, away from month ends and DST changes. Every test
# starts its clock here (ticking from it), so no result depends on the day the suite runs.
# TEST_NOW=2031-02-28T23:30:00+00:00 runs the whole suite from another instant.
SUITE_NOW = datetime.fromisoformat(os.environ.get("TEST_NOW") or "2026-11-18T12:00:00+00:00")


def _instant(value) -> datetime:
    instant = datetime.fromisoformat(value) if isinstance(value, str) else value
    if instant.tzinfo is None:
        raise ValueError(f"frozen_at needs an aware instant, got {value!r}")
    return instant


@pytest.fixture(autouse=True)
def clock(request):
    """The test's clock (a time-machine traveller): `clock.move_to(...)`, `clock.shift(...)`.
    It ticks, so timeouts and waits behave, but it starts at SUITE_NOW, or at the test's
    `@pytest.mark.frozen_at(...)`. Tests marked `real_clock` (they share time with workers or
    servers in other processes) get None and the machine's clock."""
    if request.node.get_closest_marker("real_clock"):
        yield None
        return
    marker = request.node.get_closest_marker("frozen_at")
    start = _instant(marker.args[0]) if marker else SUITE_NOW
    with time_machine.travel(start, tick=True) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def _cheap_password_hashing(settings):
    """Argon2 at test-sized cost (see tests/hashers.py), swapped in at the same place in the
    list: if the settings stopped putting Argon2 first, the hash-format tests still see that."""
    settings.PASSWORD_HASHERS = [
        "tests.hashers.FastArgon2PasswordHasher"
        if h == "django.contrib.auth.hashers.Argon2PasswordHasher"
        else h
        for h in settings.PASSWORD_HASHERS
    ]


@pytest.fixture(autouse=True)
def _fresh_public_cache():
    """Each test's database starts its generation counter afresh, so cached documents of an
    earlier test must not be served to the next one; nor its page routes (page ids change
    when a transactional test flushes the tables)."""
    from django.core.cache import cache

    from incidents import page_routes
    from statuspage import audience_documents, public_cache

    public_cache.local.clear()
    audience_documents.forget()
    page_routes.forget()
    cache.clear()
    yield


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Rate-limit counts kept in process memory while a test's cache was down (and the pause
    before the shared cache is tried again) must not reach the next test."""
    from notifications import ratelimit

    ratelimit.forget_local_state()
    yield


@pytest.fixture(scope="session")
def live_server(request, django_db_setup):
    """pytest-django's live server, started once the test database exists. pytest-django's own
    fixture starts before it, while the settings still name the file database, so on SQLite
    Django does not hand the in-memory test database's connection to the server's threads:
    each opened a connection of its own to the shared in-memory database, and SQLite answers
    a write on one connection while another reads the table with "database table is locked"
    at once (no busy timeout applies between connections of a shared cache)."""
    from pytest_django.live_server_helper import LiveServer

    addr = (
        request.config.getvalue("liveserver")
        or os.getenv("DJANGO_LIVE_TEST_SERVER_ADDRESS")
        or "localhost"
    )
    server = LiveServer(addr)
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _live_server_connection(request):
    """A test that uses the live server reads and writes through the connection the server's
    threads share (SQLite's in-memory test database; on PostgreSQL nothing is shared). The
    test's own may be another: Django's connections are context-local, and Playwright's sync
    API runs the test in a context of its own."""
    if "live_server" not in request.fixturenames:
        return
    from django.db import connections

    server = request.getfixturevalue("live_server")
    for alias, connection in server.thread.connections_override.items():
        connections[alias] = connection


@pytest.fixture(autouse=True)
def _page_row(request):
    """Every test that touches the database finds the page row (see `page`)."""
    uses_db = {"db", "transactional_db", "live_server"} & set(request.fixturenames)
    if uses_db or request.node.get_closest_marker("django_db"):
        request.getfixturevalue("page")


@pytest.fixture
def unreachable_cache(settings):
    """The shared cache is a real Redis client pointed at a port nobody listens on, as when the
    cache's Redis is down: every cache call raises redis's ConnectionError at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    return settings.CACHES["default"]


@pytest.fixture
def redis_down(settings, unreachable_cache):
    """The install's single Redis is stopped: the queues and the cache both point at a port
    nobody listens on (REDIS_URL set, as deployed)."""
    url = unreachable_cache["LOCATION"]
    settings.REDIS_URL = url
    settings.RQ_QUEUES = {
        name: {"URL": url, "DEFAULT_TIMEOUT": 300, "SOCKET_CONNECT_TIMEOUT": 1}
        for name in ("default", "notifications")
    }
    return url


@pytest.fixture
def page(db) -> Page:
    """The page row. A migration creates it, but transactional tests flush every table
    afterwards, so later tests recreate it the way the migration does."""
    page = Page.objects.first()
    if page is None:
        page = Page.objects.create(name="Status", url="http://127.0.0.1:8000", time_zone="Etc/UTC")
    elif not page.url:
        # New installs start without a public URL (links follow the request then); most tests
        # want links from a configured one, as a deployed page has.
        Page.objects.filter(pk=page.pk).update(url="http://127.0.0.1:8000")
        page.refresh_from_db()
    # The page routes are loaded once per process, not per request: loaded here, so a test's
    # first request counts the queries of any other.
    from incidents import page_routes

    page_routes.table()
    return page


@pytest.fixture
def operator() -> Actor:
    return Actor(label="alice", via="dashboard")


@pytest.fixture
def make_component(page, operator):
    def make(name: str, **kwargs):
        kwargs.setdefault("created_at", datetime(2026, 1, 1, tzinfo=UTC))
        return services.component_create(name=name, actor=operator, **kwargs)

    return make


@pytest.fixture
def api(make_component):
    return make_component("API")


@pytest.fixture
def web(make_component):
    return make_component("Web")


RECORDED_EVENTS: list = []


@pytest.fixture
def component_subscribers(api, web):
    """Two active email subscribers, each to one component: api@x.test to API, web@x.test to
    Web (for tests of who a component change reaches)."""
    from django.utils import timezone

    from notifications.models import Subscriber, SubscriberState

    made = {}
    for address, component in (("api@x.test", api), ("web@x.test", web)):
        made[address] = Subscriber.objects.create(
            channel="email",
            address=address,
            state=SubscriberState.ACTIVE,
            confirmed_at=timezone.now(),
            all_components=False,
        )
        made[address].components.set([component])
    return made


def record_event(event) -> None:
    """A stand-in event handler (settings.STATUSPAGE_EVENT_HANDLER) that remembers events."""
    RECORDED_EVENTS.append(event)


@pytest.fixture
def events(settings):
    settings.STATUSPAGE_EVENT_HANDLER = "tests.conftest.record_event"
    RECORDED_EVENTS.clear()
    return RECORDED_EVENTS


def pytest_configure(config):
    """Under pytest-xdist (`make test` runs two workers), each worker gets a Redis database and
    a snapshot folder of its own, as pytest-django gives each its own test database: one
    worker's `cache.clear()` or queue drain must not empty the other's mid-test."""
    worker = getattr(config, "workerinput", {}).get("workerid")
    if worker:
        _isolate_worker(int(worker.removeprefix("gw")))


def _isolate_worker(index: int) -> None:
    # Django's cache and django-rq read these dicts when they first connect, which is during a
    # test, so rewriting them here (before any test runs) is enough; subprocesses that the
    # fault tests start inherit the environment.
    from django.conf import settings

    settings.PUBLIC_SNAPSHOT_DIR = Path(settings.PUBLIC_SNAPSHOT_DIR) / f"worker-{index}"
    if not settings.REDIS_URL:
        return
    url = _redis_db_shifted(settings.REDIS_URL, index)
    settings.REDIS_URL = os.environ["REDIS_URL"] = url
    for queue in settings.RQ_QUEUES.values():
        queue["URL"] = url
    cache = settings.CACHES["default"]
    if str(cache.get("LOCATION", "")).startswith("redis"):
        cache["LOCATION"] = _redis_db_shifted(cache["LOCATION"], index)


def _redis_db_shifted(url: str, index: int) -> str:
    """redis://host:port/3 -> redis://host:port/(3 + index); a URL without a database is db 0."""
    parts = urlsplit(url)
    db = int(parts.path.strip("/") or 0) + index
    return urlunsplit(parts._replace(path=f"/{db}"))


def pytest_report_header(config):
    """Say which real services this run uses (CI runs once embedded, once on PostgreSQL+Redis)."""
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    queue = settings.REDIS_URL or "none (jobs run in-process)"
    return [f"database: {engine}; redis: {queue}"]


# --- the instants that break naive date code ------------------------------------------------


@dataclass(frozen=True)
class Edge:
    """An instant, and the page time zone that makes it hard. `now` is written in that zone;
    `long_day`, when set, is a local day that is not 24 hours long (a DST change) with its
    length in hours."""

    name: str
    zone: str
    now: datetime
    long_day: tuple[date, int] | None = None

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.zone)

    @property
    def today(self) -> date:
        """The page's local date at `now` (not the UTC date)."""
        return self.now.astimezone(self.tz).date()

    def local(self, day: date, hour: int = 0, minute: int = 0) -> datetime:
        return datetime.combine(day, time(hour, minute), tzinfo=self.tz)


def _at(value: str, zone: str) -> datetime:
    return datetime.fromisoformat(value).replace(tzinfo=ZoneInfo(zone))


EDGES = [
    # Clocks jump 02:00 -> 03:00: the day has 23 hours, and "today" so far 11 of them.
    Edge("new-york-spring-forward", "America/New_York",
         _at("2027-03-14 12:00", "America/New_York"), (date(2027, 3, 14), 23)),
    # Clocks fall back 02:00 -> 01:00: the day has 25 hours.
    Edge("new-york-fall-back", "America/New_York",
         _at("2026-11-01 12:00", "America/New_York"), (date(2026, 11, 1), 25)),
    Edge("berlin-spring-forward", "Europe/Berlin",
         _at("2027-03-28 12:00", "Europe/Berlin"), (date(2027, 3, 28), 23)),
    Edge("berlin-fall-back", "Europe/Berlin",
         _at("2026-10-25 12:00", "Europe/Berlin"), (date(2026, 10, 25), 25)),
    # Local time is already in June while UTC is still on May 31st.
    Edge("month-end", "Europe/Berlin", _at("2026-06-01 00:30", "Europe/Berlin")),
    # Local time is still December 31st while UTC is in the new year.
    Edge("year-end", "America/New_York", _at("2026-12-31 23:30", "America/New_York")),
    # The leap day's evening in New York is March 1st in UTC.
    Edge("leap-day", "America/New_York", _at("2028-02-29 21:00", "America/New_York")),
    # UTC+14: a new year (and a new month, a new day) 14 hours before UTC has one.
    Edge("kiritimati-new-year", "Pacific/Kiritimati",
         _at("2027-01-01 00:30", "Pacific/Kiritimati")),
]  # fmt: skip


DST_EDGES = [e for e in EDGES if e.long_day]


def _standing_at(edge: Edge, page):
    page.time_zone = edge.zone
    page.save(update_fields=["time_zone"])
    with time_machine.travel(edge.now, tick=False):
        yield edge


@pytest.fixture(params=EDGES, ids=[e.name for e in EDGES])
def edge(request, page, clock) -> Edge:
    """Runs the test once per instant of EDGES: the clock stands still at `edge.now` and the
    page's time zone is the edge's."""
    yield from _standing_at(request.param, page)


@pytest.fixture(params=DST_EDGES, ids=[e.name for e in DST_EDGES])
def dst_edge(request, page, clock) -> Edge:
    """As `edge`, for the clock changes only (edge.long_day is set)."""
    yield from _standing_at(request.param, page)
