"""Liveness and readiness probes for load balancers and orchestrators."""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ObjectDoesNotExist
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.http import JsonResponse
from django.views.decorators.cache import never_cache

from incidents.queue import queue_is_reachable
from statuspage.db_router import replica_configured, replica_generation


@never_cache
def healthz(request):
    """The process is alive and serving requests; checks nothing else on purpose."""
    return JsonResponse({"status": "ok"})


@never_cache
def readyz(request):
    """Ready for traffic when the database is reachable with every migration applied: 503
    otherwise. Redis (the queues, the shared cache) being unreachable costs speed and delays
    notifications but no answers, so the process stays in rotation and says "degraded",
    naming the check: taking every web process out because Redis is down would take the
    status page down with it. The same goes for the read replica (DATABASE_REPLICA_URL):
    without it public renders read the primary."""
    checks = {"database": _database(), "redis": _redis(), "cache": _cache()}
    if replica_configured():
        checks["replica"] = _replica()
    if checks["database"] != "ok":
        status, code = "unavailable", 503
    elif any(value not in ("ok", "not configured") for value in checks.values()):
        status, code = "degraded", 200
    else:
        status, code = "ok", 200
    return JsonResponse({"status": status, "checks": checks}, status=code)


def _database() -> str:
    try:
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except DatabaseError as exc:
        return f"unreachable: {exc.__class__.__name__}"
    return "ok" if not pending else f"{len(pending)} migration(s) not applied"


def _cache() -> str:
    """The shared cache answers (a write and a read of a key of its own)."""
    try:
        cache.set("readyz:probe", 1, 10)
        return "ok" if cache.get("readyz:probe") == 1 else "not answering"
    except Exception as exc:  # noqa: BLE001 - any backend's failure: report it, do not raise
        return f"unreachable: {exc.__class__.__name__}"


def _redis() -> str:
    if not settings.REDIS_URL:
        return "not configured"
    return "ok" if queue_is_reachable() else "unreachable"


def _replica() -> str:
    try:
        replica_generation()
    except (DatabaseError, ObjectDoesNotExist) as exc:
        return f"unreachable: {exc.__class__.__name__}"
    return "ok"
