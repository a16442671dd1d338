"""Real-browser tests: Debian's chromium driven by Playwright against pytest-django's live
server. Fixtures other suites reuse: `browser` (a chromium Browser), `live_url` (the live
server's base URL, no trailing slash), `new_page` (a fresh page per test, closed after it),
`axe_source` (axe-core's script, installed from npm on first use) and `artifacts` (where
screenshots go: test-artifacts/, gitignored).

Skips, with the reason, when /usr/bin/chromium or the playwright package is missing; the
browser is never downloaded (`playwright install` is not used)."""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.core.servers.basehttp import ThreadedWSGIServer
from django.test.testcases import LiveServerThread

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
E2E_DIR = Path(__file__).resolve().parent
AXE_JS = E2E_DIR / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = E2E_DIR.parent.parent / "test-artifacts"


def pytest_collection_modifyitems(session, config, items):
    # Browser tests run last: they are the slowest, and the async-safety opt-out below then
    # never applies to the rest of the suite.
    items.sort(key=lambda item: E2E_DIR in Path(str(item.fspath)).parents)


class ClockedBrowser:
    """The chromium Browser, whose every context starts its clock at the test's "now" (the
    frozen clock of tests/conftest.py), so what a page's scripts compute from Date agrees
    with what the server rendered, whatever day the suite runs on. The clock then flows."""

    def __init__(self, browser):
        self._browser = browser

    def new_context(self, **kwargs):
        context = self._browser.new_context(**kwargs)
        context.clock.install(time=datetime.now(UTC))
        return context

    def __getattr__(self, name):
        return getattr(self._browser, name)


class _OneRequestAtATime(ThreadedWSGIServer):
    """The live server, answering one request at a time when it shares the test's in-memory
    SQLite connection (Django passes it to every server thread): two requests on that one
    connection at once, say a form post while a preview fetch is in flight, fail with
    "database table is locked". On PostgreSQL each thread has its own connection and requests
    stay concurrent, as deployed."""

    _serial = threading.Lock()

    def get_app(self):
        app = super().get_app()
        if not self.connections_override:
            return app

        def one_at_a_time(environ, start_response):
            with self._serial:
                return list(app(environ, start_response))  # the whole body, still locked

        return one_at_a_time


LiveServerThread.server_class = _OneRequestAtATime


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    # Playwright's sync API runs an event loop in this thread; Django refuses ORM calls from a
    # thread with a running loop unless told that this is deliberate (tests only; these tests
    # run last, see above). Set for the session: the live server's threads need it too.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield ClockedBrowser(chromium)
        chromium.close()


@pytest.fixture
def live_url(live_server, transactional_db, settings, tmp_path) -> str:
    from django.core.cache import cache

    from incidents.models import Page
    from statuspage import public_cache

    # Live-server tests run with flushed tables: recreate the page row the data migration made.
    # (tests/conftest.py may already have recreated it, with other values.)
    if not Page.objects.exists():
        Page.objects.create(name="Example", url=live_server.url, time_zone="Europe/Berlin")
    Page.objects.update(name="Example", url=live_server.url, time_zone="Europe/Berlin")

    settings.PUBLIC_SNAPSHOT_DIR = tmp_path / "snapshots"
    public_cache.local.clear()
    public_cache._written.clear()
    cache.clear()
    return live_server.url.rstrip("/")


@pytest.fixture
def new_page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def axe_source() -> str:
    """axe-core's source, at the version pinned in tests/e2e/package-lock.json."""
    with npm_lock(E2E_DIR):
        if not AXE_JS.exists():
            npm = shutil.which("npm")
            if npm is None:
                pytest.skip("npm is not installed: cannot install axe-core")
            subprocess.run(  # noqa: S603 - fixed arguments
                [npm, "ci", "--no-audit", "--no-fund"], cwd=E2E_DIR, check=True, timeout=300
            )
    return AXE_JS.read_text(encoding="utf-8")
