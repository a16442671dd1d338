"""The fail-over drill: deploy/nginx-failover.conf in front of the app as a real separate
process (granian, as in the Procfile), publishing to a directory. An incident is posted through
nginx to the management API; once it is published, the app is killed (and, on PostgreSQL, its
database cut off), and the page, its JSON, the widget and the badge still answer 200 through
nginx with the incident, from the published copy. Skipped where nginx or granian is missing,
failed instead when REQUIRE_REAL_SERVICES=1 (CI's second pass)."""

from __future__ import annotations

import contextlib
import gzip
import http.client
import json
import signal
import sqlite3
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection

from incidents import services
from incidents.models import Page
from statuspage.access.models import Membership, Role, Scope
from statuspage.access.services import api_key_create
from statuspage.publish.services import publish_site
from tests import nginx_process
from tests.faults.support import (
    ROOT,
    TcpProxy,
    database_url,
    free_port,
    kill_tree,
    subprocess_env,
    unavailable,
    wait_until,
)

pytestmark = [pytest.mark.real_clock, pytest.mark.django_db(transaction=True)]

CONF = Path(settings.BASE_DIR) / "deploy" / "nginx-failover.conf"
GRANIAN = Path(sys.executable).parent / "granian"
INCIDENT = "Payments are failing"
# What a reader of each document sees of the incident, and the type the origin sends.
PUBLIC = {
    "/": (INCIDENT.encode(), "text/html; charset=utf-8"),
    "/api/v2/summary.json": (INCIDENT.encode(), "application/json"),
    "/embed/state.json": (INCIDENT.encode(), "application/json"),
    "/embed/script.js": (b"", "text/javascript; charset=utf-8"),
    "/badge.svg": (b"Major System Outage", "image/svg+xml; charset=utf-8"),
}


def _get(port: int, path: str, method: str = "GET", body: bytes | None = None, **headers: str):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request(
            method, path, body=body, headers={k.replace("_", "-"): v for k, v in headers.items()}
        )
        answer = conn.getresponse()
        headers: dict[str, str] = {}
        for name, value in answer.getheaders():
            name = name.lower()
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        return answer.status, headers, answer.read()
    finally:
        conn.close()


def _site_conf(app_port: int, listen_port: int, published: Path) -> str:
    """The shipped file with its "site:" values replaced."""
    text = CONF.read_text()
    for old, new, count in [
        ("server 127.0.0.1:8000;", f"server 127.0.0.1:{app_port};", 1),
        ("listen 80;", f"listen 127.0.0.1:{listen_port};", 1),
        ("root /srv/status/current;", f"root {published / 'current'};", 2),
        ("alias /srv/statuspage/staticfiles/;", f"alias {published / 'current/static'}/;", 1),
    ]:
        assert text.count(old) == count, old
        text = text.replace(old, new)
    return text


@pytest.fixture
def drill(page, api, operator, directory, tmp_path):
    """The seeded page, published; an API key; the app on its own database connection (the
    test database through a TCP proxy that can be cut on PostgreSQL, a copy of the test
    database in a file on SQLite); nginx in front. Everything started is killed at the end."""
    if nginx_process.NGINX is None:
        unavailable("nginx is not installed")
    if not GRANIAN.exists():
        unavailable("granian is not installed in this environment")
    Page.objects.update(url="http://127.0.0.1")
    services.incident_create(
        name="Slow search", body="Searches are slow.", actor=operator, notify=False
    )
    owner = get_user_model().objects.create_user("ops", password="pw-unused")
    Membership.objects.create(user=owner, role=Role.RESPONDER)
    _key, raw_key = api_key_create(
        actor=operator, owner=owner, name="drill", scopes=[Scope.INCIDENTS]
    )
    report = publish_site(targets=[directory])
    assert not report.errors and report.outcomes[0].written

    proxy = None
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        proxy = TcpProxy((db.get("HOST") or "127.0.0.1", int(db.get("PORT") or 5432)))
        url = database_url(db, host="127.0.0.1", port=proxy.port)
    else:
        # The test database lives in this process's memory: the app gets a copy in a file.
        path = tmp_path / "app.sqlite3"
        connection.ensure_connection()
        with contextlib.closing(sqlite3.connect(path)) as copy:
            connection.connection.backup(copy)
        url = f"sqlite:///{path}"

    app_port, nginx_port = free_port(), free_port()
    env = subprocess_env(
        DATABASE_URL=url,
        PUBLISH_TARGETS=directory.url,
        DATA_DIR=tmp_path / "app-data",
        PUBLIC_SNAPSHOT_DIR=tmp_path / "app-snapshots",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECRET_KEY=settings.SECRET_KEY,
    )
    # No Redis: the app publishes in its own process right after each commit (the embedded
    # default), so the app is the only process that has to be killed.
    env.pop("REDIS_URL", None)
    log = tmp_path / "app.log"
    with open(log, "wb") as out:
        app = subprocess.Popen(  # noqa: S603 - the installed granian
            [str(GRANIAN), "--interface", "wsgi", "statuspage.wsgi:application"]
            + ["--host", "127.0.0.1", "--port", str(app_port), "--workers", "1"]
            + ["--blocking-threads", "4"],
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    prefix = tmp_path / "nginx"
    prefix.mkdir()
    nginx = None
    try:
        wait_until(lambda: _answers(app_port, "/healthz"), timeout=60, interval=0.2, what="the app")
        (prefix / "site.conf").write_text(_site_conf(app_port, nginx_port, Path(directory.root)))
        nginx = nginx_process.start(prefix, nginx_port)
        yield {
            "port": nginx_port,
            "app": app,
            "proxy": proxy,
            "key": raw_key,
            "page_id": page.public_id,
            "component_id": api.public_id,
            "current": directory.current,
            "log": log,
        }
    finally:
        if proxy is not None:
            proxy.cut()
        kill_tree(app, signal.SIGKILL, timeout=10)
        if nginx is not None:
            nginx_process.stop(nginx)


def _answers(port: int, path: str) -> bool:
    try:
        return _get(port, path)[0] == 200
    except OSError:
        return False


def _post_incident(drill: dict) -> dict:
    """Declare the incident through nginx, as an operator's script would."""
    body = {
        "incident": {
            "name": INCIDENT,
            "status": "investigating",
            "body": "Card payments fail at checkout.",
            "components": {drill["component_id"]: "major_outage"},
        }
    }
    status, _, answer = _get(
        drill["port"],
        f"/api/v1/pages/{drill['page_id']}/incidents",
        method="POST",
        body=json.dumps(body).encode(),
        Authorization=f"OAuth {drill['key']}",
        Content_Type="application/json",
    )
    assert status == 201, answer[:500]
    return json.loads(answer)


def _published(drill: dict) -> bool:
    try:
        return INCIDENT.encode() in (drill["current"] / "api/v2/summary.json").read_bytes()
    except OSError:
        return False


def test_the_published_copy_answers_through_nginx_when_the_app_and_its_database_are_gone(drill):
    port = drill["port"]
    # Before the incident the published copy knows nothing of it.
    for path, (visible, _) in PUBLIC.items():
        key = "index.html" if path == "/" else path.lstrip("/")
        if visible:
            assert visible not in (drill["current"] / key).read_bytes(), path

    _post_incident(drill)
    wait_until(lambda: _published(drill), timeout=60, interval=0.1, what="the publish")

    # The app is up: every answer comes from it, the incident already in.
    origin = {}
    for path, (visible, content_type) in PUBLIC.items():
        status, headers, body = _get(port, path)
        assert status == 200, (path, body[:300])
        assert headers["x-served-from"] == "origin", path
        assert headers["content-type"] == content_type, path
        assert visible in body, path
        origin[path] = body

    # The app's machine goes: the process dies, and its database drops off the network.
    kill_tree(drill["app"], signal.SIGKILL, timeout=10)
    if drill["proxy"] is not None:
        drill["proxy"].cut()

    current = drill["current"].resolve()
    for path, (visible, content_type) in PUBLIC.items():
        status, headers, body = _get(port, path)
        assert status == 200, (path, body[:300])
        assert headers["x-served-from"] == "published-copy", path
        assert headers["content-type"] == content_type, path
        assert visible in body, path
        # The very bytes the app served a moment ago (the widget's JSON and the badge carry
        # no time of their own; the HTML and summary do, so those are compared with the copy).
        key = "index.html" if path == "/" else path.lstrip("/")
        assert body == (current / key).read_bytes(), path
        if path in ("/embed/state.json", "/badge.svg", "/embed/script.js"):
            assert body == origin[path], path
        if path != "/":
            assert headers["access-control-allow-origin"] == "*", path
        assert "stale-if-error" in headers["cache-control"], path

    # The incident's own permalink, a query form and the precompressed copy.
    status, headers, body = _get(port, "/", Accept_Encoding="gzip")
    assert status == 200 and headers["content-encoding"] == "gzip"
    assert "Accept-Encoding" in headers["vary"]
    assert INCIDENT.encode() in gzip.decompress(body)
    # `/` in the form the reader asks for, as at the origin: Markdown for agents and curl.
    markdown, html = (current / "index.md").read_bytes(), (current / "index.html").read_bytes()
    assert INCIDENT.encode() in markdown
    for accept, agent, form in [
        ("text/markdown", "agent/1.0", markdown),
        ("text/markdown, text/html;q=0.9", "agent/1.0", markdown),
        ("*/*", "curl/8.5.0", markdown),
        ("text/html,application/xhtml+xml,*/*;q=0.8", "Firefox", html),
        ("*/*", "monitor/2", html),
        ("application/json", "curl/8.5.0", html),
    ]:
        status, headers, body = _get(port, "/", Accept=accept, User_Agent=agent)
        assert status == 200 and body == form, (accept, agent)
        kind = "markdown" if form is markdown else "html"
        assert headers["content-type"] == f"text/{kind}; charset=utf-8", (accept, agent)
        assert "Accept, User-Agent" in headers["vary"]
    status, headers, body = _get(port, "/embed/status?theme=dark")
    assert status == 200 and headers["x-served-from"] == "published-copy"
    assert body == (current / "embed/status/index@theme=dark.html").read_bytes()
    status, headers, _ = _get(port, "/favicon.ico")
    assert status == 200 and headers["content-type"] == "image/svg+xml"

    # What needs the app says so: health checks fail (so DNS fail-over and load balancers
    # see the outage), writes and operators' pages get an error, not a page from the copy.
    assert _get(port, "/readyz")[0] == 502
    assert _get(port, "/dashboard/")[0] == 502
    status, headers, _ = _get(port, "/subscribe", method="POST", body=b"email=a%40b.test")
    assert status == 503
    # Never published: no copy to fall back on.
    assert _get(port, "/.publish-manifest.json")[0] == 503
    assert "Traceback" not in drill["log"].read_text(errors="replace")


# --- each kind of failure, against an origin that fails on demand ------------------------------


class _Origin(ThreadingHTTPServer):
    """A real HTTP server standing in for the app: answers `status` (with a body naming it),
    or holds the connection without answering while `hang` is set."""

    daemon_threads = True
    status = 200
    hang = threading.Event()
    released = threading.Event()


class _Handler(BaseHTTPRequestHandler):
    server: _Origin

    def log_message(self, *args) -> None:  # quiet
        pass

    def _answer(self) -> None:
        if self.server.hang.is_set():
            self.server.released.wait(30)
            return
        body = f"origin {self.server.status}".encode()
        self.send_response(self.server.status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_HEAD = do_POST = _answer  # noqa: N815 - http.server's hook names


@pytest.fixture
def stub(site, directory, tmp_path):
    """The page published to a directory, nginx-failover.conf in front of a stub origin."""
    if nginx_process.NGINX is None:
        unavailable("nginx is not installed")
    report = publish_site(targets=[directory])
    assert not report.errors
    origin = _Origin(("127.0.0.1", 0), _Handler)
    origin.hang, origin.released = threading.Event(), threading.Event()
    threading.Thread(target=origin.serve_forever, daemon=True).start()
    port = free_port()
    prefix = tmp_path / "nginx"
    prefix.mkdir()
    conf = _site_conf(origin.server_address[1], port, Path(directory.root))
    # One second instead of ten, so that the test of a stuck app stays short.
    assert conf.count("proxy_read_timeout 10s;") == 1
    (prefix / "site.conf").write_text(
        conf.replace("proxy_read_timeout 10s;", "proxy_read_timeout 1s;")
    )
    nginx = nginx_process.start(prefix, port)
    try:
        yield origin, port, directory.current, report
    finally:
        origin.released.set()
        nginx_process.stop(nginx)
        origin.shutdown()
        origin.server_close()


@pytest.mark.parametrize("status", [502, 503, 504])
def test_the_apps_own_gateway_errors_fall_back_to_the_copy(stub, status):
    origin, port, current, _ = stub
    assert _get(port, "/api/v2/summary.json")[1]["x-served-from"] == "origin"
    origin.status = status
    answer, headers, body = _get(port, "/api/v2/summary.json")
    assert answer == 200 and headers["x-served-from"] == "published-copy"
    assert body == (current / "api/v2/summary.json").read_bytes()
    # Another kind of document, with its own type.
    answer, headers, body = _get(port, "/history.atom")
    assert answer == 200 and headers["content-type"] == "application/atom+xml; charset=utf-8"
    assert body == (current / "history.atom").read_bytes()


def test_every_published_document_falls_back_with_the_origins_type(stub, client):
    origin, port, current, report = stub
    origin.status = 502
    for key, url_path in report.paths.items():
        status, headers, body = _get(port, url_path)
        assert status == 200 and body == (current / key).read_bytes(), url_path
        path, _, query = url_path.partition("?")
        if path.startswith("/static/"):
            continue  # nginx serves STATIC_ROOT itself, app or no app
        assert headers["x-served-from"] == "published-copy", url_path
        expected = client.get(path, QUERY_STRING=query)["Content-Type"]
        if path == "/favicon.ico":
            expected = "image/svg+xml"  # the icon its redirect leads to
        assert headers["content-type"] == expected.replace('"', ""), url_path
    # A paged JSON listing (this page is too small to have one): the query goes before the
    # extension, and a query the page does not use falls back to the document without it.
    (current / "api/v2/incidents@page=2.json").write_bytes(b'{"page": 2}')
    assert _get(port, "/api/v2/incidents.json?page=2")[2] == b'{"page": 2}'
    listing = (current / "api/v2/incidents.json").read_bytes()
    assert _get(port, "/api/v2/incidents.json?utm_source=x")[2] == listing
    assert _get(port, "/api/v2/incidents.json?page=../../x")[2] == listing


def test_other_errors_of_the_app_pass_through(stub):
    """A 404 is the truth about a document, a 500 a bug to see: neither is covered up."""
    origin, port, _, _ = stub
    for status in (404, 500, 429):
        origin.status = status
        answer, headers, body = _get(port, "/")
        assert (answer, body, headers["x-served-from"]) == (status, b"origin %d" % status, "origin")


def test_a_stuck_app_falls_back_after_the_read_timeout(stub):
    origin, port, current, _ = stub
    origin.hang.set()
    status, headers, body = _get(port, "/history")
    assert status == 200 and headers["x-served-from"] == "published-copy"
    assert body == (current / "history/index.html").read_bytes()


def test_what_needs_the_app_keeps_the_apps_own_error(stub):
    """The dashboard's 503 page and /readyz's 503 reach the reader (and the health check);
    a form post is not answered from the copy."""
    origin, port, _, _ = stub
    origin.status = 503
    for path in ("/dashboard/", "/readyz", "/api/v1/pages"):
        assert _get(port, path)[:3:2] == (503, b"origin 503"), path
    status, headers, body = _get(port, "/subscribe", method="POST", body=b"email=a%40b.test")
    assert status == 503 and b"origin" not in body
    # A document that was never published has nothing to fall back on: still 503.
    assert _get(port, "/incidents/zzzzzzzzzzzz")[0] == 503
