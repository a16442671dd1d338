#!/usr/bin/env python
"""How costs grow by factors of ten. Not a test: it prints a markdown table.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/statuspage_bench_scaling \\
    REDIS_URL=redis://127.0.0.1:6379/13 SECRET_KEY=bench \\
    .venv/bin/python bench/scaling.py [--max 10000] [--max-subscribers 100000] \\
        [--series components incidents subscribers]

THE DATABASE IS EMPTIED (flush) before each series: give it a database of its own. REDIS_URL
is needed so that posting an update only enqueues the fan-out (without it the jobs would run
in-process and the figure would include sending); its notifications queue is emptied.

Three series (--series picks some), one dimension at a time, the others at their smallest:
- components (10, 100, 1,000, 10,000; 10 incidents): renders of `/`, `/uptime`, `/history`
  and `/api/v2/summary.json`;
- incidents in history (10 ... 10,000; 10 components), spread over 90 days: the same;
- active email subscribers (1k, 10k, 100k): posting one incident update, which writes the
  outbox rows (one INSERT ... SELECT) in the operator's transaction.
Cold render = in-process (Django test client), every cache emptied first; "after a change" =
the public generation bumped (every cached document stale), each component's finished days
still cached, as after posting an update. Median of 3, with the SQL queries of one render.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "statuspage.settings")
DAYS = 90


def reset() -> None:
    from django.core.cache import cache
    from django.core.management import call_command

    from incidents.models import Page

    call_command("flush", "--no-input", verbosity=0)
    cache.clear()
    # flush also removed the page row the first migration creates.
    Page.objects.create(name="Scaling", url="https://status.bench.test", time_zone="Etc/UTC")


def actor():
    from incidents.services import Actor

    return Actor(label="bench", via="automation")


def add_components(have: int, want: int) -> None:
    from django.utils import timezone

    from incidents import services
    from incidents.models import ComponentGroup

    start = timezone.now() - timedelta(days=DAYS + 30)
    groups = list(ComponentGroup.objects.all()) or [
        services.component_group_create(name=f"Group {n}", actor=actor()) for n in range(5)
    ]
    for n in range(have, want):
        services.component_create(
            name=f"Service {n}", group=groups[n % len(groups)], description=f"Service {n}",
            actor=actor(), created_at=start,
        )  # fmt: skip


def add_incidents(have: int, want: int, total: int) -> None:
    """Incidents `have`..`want` of `total`, evenly spread over the last DAYS days, in order
    (each backdated change lands after the previous one)."""
    from django.utils import timezone

    from incidents import services
    from incidents.models import Component

    comps = list(Component.objects.order_by("pk"))
    step = timedelta(days=DAYS) / total
    first = timezone.now() - timedelta(days=DAYS)
    statuses = ["major_outage", "partial_outage", "degraded_performance"]
    for n in range(have, want):
        at = first + step * n
        affected = {comps[(n * 7 + k) % len(comps)]: statuses[(n + k) % 3] for k in range(2)}
        incident = services.incident_create(
            name=f"Incident {n}", body=f"Investigating **issue {n}**.", actor=actor(),
            component_statuses=affected, at=at, notify=False,
        )  # fmt: skip
        services.incident_resolve(
            incident=incident, body="Resolved.", actor=actor(), at=at + step / 4, notify=False
        )


def cold(path: str, rounds: int = 3) -> tuple[float, int]:
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from statuspage import public_cache

    client, times, queries = Client(), [], 0
    for _ in range(rounds):
        public_cache.local.clear()
        cache.clear()
        with CaptureQueriesContext(connection) as captured:
            began = time.perf_counter()
            response = client.get(path, HTTP_HOST="127.0.0.1")
            times.append((time.perf_counter() - began) * 1000)
        assert response.status_code == 200, (path, response.status_code)
        queries = len(captured)
    return statistics.median(times), queries


def after_change(path: str, rounds: int = 3) -> tuple[float, int]:
    """A render after a change to today (the common case): every public document is stale
    (the generation moved on) but the finished days of each component are still cached."""
    from django.db import connection, transaction
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from incidents.services.common import public_changed
    from statuspage import public_cache

    client, times, queries = Client(), [], 0
    client.get(path, HTTP_HOST="127.0.0.1")  # fills the finished-day cache (not timed)
    for _ in range(rounds):
        with transaction.atomic():
            public_changed()
        public_cache.local.clear()
        with CaptureQueriesContext(connection) as captured:
            began = time.perf_counter()
            response = client.get(path, HTTP_HOST="127.0.0.1")
            times.append((time.perf_counter() - began) * 1000)
        assert response.status_code == 200, (path, response.status_code)
        queries = len(captured)
    return statistics.median(times), queries


def page_bytes(path: str) -> int:
    """The size of the uncompressed HTML a reader's browser parses."""
    from django.test import Client

    response = Client().get(path, HTTP_HOST="127.0.0.1")
    assert response.status_code == 200, (path, response.status_code)
    return len(response.content)


PAGES = ("/", "/uptime", "/history")
HEADER = (
    "| `/` cold | `/` after a change | `/uptime` cold | `/uptime` after a change "
    "| `/history` cold | `/api/v2/summary.json` cold | `/uptime` HTML |"
)


def render_row(label: str) -> str:
    cells = []
    for path in PAGES:
        ms, q = cold(path)
        cells.append(f"{ms:.0f} ms, {q} q")
        if path != "/history":  # /history has no cached part: cold is every render
            ms, q = after_change(path)
            cells.append(f"{ms:.0f} ms, {q} q")
    ms, q = cold("/api/v2/summary.json")
    cells.append(f"{ms:.0f} ms, {q} q")
    cells.append(f"{page_bytes('/uptime'):,} bytes")
    row = f"| {label} | " + " | ".join(cells) + " |"
    print(row, flush=True)
    return row


def add_subscribers(have: int, want: int) -> None:
    from django.utils import timezone

    from incidents.models import Component
    from notifications.models import Subscriber, SubscriberState

    now = timezone.now()
    Subscriber.objects.bulk_create(
        (
            Subscriber(
                channel="email",
                address=f"user{n}@bench.test",
                state=SubscriberState.ACTIVE,
                confirmed_at=now,
                public_id=f"s{n:011d}",
            )  # fmt: skip
            for n in range(have, want)
        ),
        batch_size=5000,
    )
    assert Component.objects.exists()


def outbox_row(n: int, incident) -> str:
    import django_rq
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from incidents import services
    from notifications.models import Delivery

    times, rows, queries = [], 0, 0
    for round_no in range(3):
        before = Delivery.objects.count()
        with CaptureQueriesContext(connection) as captured:
            began = time.perf_counter()
            services.incident_update_post(
                incident=incident, status="monitoring", body=f"Update {n} {round_no}.",
                actor=actor(),
            )  # fmt: skip
            times.append((time.perf_counter() - began) * 1000)
        rows, queries = Delivery.objects.count() - before, len(captured)
        django_rq.get_queue("notifications").empty()
    row = f"| {n:,} subscribers | {statistics.median(times):.0f} ms, {queries} q | {rows:,} rows |"
    print(row, flush=True)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max", type=int, default=10_000, help="largest component/incident count")
    parser.add_argument("--max-subscribers", type=int, default=100_000)
    parser.add_argument(
        "--series", nargs="+", default=["components", "incidents", "subscribers"],
        choices=["components", "incidents", "subscribers"],
    )  # fmt: skip
    args = parser.parse_args()
    if not os.environ.get("REDIS_URL"):
        sys.exit("Set REDIS_URL (a Redis db of its own): see the docstring.")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}")
    steps = [n for n in (10, 100, 1000, 10_000) if n <= args.max]

    if "components" in args.series:
        print(f"\n| components (10 incidents) {HEADER}")
        print("|---|---|---|---|---|---|---|---|")
        reset()
        have = 0
        for n in steps:
            add_components(have, n)
            have = n
            if n == steps[0]:
                add_incidents(0, 10, 10)
            render_row(f"{n:,} components")

    if "incidents" in args.series:
        print(f"\n| incidents in 90 days (10 components) {HEADER}")
        print("|---|---|---|---|---|---|---|---|")
        for n in steps:
            # Each count is its own history spread over the same 90 days.
            reset()
            add_components(0, 10)
            add_incidents(0, n, n)
            render_row(f"{n:,} incidents")

    if "subscribers" not in args.series:
        return
    print("\n| active email subscribers | posting one update (outbox write) | outbox |")
    print("|---|---|---|")
    from incidents import services
    from incidents.models import Component

    reset()
    add_components(0, 10)
    incident = services.incident_create(
        name="Fan-out", body="Investigating.", actor=actor(), notify=False,
        component_statuses={Component.objects.first(): "major_outage"},
    )  # fmt: skip
    have = 0
    for n in [s for s in (1_000, 10_000, 100_000, 1_000_000) if s <= args.max_subscribers]:
        add_subscribers(have, n)
        have = n
        outbox_row(n, incident)


if __name__ == "__main__":
    main()
