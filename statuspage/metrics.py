"""Prometheus metrics at /metrics: HTTP traffic, what the page shows, and the job queues.

Request metrics are counted where the request is answered: by MetricsMiddleware for what
Django serves, and by the WSGI fast path (statuspage/public_cache.py) for the repeated public
reads it answers before Django runs. With several worker processes (granian --workers N) each
process counts its own requests; with PROMETHEUS_MULTIPROC_DIR set (statuspage/serve.py sets
it from deploy/granian.env and empties it at start) each writes to files there and /metrics
adds up every process's files. Domain and queue figures are read at scrape time.
Access needs `Authorization: Bearer $METRICS_TOKEN`, or a client address in METRICS_ALLOWED_IPS
(read by notifications.ratelimit.client_address, like every rate limit's).
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
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
LATENCY = Histogram(
    "statuspage_http_request_duration_seconds",
    "Time to answer an HTTP request.",
    ["route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0),
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
    key = (route, method, status)
    pair = _children.get(key)
    if pair is None:
        pair = _children[key] = (REQUESTS.labels(route, method, status), LATENCY.labels(route))
    pair[0].inc()
    pair[1].observe(seconds)


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
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    body = generate_latest(registry) + generate_latest(_domain_registry)
    response = HttpResponse(body, content_type=CONTENT_TYPE_LATEST)
    response["Cache-Control"] = "no-store"
    return response
