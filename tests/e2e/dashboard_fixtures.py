"""Fixtures of the dashboard's real-browser test, standalone on purpose (tests/e2e/conftest.py
belongs to the public-page suite): a chromium browser, the live server with a page row and two
components, and an admin with a confirmed TOTP device. Skips when chromium or playwright is
missing; the browser is never downloaded."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from django.apps import apps as django_apps
from django.db.models.signals import post_migrate

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
ROOT = Path(__file__).resolve().parent.parent.parent
ARTIFACTS = ROOT / "test-artifacts"
AXE_JS = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
OPERATOR_PASSWORD = "e2e operator passphrase 31"
RESTORE_UID = "tests.e2e.dashboard_fixtures.restore_page_row"


@pytest.fixture(scope="session")
def dash_browser(browser):
    """The session's one browser (tests/e2e/conftest.py); one sync Playwright per thread."""
    return browser


@pytest.fixture
def dash_page_row_restored():
    """A live-server test flushes every table when it ends, the data migration's page row too,
    and transactional tests that run later (e.g. the PostgreSQL concurrency test) expect it.
    The flush sends post_migrate (how Django restores content types); this one-shot receiver
    re-creates the page row with the data migration's own function at that moment. A fixture
    teardown cannot do it: pytest-django's flush runs after every teardown of ours."""
    migration = importlib.import_module("incidents.migrations.0002_create_page")

    def recreate(sender, **kwargs):
        if sender.label == "incidents":
            post_migrate.disconnect(dispatch_uid=RESTORE_UID)
            migration.create_page(django_apps, None)

    post_migrate.connect(recreate, weak=False, dispatch_uid=RESTORE_UID)
    return recreate


@pytest.fixture
def dash_site(dash_page_row_restored, live_server, transactional_db):
    """The live server's base URL, with the page row (flushed tables lose the data migration's)
    and two components."""
    from django.core.cache import cache

    from incidents import services
    from incidents.models import Page
    from statuspage import public_cache

    if not Page.objects.exists():
        Page.objects.create(name="Example", url=live_server.url, time_zone="Europe/Berlin")
    public_cache.local.clear()
    cache.clear()
    for name in ("API", "Web"):
        services.component_create(name=name, actor=services.SYSTEM)
    return live_server.url.rstrip("/")


@pytest.fixture
def dash_admin(transactional_db):
    """An admin with a confirmed TOTP device; returns (user, device)."""
    from django.contrib.auth import get_user_model
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from statuspage.access.models import Membership, Role

    user = get_user_model().objects.create_user("e2e-admin", password=OPERATOR_PASSWORD)
    Membership.objects.create(user=user, role=Role.ADMIN)
    device = TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    return user, device


# Runs in every document before its own scripts (through DevTools, so the page's CSP does not
# apply to it) and reports each Content-Security-Policy violation back to the test.
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", function (e) {
  window.reportCspViolation(
    e.effectiveDirective + " blocked " + (e.blockedURI || "inline code") + " at " +
    e.documentURI + " (" + (e.sample || "") + ")");
});
"""


def new_dash_page(browser, **options):
    """A page in a fresh context (`options` for the context, e.g. a phone's viewport or a
    colour scheme) that records console errors and warnings (`page.console_problems`, each
    with its source URL) and CSP violations (`page.csp_violations`)."""
    context = browser.new_context(**{"viewport": {"width": 1280, "height": 900}, **options})
    violations: list[str] = []
    context.expose_function("reportCspViolation", lambda text: violations.append(text))
    context.add_init_script(CSP_LISTENER)
    page = context.new_page()
    page.csp_violations = violations
    page.console_problems = []

    def on_console(message):
        if message.type in ("error", "warning"):
            page.console_problems.append(f"{message.text} [{message.location.get('url', '')}]")

    page.on("console", on_console)
    return page


def console_problems(page) -> list[str]:
    """Console errors and warnings, less the browser's own request for /favicon.ico (the
    dashboard has none) and the refusal of CSP_LISTENER (an init script, so it tries every
    frame) in a sandboxed frame that allows no script (the email preview)."""
    return [
        p
        for p in page.console_problems
        if "/favicon.ico]" not in p and not p.startswith(SANDBOX_REFUSAL)
    ]


SANDBOX_REFUSAL = "Blocked script execution in "


@pytest.fixture
def dash_page(dash_browser):
    page = new_dash_page(dash_browser)
    yield page
    page.context.close()


@pytest.fixture(scope="session")
def dash_artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
