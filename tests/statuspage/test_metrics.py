"""/metrics: what it counts (Django's answers and the WSGI fast path's), what it reads at
scrape time, and how several worker processes add up to one figure."""

from __future__ import annotations

import io
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings as django_settings
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.utils import timezone
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from notifications.models import Delivery, DeliveryState, Event, Subscriber, SubscriberState
from statuspage import metrics

pytestmark = pytest.mark.django_db


def sample(name: str, **labels) -> float:
    """This process's value of one sample (0 when it was never counted), the fast path's
    tally included (a scrape adds it up first, as here)."""
    metrics.flush()
    return REGISTRY.get_sample_value(name, labels) or 0.0


def scraped(body: str, name: str, **labels) -> float:
    """The value of one sample in a /metrics body (0 when absent)."""
    for family in text_string_to_metric_families(body):
        for s in family.samples:
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                return s.value
    return 0.0


def _environ(path: str, **extra) -> dict:
    return {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SCRIPT_NAME": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "HTTP_HOST": "127.0.0.1",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.input": io.BytesIO(),
        "wsgi.url_scheme": "http",
        **extra,
    }


def _get(app, path: str, **extra) -> tuple[str, dict, bytes]:
    seen = {}

    def start_response(status, headers, exc_info=None):
        seen["status"], seen["headers"] = status, dict(headers)

    body = b"".join(app(_environ(path, **extra), start_response))
    return seen["status"], seen["headers"], body


@pytest.fixture
def wsgi_app(settings, tmp_path):
    """The production WSGI application (Django wrapped in the fast path), and a count of the
    requests Django itself handled."""
    from statuspage.wsgi import application

    settings.PUBLIC_SNAPSHOT_DIR = tmp_path / "snapshots"
    django_runs = []

    def count(**kwargs):
        django_runs.append(1)

    # As django.test.Client does: a finished request must not close the test's connection.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    request_started.connect(count)
    try:
        yield application, django_runs
    finally:
        request_started.disconnect(count)
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def test_a_front_page_read_served_from_memory_is_counted_and_carries_a_request_id(wsgi_app):
    app, django_runs = wsgi_app
    labels = {"route": "/", "method": "GET", "status": "200"}
    before = sample("statuspage_http_requests_total", **labels)
    latency_before = sample("statuspage_http_request_duration_seconds_count", route="/")
    fast_before = sample("statuspage_http_fast_path_responses_total")

    status, first, body = _get(app, "/")
    assert status.startswith("200") and len(django_runs) == 1
    status, again, same = _get(app, "/")
    assert status == "200 OK" and same == body
    assert len(django_runs) == 1, "the second read went through Django"

    assert sample("statuspage_http_requests_total", **labels) == before + 2
    assert sample("statuspage_http_request_duration_seconds_count", route="/") == latency_before + 2
    assert sample("statuspage_http_fast_path_responses_total") == fast_before + 1
    assert len(again["X-Request-ID"]) == 32 and again["X-Request-ID"] != first["X-Request-ID"]


def test_the_fast_path_honours_a_sane_request_id_and_replaces_garbage(wsgi_app):
    app, django_runs = wsgi_app
    _get(app, "/")
    assert _get(app, "/", HTTP_X_REQUEST_ID="edge-7f3a")[1]["X-Request-ID"] == "edge-7f3a"
    replaced = _get(app, "/", HTTP_X_REQUEST_ID="a b\r\nSet-Cookie: x=1")[1]["X-Request-ID"]
    assert len(replaced) == 32 and "Set-Cookie" not in replaced
    assert len(django_runs) == 1


def test_a_revalidation_answered_by_the_fast_path_is_counted_as_304(wsgi_app):
    app, django_runs = wsgi_app
    etag = _get(app, "/api/v2/summary.json")[1]["ETag"]
    labels = {"route": "api/v2/summary.json", "method": "GET", "status": "304"}
    before = sample("statuspage_http_requests_total", **labels)
    status, headers, body = _get(app, "/api/v2/summary.json", HTTP_IF_NONE_MATCH=etag)
    assert status.startswith("304") and body == b"" and len(django_runs) == 1
    assert sample("statuspage_http_requests_total", **labels) == before + 1
    assert "X-Request-ID" in headers


def test_requests_django_answers_are_counted_with_their_latency(client):
    before = sample("statuspage_http_request_duration_seconds_count", route="healthz")
    slowest = sample("statuspage_http_request_duration_seconds_bucket", route="healthz", le="+Inf")
    total = sample("statuspage_http_request_duration_seconds_sum", route="healthz")
    for _ in range(3):
        client.get("/healthz")
    assert sample("statuspage_http_request_duration_seconds_count", route="healthz") == before + 3
    # Every observation lands in the +Inf bucket, and the buckets never decrease.
    inf = sample("statuspage_http_request_duration_seconds_bucket", route="healthz", le="+Inf")
    assert inf == slowest + 3
    buckets = [
        sample("statuspage_http_request_duration_seconds_bucket", route="healthz", le=le)
        for le in ("0.001", "0.01", "0.1", "1.0", "10.0", "+Inf")
    ]
    assert buckets == sorted(buckets)
    assert sample("statuspage_http_request_duration_seconds_sum", route="healthz") > total


def test_the_front_page_has_its_own_route_label_and_odd_methods_share_one(client):
    labels = {"route": "/", "method": "other", "status": "405"}
    before = sample("statuspage_http_requests_total", **labels)
    client.generic("BREW", "/")
    assert sample("statuspage_http_requests_total", **labels) == before + 1
    assert sample("statuspage_http_requests_total", route="/", method="BREW", status="405") == 0


def test_oldest_pending_delivery_age_is_measured_from_its_next_attempt(
    client, monkeypatch, settings
):
    now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    monkeypatch.setattr(timezone, "now", lambda: now)
    settings.REDIS_URL = None
    event = Event.objects.create(kind="incident.created")
    rows = {
        # The oldest due pending row decides the figure ...
        "due_long_ago": (DeliveryState.PENDING, now - timedelta(hours=1, seconds=30.5)),
        "due_recently": (DeliveryState.PENDING, now - timedelta(seconds=5)),
        # ... not a retry that is not due yet, nor rows that are done.
        "later": (DeliveryState.PENDING, now + timedelta(minutes=10)),
        "sent_long_ago": (DeliveryState.SENT, now - timedelta(days=2)),
    }
    for n, (name, (state, next_attempt_at)) in enumerate(rows.items()):
        subscriber = Subscriber.objects.create(
            channel="email",
            address=f"{name}@example.test",
            state=SubscriberState.ACTIVE,
            confirmed_at=now,
            public_id=f"sub{n:09d}",
        )
        Delivery.objects.create(
            event=event,
            subscriber=subscriber,
            channel="email",
            state=state,
            next_attempt_at=next_attempt_at,
            sent_at=now if state == DeliveryState.SENT else None,
        )
    body = client.get("/metrics", REMOTE_ADDR="127.0.0.1").content.decode()
    assert scraped(body, "statuspage_oldest_pending_delivery_seconds") == 3630.5
    assert scraped(body, "statuspage_deliveries", state="pending", channel="email") == 3


def test_oldest_pending_delivery_age_is_zero_with_nothing_due(client, settings):
    settings.REDIS_URL = None
    body = client.get("/metrics", REMOTE_ADDR="127.0.0.1").content.decode()
    assert "statuspage_oldest_pending_delivery_seconds 0.0" in body


# --- several processes --------------------------------------------------------------------

WRITER = textwrap.dedent(
    """
    import sys
    import django
    django.setup()
    from django.test import Client
    client = Client(HTTP_HOST="localhost")
    for _ in range(int(sys.argv[1])):
        assert client.get("/healthz").status_code == 200
    """
)


def serve_healthz_in_a_process(count: int, metrics_dir, data_dir) -> None:
    """A separate Python process with the app loaded answers /healthz `count` times, in
    multiprocess mode (as each granian worker does)."""
    env = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "statuspage.settings",
        "SECRET_KEY": "metrics-test-only",
        "DATA_DIR": str(data_dir),
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
        "LOG_LEVEL": "WARNING",
    }
    subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", WRITER, str(count)],
        cwd=django_settings.BASE_DIR,
        env=env,
        check=True,
        timeout=60,
    )


def test_metrics_add_up_the_requests_of_every_worker_process(
    client, tmp_path, monkeypatch, settings
):
    metrics_dir = tmp_path / "prometheus"
    metrics_dir.mkdir()
    serve_healthz_in_a_process(3, metrics_dir, tmp_path)
    serve_healthz_in_a_process(4, metrics_dir, tmp_path)
    assert len(list(metrics_dir.glob("counter_*.db"))) == 2, "one file per process"

    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(metrics_dir))
    settings.REDIS_URL = None
    body = client.get("/metrics", REMOTE_ADDR="127.0.0.1").content.decode()
    labels = {"route": "healthz", "method": "GET", "status": "200"}
    # Both processes' requests, and only theirs (this process counts in memory, not there).
    assert scraped(body, "statuspage_http_requests_total", **labels) == 7
    assert scraped(body, "statuspage_http_request_duration_seconds_count", route="healthz") == 7
    # Figures read at scrape time are still there.
    assert "statuspage_open_incidents" in body


# --- the fast path's tally ----------------------------------------------------------------


def test_the_tally_adds_up_to_what_one_observe_per_answer_gives():
    # Boundaries included: an answer of exactly 1 ms belongs to the le="0.001" bucket.
    latencies = [0.0004, 0.001, 0.0011, 0.003, 0.2, 0.2, 9.9, 20.0]
    for seconds in latencies:
        metrics.observe("tally-reference", "GET", "200", seconds)
        metrics.count_fast("tally-counted", "GET", "200", seconds)
    labels = {"route": "tally-counted", "method": "GET", "status": "200"}
    assert sample("statuspage_http_requests_total", **labels) == 8
    for le in [*(str(b) for b in metrics.BUCKETS), "+Inf"]:
        name = "statuspage_http_request_duration_seconds_bucket"
        assert sample(name, route="tally-counted", le=le) == sample(
            name, route="tally-reference", le=le
        ), le
    for suffix in ("_count", "_sum"):
        name = "statuspage_http_request_duration_seconds" + suffix
        assert sample(name, route="tally-counted") == pytest.approx(
            sample(name, route="tally-reference")
        )


def test_fast_path_answers_are_counted_once_each_whatever_the_threads():
    import threading

    before = sample("statuspage_http_fast_path_responses_total")

    def answer():
        for _ in range(500):
            metrics.count_fast("tally-threads", "GET", "200", 0.0001)

    threads = [threading.Thread(target=answer) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    labels = {"route": "tally-threads", "method": "GET", "status": "200"}
    assert sample("statuspage_http_requests_total", **labels) == 4000
    assert sample("statuspage_http_fast_path_responses_total") == before + 4000


TALLY_WRITER = textwrap.dedent(
    """
    import os, sys, time
    import django
    django.setup()
    from prometheus_client import CollectorRegistry, multiprocess
    from statuspage import metrics
    metrics.FLUSH_SECONDS = 0.1
    for _ in range(int(sys.argv[1])):
        metrics.count_fast("tally-process", "GET", "200", 0.0001)
    if sys.argv[2] == "wait":
        time.sleep(1)  # the background flush writes the files; no exit handler runs
        os._exit(0)
    """
)


@pytest.mark.parametrize("ending", ["wait", "exit"])
def test_a_worker_process_tally_reaches_the_scrape(client, tmp_path, monkeypatch, settings, ending):
    """In multiprocess mode another worker's fast-path answers reach the files /metrics reads:
    by the background flush while it runs ("wait" leaves without exit handlers), or at exit."""
    metrics_dir = tmp_path / "prometheus"
    metrics_dir.mkdir()
    env = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "statuspage.settings",
        "SECRET_KEY": "metrics-test-only",
        "DATA_DIR": str(tmp_path),
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
        "LOG_LEVEL": "WARNING",
    }
    subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", TALLY_WRITER, "5", ending],
        cwd=django_settings.BASE_DIR,
        env=env,
        check=True,
        timeout=60,
    )
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(metrics_dir))
    settings.REDIS_URL = None
    body = client.get("/metrics", REMOTE_ADDR="127.0.0.1").content.decode()
    labels = {"route": "tally-process", "method": "GET", "status": "200"}
    assert scraped(body, "statuspage_http_requests_total", **labels) == 5
    assert scraped(body, "statuspage_http_fast_path_responses_total") == 5
