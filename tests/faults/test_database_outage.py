"""PostgreSQL drops off the network under a running app server (granian, as in the Procfile).
Public documents keep answering from their last good snapshot, marked stale; the dashboard
says plainly that it cannot work; /readyz takes the process out of rotation. Twice: on its
own, and beside a Redis that stays up (the production setup: shared cache and queues)."""

from __future__ import annotations

import signal
import subprocess
import sys
import urllib.error
import urllib.request
from email.message import Message
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client

from incidents import services
from incidents.enums import ComponentStatus
from incidents.models import Page
from statuspage.access.models import Membership, Role
from statuspage.errors import DATABASE_DOWN
from tests.faults.support import (
    ROOT,
    PrivateRedis,
    TcpProxy,
    database_url,
    free_port,
    kill_tree,
    subprocess_env,
    unavailable,
    wait_until,
)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

GRANIAN = Path(sys.executable).parent / "granian"
PUBLIC = ["/", "/api/v2/summary.json", "/embed/status", "/embed/script.js", "/badge.svg"]


def fetch(url: str, cookie: str = "") -> tuple[int, Message, bytes]:
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


@pytest.fixture
def signed_in_cookie(page, settings) -> str:
    """A real session row in the shared database, as a browser would present it."""
    user = get_user_model().objects.create(username="vera", email="vera@example.test")
    Membership.objects.create(user=user, role=Role.VIEWER)
    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


@pytest.fixture
def redis_cache(request, tmp_path):
    """None, or a redis-server of the test's own that stays up while the database goes."""
    if not request.param:
        yield None
        return
    server = PrivateRedis(tmp_path).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.mark.parametrize(
    "redis_cache",
    [
        pytest.param(False, id="no-redis"),
        pytest.param(True, id="redis-up", marks=pytest.mark.redis),
    ],
    indirect=True,
)
def test_public_pages_serve_stale_snapshots_and_the_dashboard_a_clear_503_when_the_database_is_gone(
    redis_cache, signed_in_cookie, api, operator, settings, tmp_path
):
    if not GRANIAN.exists():
        unavailable("granian is not installed in this environment")
    Page.objects.update(url="https://status.example.test")
    services.incident_create(
        name="Checkout errors",
        body="Investigating.",
        component_statuses={api: ComponentStatus.MAJOR_OUTAGE},
        notify=False,
        actor=operator,
    )
    db = connection.settings_dict
    proxy = TcpProxy((db.get("HOST") or "127.0.0.1", int(db.get("PORT") or 5432)))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = subprocess_env(
        DATABASE_URL=database_url(db, host="127.0.0.1", port=proxy.port),
        PUBLIC_SNAPSHOT_DIR=tmp_path / "snapshots",
        # The session cookie made here must verify there.
        SECRET_KEY=settings.SECRET_KEY,
    )
    env.pop("REDIS_URL", None)  # the database is the only thing failing here
    if redis_cache is not None:
        # Documents, the public generation and the queues in a Redis that stays up.
        env["REDIS_URL"] = redis_cache.url
    log = tmp_path / "web.log"
    with open(log, "wb") as out:
        server = subprocess.Popen(  # noqa: S603 - the installed granian
            [str(GRANIAN), "--interface", "wsgi", "statuspage.wsgi:application"]
            + ["--host", "127.0.0.1", "--port", str(port), "--workers", "1"]
            + ["--blocking-threads", "4"],
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_until(lambda: _up(base), timeout=30, interval=0.2, what="granian to answer")
        warm = {}
        for path in PUBLIC:
            status, headers, body = fetch(base + path)
            assert status == 200, (path, body[:300])
            assert headers.get("X-Statuspage-Stale") is None
            warm[path] = (headers["Content-Type"], body)
        assert fetch(f"{base}/dashboard/", signed_in_cookie)[0] == 200
        assert fetch(f"{base}/readyz")[0] == 200
        if redis_cache is not None:
            import redis

            # Not vacuous: the documents went through the shared cache.
            assert redis.Redis(port=redis_cache.port).keys("*public:doc:*")

        proxy.cut()

        for path in PUBLIC:
            status, headers, body = wait_until(
                lambda p=path: _stale(base + p), timeout=10, what=f"a stale {path}"
            )
            assert status == 200
            content_type, warm_body = warm[path]
            assert headers["Content-Type"] == content_type
            if content_type.startswith("text/html"):
                assert b"Live status is temporarily unavailable" in body
            else:
                assert body == warm_body, path
        # Serving snapshots is the designed answer, not an error: no tracebacks in the log.
        assert "Traceback" not in log.read_text(errors="replace")
        status, headers, body = fetch(f"{base}/dashboard/", signed_in_cookie)
        text = body.decode()
        assert status == 503, text[:500]
        assert headers["Retry-After"] == "30"
        assert DATABASE_DOWN in text
        for leak in ("Traceback", "OperationalError", "psycopg", "settings.py"):
            assert leak not in text
        status, _, body = fetch(f"{base}/readyz")
        assert status == 503
        assert b'"database": "unreachable' in body
        assert (b'"redis": "ok"' if redis_cache else b'"redis": "not configured"') in body
        # Monitoring keeps working: request figures (the stale answers included) and a
        # plain statement that the database is down, not a failed scrape.
        status, _, body = fetch(f"{base}/metrics")
        assert status == 200, body[:500]
        assert b"statuspage_database_up 0.0" in body
        assert b'statuspage_http_requests_total{method="GET",route="/",status="200"}' in body
    finally:
        proxy.cut()
        kill_tree(server, signal.SIGKILL, timeout=10)


def _up(base: str) -> bool:
    try:
        return fetch(base + "/healthz")[0] == 200
    except OSError:
        return False


def _stale(url: str):
    status, headers, body = fetch(url)
    return (status, headers, body) if headers.get("X-Statuspage-Stale") == "1" else None
