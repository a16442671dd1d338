"""deploy/nginx-published.conf serving a published directory: every document answers as the
origin does (bytes, Content-Type, Cache-Control), query forms included, gzip from the copies
made at publish time. Skipped where nginx is not installed (CI installs nginx-light), failed
instead when REQUIRE_REAL_SERVICES=1."""

from __future__ import annotations

import gzip
import http.client
from pathlib import Path

import pytest
from django.conf import settings

from statuspage.publish.services import publish_site
from tests import nginx_process
from tests.faults.support import unavailable
from tests.publish.conftest import free_port
from tests.publish.test_targets import origin

CONF = Path(settings.BASE_DIR) / "deploy" / "nginx-published.conf"


class Nginx:
    def __init__(self, tmp: Path, root: Path):
        if nginx_process.NGINX is None:
            unavailable("nginx is not installed")
        self.port = free_port()
        site = CONF.read_text()
        for old, new in [
            ("listen 8080;", f"listen 127.0.0.1:{self.port};"),
            ("root /srv/status/current;", f"root {root};"),
        ]:
            assert site.count(old) == 1, old
            site = site.replace(old, new)
        (tmp / "site.conf").write_text(site)
        self.proc = nginx_process.start(tmp, self.port)

    def get(self, path: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request("GET", path, headers={k.replace("_", "-"): v for k, v in headers.items()})
            answer = conn.getresponse()
            return answer.status, {k.lower(): v for k, v in answer.getheaders()}, answer.read()
        finally:
            conn.close()

    def stop(self) -> None:
        nginx_process.stop(self.proc)


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
