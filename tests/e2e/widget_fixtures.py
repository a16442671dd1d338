"""Fixtures of the widget's real-browser tests: Debian's chromium through Playwright, a host
page on a second local HTTP server (a different origin from the app), and Atlassian's
@statuspage/status-widget from npm. Imported by tests/e2e/test_widget.py."""

from __future__ import annotations

import functools
import shutil
import subprocess
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.e2e.npm_lock import npm_lock

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
# var/ is gitignored; the package is installed once and reused by later runs.
NPM_PREFIX = ROOT / "var" / "e2e-npm"
STATUS_WIDGET = "@statuspage/status-widget@1.0.5"
STATUS_WIDGET_JS = NPM_PREFIX / "node_modules" / "@statuspage" / "status-widget" / "dist"


@pytest.fixture
def chromium(browser, transactional_db):
    """The session's one browser (tests/e2e/conftest.py): Playwright's sync API allows a single
    instance per thread, so every browser suite shares it."""
    return browser


@pytest.fixture
def browser_page(chromium, monkeypatch):
    # Playwright's sync API runs an event loop in this thread; the ORM calls the test makes
    # between browser steps are plain synchronous code, which Django must be told.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    context = chromium.new_context(viewport={"width": 1000, "height": 700})
    page = context.new_page()
    yield page
    context.close()
    # ORM calls made while Playwright runs open their own connection (Django's connection
    # handler is context-local), which the test database teardown would otherwise wait on.
    from django.db import connections

    connections.close_all()


@pytest.fixture(scope="session")
def status_widget_dist() -> Path:
    """Atlassian's web component, installed from npm into a gitignored folder."""
    with npm_lock(NPM_PREFIX):
        if not (STATUS_WIDGET_JS / "index.js").exists():
            npm = shutil.which("npm")
            if npm is None:
                pytest.skip("npm is not installed")
            NPM_PREFIX.mkdir(parents=True, exist_ok=True)
            try:
                result = subprocess.run(  # noqa: S603 - fixed arguments
                    [
                        npm,
                        "install",
                        "--no-audit",
                        "--no-fund",
                        "--fetch-retries=1",
                        "--prefix",
                        str(NPM_PREFIX),
                        STATUS_WIDGET,
                    ],
                    capture_output=True,
                    text=True,
                    timeout=180,
                    check=False,
                )
            except subprocess.TimeoutExpired:
                pytest.skip(f"npm install {STATUS_WIDGET} timed out (no registry access?)")
            if result.returncode != 0:
                pytest.skip(f"npm install {STATUS_WIDGET} failed: {result.stderr[-500:]}")
    return STATUS_WIDGET_JS


@pytest.fixture
def cold_public_cache(settings, tmp_path):
    """Empty read-path caches: a flushed database restarts the generation counter, so documents
    cached by an earlier test would otherwise be served under the same generation."""
    from django.core.cache import cache

    from statuspage import public_cache

    settings.PUBLIC_SNAPSHOT_DIR = tmp_path / "snapshots"
    public_cache.local.clear()
    cache.clear()
    yield
    public_cache.local.clear()
    cache.clear()


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's signature
        pass


@pytest.fixture
def host_site(tmp_path, status_widget_dist):
    """A second origin: a static HTTP server on a free port, serving host pages we write."""
    shutil.copy(status_widget_dist / "index.js", tmp_path / "status-widget.js")
    handler = functools.partial(_QuietHandler, directory=str(tmp_path))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    class Site:
        url = f"http://127.0.0.1:{server.server_address[1]}"

        @staticmethod
        def write(name: str, html: str) -> str:
            (tmp_path / name).write_text(html, encoding="utf-8")
            return f"{Site.url}/{name}"

    yield Site
    server.shutdown()
    server.server_close()
