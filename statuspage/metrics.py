"""Prometheus metrics at /metrics: HTTP traffic, what the page shows, and the job queues.

Request metrics are counted where the request is answered: by MetricsMiddleware for what
Django serves, and by the WSGI fast path (statuspage/public_cache/) for the repeated public
reads it answers before Django runs. With several worker processes (granian --workers N) each
process counts its own requests; with PROMETHEUS_MULTIPROC_DIR set (statuspage/serve.py sets
it from deploy/granian.env and empties it at start) each writes to files there and /metrics
adds up every process's files. Domain and queue figures are read at scrape time.
Access needs `Authorization: Bearer $METRICS_TOKEN`, or a client address in METRICS_ALLOWED_IPS
(read by notifications.ratelimit.client_address, like every rate limit's).
"""

from __future__ import annotations

import atexit
import bisect
import hmac
import ipaddress
import logging
import os
import threading
import time

from django.conf import settings
from django.db import DatabaseError
from django.db.models import Count
from django.http import HttpResponse, HttpResponseForbidden
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily

from notifications.ratelimit import client_address

log = logging.getLogger(__name__)

REQUESTS = Counter(
    "statuspage_http_requests_total", "HTTP requests answered.", ["route", "method", "status"]
)
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0)
LATENCY = Histogram(
    "statuspage_http_request_duration_seconds",
    "Time to answer an HTTP request.",
    ["route"],
    buckets=BUCKETS,
)
FAST_PATH = Counter(
    "statuspage_http_fast_path_responses_total",
    "Public reads answered from process memory before Django ran "
    "(also counted in statuspage_http_requests_total).",
)


def route_label(request) -> str:
    """The URL pattern (not the raw path, which would explode the label set); "/" for the
    front page, whose pattern is empty."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "unmatched"
    return match.route or "/"


# Set in the WSGI environ of the app's own renders (statuspage/publish): not client traffic, so
# neither counted here nor kept in the read path's caches. No HTTP header can set an environ
# key of this shape.
RENDER_ONLY = "statuspage.render_only"


class MetricsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.META.get(RENDER_ONLY):
            return self.get_response(request)
        started = time.perf_counter()
        response = self.get_response(request)
        observe(
            route_label(request),
            request.method,
            str(response.status_code),
            time.perf_counter() - started,
        )
        return response


# Labelled children, looked up once per (route, method, status): `labels()` validates and
# locks on every call, which the fast path (tens of thousands of answers a second) avoids.
_children: dict[tuple[str, str, str], tuple] = {}
# Any token is a valid HTTP method: others share one label so clients cannot grow the set.
_METHODS = frozenset(("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"))


def observe(route: str, method: str, status: str, seconds: float) -> None:
    if method not in _METHODS:
        method = "other"
    requests, latency = _child(route, method, status)
    requests.inc()
    latency.observe(seconds)


# --- the fast path's tally ----------------------------------------------------------------------
#
# The fast path answers a cached read in a few microseconds; counting it in Prometheus's
# objects cost more than the answer (5 us with PROMETHEUS_MULTIPROC_DIR set: a lock and an
# mmap write for the counter, the latency's sum and its bucket, and the fast-path counter).
# It counts in plain numbers instead, under one lock, and flush() adds them up into the same
# metrics: before every scrape in the scraping process, every FLUSH_SECONDS in a background
# thread of each process (so a scrape sees the other workers' answers at most that late),
# and at exit.

FLUSH_SECONDS = 1.0
# Upper bounds as the histogram sees them: an observation goes into the first bucket whose
# bound is >= it (bisect_left), the last being +Inf.
_BOUNDS = (*BUCKETS, float("inf"))
_tally_lock = threading.Lock()
# (route, method, status) -> [answers, seconds in total, answers per latency bucket]
_tally: dict[tuple[str, str, str], list] = {}
_flusher_started = False


def count_fast(route: str, method: str, status: str, seconds: float) -> None:
    """Count one answer of the fast path (GET or HEAD, a route label known to be bounded)."""
    bucket = bisect.bisect_left(_BOUNDS, seconds)
    key = (route, method, status)
    with _tally_lock:
        entry = _tally.get(key)
        if entry is None:
            entry = _tally[key] = [0, 0.0, [0] * len(_BOUNDS)]
        entry[0] += 1
        entry[1] += seconds
        entry[2][bucket] += 1
    if not _flusher_started:
        _start_flusher()


def flush() -> None:
    """Add the fast path's tally to the Prometheus metrics."""
    global _tally
    with _tally_lock:
        tally, _tally = _tally, {}
    answers = 0
    for (route, method, status), (count, seconds, buckets) in tally.items():
        requests, latency = _child(route, method, status)
        requests.inc(count)
        # Histogram has no call for many observations at once: add them to its sum and
        # buckets as observe() does, one write per bucket rather than one per answer
        # (tests/statuspage/test_metrics.py compares the two).
        latency._sum.inc(seconds)
        for index, in_bucket in enumerate(buckets):
            if in_bucket:
                latency._buckets[index].inc(in_bucket)
        answers += count
    if answers:
        FAST_PATH.inc(answers)


def _child(route: str, method: str, status: str) -> tuple:
    key = (route, method, status)
    pair = _children.get(key)
    if pair is None:
        pair = _children[key] = (REQUESTS.labels(route, method, status), LATENCY.labels(route))
    return pair


def _flush_every(seconds: float) -> None:
    while True:
        time.sleep(seconds)
        try:
            flush()
        except Exception:  # noqa: BLE001 - a failed write must not stop later flushes
            log.exception("metrics: flush failed")


def _start_flusher() -> None:
    global _flusher_started
    with _tally_lock:
        if _flusher_started:
            return
        _flusher_started = True
    threading.Thread(
        target=_flush_every, args=(FLUSH_SECONDS,), name="metrics-flush", daemon=True
    ).start()


def _after_fork() -> None:
    # A forked worker inherits neither the thread nor the duty to count the parent's tally.
    global _tally_lock, _tally, _flusher_started
    _tally_lock = threading.Lock()
    _tally = {}
    _flusher_started = False


os.register_at_fork(after_in_child=_after_fork)
atexit.register(flush)


class DomainCollector:
    """Figures read at scrape time: statuses, open incidents, queues (and, from notifications,
    deliveries by state and channel). With the database unreachable the scrape still
    answers, with the request figures, the queues and statuspage_database_up 0: an outage
    of the database is when the rest matters most."""

    def collect(self):
        try:
            families = list(_database_metrics())
        except DatabaseError as exc:
            log.warning("metrics: database unreachable: %s", exc.__class__.__name__)
            families = []
        yield GaugeMetricFamily(
            "statuspage_database_up",
            "1 when the database answered this scrape's queries, else 0.",
            value=1 if families else 0,
        )
        yield from families
        yield from _queue_metrics()


def _database_metrics():
    from incidents.enums import ACTIVE_MAINTENANCE_STATUSES, OPEN_INCIDENT_STATUSES
    from incidents.models import Component, Incident, Maintenance

    components = GaugeMetricFamily(
        "statuspage_components", "Components by status.", labels=["status"]
    )
    for row in Component.objects.values("status").annotate(n=Count("id")):
        components.add_metric([row["status"]], row["n"])
    yield components
    yield GaugeMetricFamily(
        "statuspage_open_incidents",
        "Unresolved incidents.",
        value=Incident.objects.filter(status__in=OPEN_INCIDENT_STATUSES).count(),
    )
    yield GaugeMetricFamily(
        "statuspage_active_maintenance",
        "Maintenance windows in progress.",
        value=Maintenance.objects.filter(status__in=ACTIVE_MAINTENANCE_STATUSES).count(),
    )
    yield from _notification_metrics()


def _queue_metrics():
    if not settings.REDIS_URL:
        return
    import django_rq
    from redis.exceptions import RedisError

    depth = GaugeMetricFamily(
        "statuspage_queue_jobs", "Jobs waiting in each RQ queue.", labels=["queue"]
    )
    failed = GaugeMetricFamily(
        "statuspage_queue_failed_jobs", "Failed jobs kept by RQ.", labels=["queue"]
    )
    try:
        for name in settings.RQ_QUEUES:
            queue = django_rq.get_queue(name)
            depth.add_metric([name], queue.count)
            failed.add_metric([name], queue.failed_job_registry.count)
    except RedisError as exc:
        log.warning("metrics: queue unreachable: %s", exc)
        return
    yield depth
    yield failed


def _notification_metrics():
    """Delivery figures, when the notifications app provides them (see its selectors)."""
    try:
        from notifications.selectors import delivery_metrics
    except ImportError:
        return
    yield from delivery_metrics()


_domain_registry = CollectorRegistry(auto_describe=False)
_domain_registry.register(DomainCollector())


def _allowed(request) -> bool:
    token = settings.METRICS_TOKEN
    header = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(header.encode(), f"Bearer {token}".encode()):
        return True
    try:
        address = ipaddress.ip_address(client_address(request))
    except ValueError:
        return False
    return any(address in network for network in settings.METRICS_ALLOWED_NETWORKS)


def metrics(request):
    if not _allowed(request):
        return HttpResponseForbidden("Metrics need a token or an allowed address.\n")
    flush()
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    body = generate_latest(registry) + generate_latest(_domain_registry)
    response = HttpResponse(body, content_type=CONTENT_TYPE_LATEST)
    response["Cache-Control"] = "no-store"
    return response
