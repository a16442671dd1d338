"""deploy/nginx-published.conf serving a published directory: every document answers as the
origin does (bytes, Content-Type, Cache-Control), query forms included, gzip from the copies
made at publish time. Skipped where nginx is not installed (CI installs nginx-light), failed
instead when REQUIRE_REAL_SERVICES=1."""

from __future__ import annotations

import gzip
import http.client
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest
from django.conf import settings

from statuspage.publish.services import publish_site
from tests.faults.support import unavailable
from tests.publish.conftest import free_port
from tests.publish.test_targets import origin

CONF = Path(settings.BASE_DIR) / "deploy" / "nginx-published.conf"
NGINX = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")


class Nginx:
    def __init__(self, tmp: Path, root: Path):
        if NGINX is None:
            unavailable("nginx is not installed")
        self.port = free_port()
        site = CONF.read_text()
        for old, new in [
            ("listen 8080;", f"listen 127.0.0.1:{self.port};"),
            ("root /srv/status/current;", f"root {root};"),
        ]:
            assert site.count(old) == 1, old
            site = site.replace(old, new)
        (tmp / "temp").mkdir()
        (tmp / "site.conf").write_text(site)
        user = "user root;" if os.geteuid() == 0 else ""
        (tmp / "nginx.conf").write_text(
            f"""
            daemon off; {user}
            worker_processes 1;
            pid {tmp}/nginx.pid;
            error_log stderr warn;
            events {{ worker_connections 64; }}
            http {{
                access_log off;
                client_body_temp_path {tmp}/temp/body;
                proxy_temp_path {tmp}/temp/proxy;
                fastcgi_temp_path {tmp}/temp/fastcgi;
                uwsgi_temp_path {tmp}/temp/uwsgi;
                scgi_temp_path {tmp}/temp/scgi;
                include {tmp}/site.conf;
            }}
            """
        )
        self.proc = subprocess.Popen(  # noqa: S603 - our own command line
            [NGINX, "-p", str(tmp), "-e", "stderr", "-c", str(tmp / "nginx.conf")],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.proc.stdout.read().decode()
            try:
                self.get("/")
                return
            except OSError:
                time.sleep(0.05)
        raise AssertionError("nginx did not start")

    def get(self, path: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request("GET", path, headers={k.replace("_", "-"): v for k, v in headers.items()})
            answer = conn.getresponse()
            return answer.status, {k.lower(): v for k, v in answer.getheaders()}, answer.read()
        finally:
            conn.close()

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGQUIT)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def served(site, directory, tmp_path):
    report = publish_site(targets=[directory])
    prefix = tmp_path / "nginx"
    prefix.mkdir()
    server = Nginx(prefix, directory.current)
    yield server, report
    server.stop()


def _kind(content_type: str) -> str:
    return content_type.replace('"', "")


def test_every_published_document_answers_through_nginx_as_at_the_origin(served, client):
    server, report = served
    for url_path in report.paths.values():
        path, query = url_path.partition("?")[::2]
        response, body = origin(client, path, query)
        status, headers, published = server.get(url_path)
        assert status == 200, url_path
        assert published == body, url_path
        assert headers["content-type"] == _kind(response["Content-Type"]), url_path
        if not path.startswith(("/static/", "/favicon.ico")):
            assert headers["cache-control"] == response["Cache-Control"], url_path


def test_gzip_copies_query_forms_and_the_manifest(served, site):
    server, _ = served
    status, headers, body = server.get("/", Accept_Encoding="gzip")
    assert status == 200 and headers.get("content-encoding") == "gzip"
    assert b"API errors" in gzip.decompress(body)
    # Unknown query strings (campaign tags) fall back to the document itself.
    assert server.get("/history?utm_source=mail")[2] == server.get("/history")[2]
    assert server.get("/history?x=../../etc")[2] == server.get("/history")[2]
    assert server.get("/.publish-manifest.json")[0] == 404
    assert server.get("/incidents/zzzzzzzzzzzz")[0] == 404
