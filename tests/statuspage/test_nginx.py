"""deploy/nginx.conf in front of a live app: what it caches, what it never caches, and what it
serves when the app is gone. Skipped where nginx is not installed (CI installs nginx-light),
failed instead when REQUIRE_REAL_SERVICES=1 (CI's second pass)."""

import gzip
import http.client
import signal
import socket
import time
from pathlib import Path

import pytest
from django.conf import settings

from tests import nginx_process
from tests.faults.support import unavailable

CONF = Path(settings.BASE_DIR) / "deploy" / "nginx.conf"


@pytest.fixture(autouse=True)
def _needs_nginx():
    if nginx_process.NGINX is None:
        unavailable("nginx is not installed")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _site_conf(upstream_port: int, listen_port: int, tmp: Path) -> str:
    """The shipped file with its "site:" values replaced, each exactly once."""
    text = CONF.read_text()
    for old, new in [
        ("server 127.0.0.1:8000;", f"server 127.0.0.1:{upstream_port};"),
        ("listen 80;", f"listen 127.0.0.1:{listen_port};"),
        ("/var/cache/nginx/statuspage ", f"{tmp / 'cache'} "),
        ("alias /srv/statuspage/staticfiles/;", f"alias {tmp / 'static'}/;"),
    ]:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text


class Nginx:
    def __init__(self, tmp: Path, upstream_port: int):
        self.tmp = tmp
        self.port = _free_port()
        for sub in ("cache", "static"):
            (tmp / sub).mkdir()
        self.configure(upstream_port)
        self.proc = nginx_process.start(
            tmp, self.port, connections=128, http="types { text/css css; text/html html; }"
        )

    def configure(self, upstream_port: int) -> None:
        (self.tmp / "site.conf").write_text(_site_conf(upstream_port, self.port, self.tmp))

    def reload(self) -> None:
        self.proc.send_signal(signal.SIGHUP)

    def stop(self) -> None:
        nginx_process.stop(self.proc)

    def get(self, path: str, **headers) -> tuple[int, http.client.HTTPMessage, bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request("GET", path, headers={k.replace("_", "-"): v for k, v in headers.items()})
            response = conn.getresponse()
            return response.status, response.headers, response.read()
        finally:
            conn.close()


@pytest.fixture
def nginx(live_server, page, settings, tmp_path):
    # Long enough that a loaded machine cannot expire the copy between two requests.
    settings.PUBLIC_MAX_AGE = 60
    server = Nginx(tmp_path, int(live_server.url.rsplit(":", 1)[1]))
    yield server
    server.stop()


def test_public_page_is_cached_and_served_from_the_cache(nginx):
    status, headers, first = nginx.get("/", Accept_Encoding="gzip")
    assert status == 200 and headers["X-Cache-Status"] == "MISS"
    assert headers["Content-Encoding"] == "gzip" and b"<html" in gzip.decompress(first)
    status, headers, second = nginx.get("/", Accept_Encoding="gzip")
    assert status == 200 and headers["X-Cache-Status"] == "HIT" and second == first
    assert "Set-Cookie" not in headers
    # The JSON API's public documents too.
    assert nginx.get("/api/v2/summary.json")[1]["X-Cache-Status"] == "MISS"
    assert nginx.get("/api/v2/summary.json")[1]["X-Cache-Status"] == "HIT"


def test_the_cache_keeps_the_html_and_markdown_forms_of_the_front_page_apart(nginx):
    """`/` answers curl and agents in Markdown, browsers in HTML, with `Vary` saying which
    request headers chose: nginx stores each form apart and serves each reader its own."""
    browser = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8", "User-Agent": "Firefox"}
    curl = {"Accept": "*/*", "User-Agent": "curl/8.5.0"}
    agent = {"Accept": "text/markdown", "User-Agent": "agent/1.0"}
    seen = {}
    for name, headers in [("browser", browser), ("curl", curl), ("agent", agent)] * 2:
        status, answer, body = nginx.get("/", **headers)
        assert status == 200, name
        kind = "md" if answer["Content-Type"].startswith("text/markdown") else "html"
        assert kind == ("html" if name == "browser" else "md"), name
        assert answer["X-Cache-Status"] == ("HIT" if name in seen else "MISS"), name
        assert seen.setdefault(name, body) == body, name
    assert seen["curl"] == seen["agent"] == nginx.get("/index.md")[2]


def test_etag_revalidation_answers_304(nginx):
    _, headers, _ = nginx.get("/")
    etag = headers["ETag"]
    status, headers, body = nginx.get("/", If_None_Match=etag)
    assert status == 304 and body == b"" and headers["ETag"] == etag
    assert nginx.get("/", If_None_Match='"something-else"')[0] == 200


def test_dashboard_and_management_api_are_never_cached(nginx):
    for _ in range(2):
        status, headers, _ = nginx.get("/dashboard/login/")
        assert status == 200 and "X-Cache-Status" not in headers
        assert "csrftoken" in headers.get("Set-Cookie", "")
    for _ in range(2):
        status, headers, _ = nginx.get("/api/v1/pages")
        assert status in (401, 403) and "X-Cache-Status" not in headers


def test_signed_in_and_api_key_requests_bypass_the_cache(nginx):
    nginx.get("/")
    assert nginx.get("/")[1]["X-Cache-Status"] == "HIT"
    assert nginx.get("/", Cookie="sessionid=abc")[1]["X-Cache-Status"] == "BYPASS"
    assert nginx.get("/", Authorization="OAuth key")[1]["X-Cache-Status"] == "BYPASS"


def test_metrics_are_not_reachable_through_the_proxy(nginx):
    assert nginx.get("/metrics")[0] == 404


def test_static_files_hashed_names_cached_for_good(nginx):
    css = b"body { color: #123456 }\n" * 100
    (nginx.tmp / "static/app.0123456789ab.css").write_bytes(css)
    (nginx.tmp / "static/app.0123456789ab.css.gz").write_bytes(gzip.compress(css))
    (nginx.tmp / "static/app.css").write_bytes(css)

    status, headers, body = nginx.get("/static/app.0123456789ab.css", Accept_Encoding="gzip")
    assert status == 200 and headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(body) == css
    cache_control = ", ".join(headers.get_all("Cache-Control"))
    assert "max-age=315360000" in cache_control and "immutable" in cache_control

    status, headers, body = nginx.get("/static/app.css")
    assert status == 200 and body == css
    assert "immutable" not in ", ".join(headers.get_all("Cache-Control"))


def test_last_good_copy_is_served_when_the_app_is_down(nginx, settings):
    settings.PUBLIC_MAX_AGE = 1
    status, headers, body = nginx.get("/")
    assert status == 200 and headers["X-Cache-Status"] == "MISS"

    # Point nginx at a closed port, as if every web process had stopped.
    nginx.configure(_free_port())
    nginx.reload()
    deadline = time.monotonic() + 10
    while nginx.get("/dashboard/login/")[0] != 502:
        assert time.monotonic() < deadline, "nginx did not reload"
        time.sleep(0.1)
    # Past the document's max-age=1 (nginx counts whole seconds): only a stale copy is left.
    time.sleep(2.5)

    status, headers, stale = nginx.get("/")
    assert status == 200 and headers["X-Cache-Status"] == "STALE" and stale == body
    # Something never cached has nothing to fall back on.
    assert nginx.get("/history?page=2")[0] == 502
