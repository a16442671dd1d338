"""Operations: probes, request ids, JSON logs, and a deployment check that passes."""

import json
import logging
import secrets
import subprocess
import sys

import pytest
from django.conf import settings
from django.db import DatabaseError
from django.db.migrations.executor import MigrationExecutor

from statuspage import health
from statuspage.logs import JsonFormatter, RequestIdFilter, request_id_var
from tests.faults.support import unavailable


def test_healthz_answers_without_touching_anything(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_readyz_reports_database_and_redis(client, db, settings):
    settings.REDIS_URL = None
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "redis": "not configured", "cache": "ok"},
    }


def test_readyz_is_503_when_the_database_is_unreachable(client, db, monkeypatch):
    def broken(*args, **kwargs):
        raise DatabaseError("connection refused")

    monkeypatch.setattr(health.MigrationExecutor, "__init__", broken)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == "unreachable: DatabaseError"


def test_readyz_is_503_while_a_migration_is_not_applied(client, db, settings):
    """A process whose code is newer than the schema (a rolling deploy before `migrate`)."""
    from django.db import connection
    from django.db.migrations.recorder import MigrationRecorder

    settings.REDIS_URL = None
    app, name = MigrationExecutor(connection).loader.graph.leaf_nodes("incidents")[0]
    # Forgetting the record is what the database of the previous release looks like.
    MigrationRecorder.Migration.objects.filter(app=app, name=name).delete()
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == "1 migration(s) not applied"
    assert response.json()["status"] == "unavailable"


def test_readyz_is_degraded_not_unavailable_when_redis_is_unreachable(client, db, settings):
    """Reads and writes still work without the queues (the outbox waits for the relay): the
    process stays in rotation and names what is missing."""
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    settings.RQ_QUEUES = {"default": {"URL": settings.REDIS_URL, "SOCKET_CONNECT_TIMEOUT": 1}}
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["status"] == "degraded"
    assert response.json()["checks"]["redis"] == "unreachable"


def test_readyz_names_a_cache_that_is_down(client, db, settings, unreachable_cache):
    settings.REDIS_URL = None
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["status"] == "degraded"
    assert response.json()["checks"]["cache"] == "unreachable: ConnectionError"


def test_every_response_carries_a_request_id(client):
    assert len(client.get("/healthz")["X-Request-ID"]) == 32
    assert client.get("/healthz", HTTP_X_REQUEST_ID="abc-123")["X-Request-ID"] == "abc-123"
    # Garbage (or an attempt at header injection) is replaced, not echoed.
    assert client.get("/healthz", HTTP_X_REQUEST_ID="a b<c>")["X-Request-ID"] != "a b<c>"


def test_json_logs_carry_the_request_id():
    record = logging.LogRecord("statuspage", logging.WARNING, __file__, 1, "hello %s", ("x",), None)
    token = request_id_var.set("req-1")
    try:
        RequestIdFilter().filter(record)
    finally:
        request_id_var.reset(token)
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "hello x" and line["request_id"] == "req-1"
    assert line["level"] == "WARNING"


def test_check_deploy_is_clean_with_production_settings():
    env = {
        "PATH": "/usr/bin:/bin",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "HTTPS": "true",
        "ALLOWED_HOSTS": "status.example.com",
        "DATA_DIR": "/tmp/sp-deploy-check",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_metrics_need_a_token_or_an_allowed_address(client, page, settings):
    settings.METRICS_ALLOWED_NETWORKS = []
    settings.METRICS_TOKEN = "s3cret"
    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret").status_code == 200


def test_metrics_show_traffic_and_what_the_page_shows(client, page, api, operator, settings):
    from incidents import services

    settings.REDIS_URL = None
    services.incident_create(
        name="x", body="b", actor=operator, component_statuses={api: "major_outage"}
    )
    client.get("/healthz")
    body = client.get("/metrics", REMOTE_ADDR="127.0.0.1").content.decode()
    assert 'statuspage_components{status="major_outage"} 1.0' in body
    assert "statuspage_open_incidents 1.0" in body
    assert "statuspage_database_up 1.0" in body
    assert 'statuspage_http_requests_total{method="GET",route="healthz",status="200"}' in body


@pytest.mark.redis
def test_metrics_show_queue_depth(client, page):
    import django_rq

    if not settings.REDIS_URL:
        unavailable("needs REDIS_URL (CI sets it)")
    from incidents.queue import enqueue_now

    django_rq.get_queue("default").empty()
    enqueue_now("incidents.jobs.maintenance_tick")
    body = client.get("/metrics", REMOTE_ADDR="127.0.0.1").content.decode()
    assert 'statuspage_queue_jobs{queue="default"} 1.0' in body
    django_rq.get_queue("default").empty()
