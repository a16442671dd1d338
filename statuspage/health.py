"""Liveness and readiness probes for load balancers and orchestrators."""

from __future__ import annotations

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.http import JsonResponse
from django.views.decorators.cache import never_cache

from incidents.queue import queue_is_reachable


@never_cache
def healthz(request):
    """The process is alive and serving requests; checks nothing else on purpose."""
    return JsonResponse({"status": "ok"})


@never_cache
def readyz(request):
    """Ready for traffic: database reachable with every migration applied, Redis reachable."""
    checks = {"database": _database(), "redis": _redis()}
    ready = all(value in ("ok", "not configured") for value in checks.values())
    return JsonResponse(
        {"status": "ok" if ready else "unavailable", "checks": checks}, status=200 if ready else 503
    )


def _database() -> str:
    try:
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except DatabaseError as exc:
        return f"unreachable: {exc.__class__.__name__}"
    return "ok" if not pending else f"{len(pending)} migration(s) not applied"


def _redis() -> str:
    if not settings.REDIS_URL:
        return "not configured"
    return "ok" if queue_is_reachable() else "unreachable"
