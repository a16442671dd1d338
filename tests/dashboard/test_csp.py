"""The dashboard's Content-Security-Policy allows scripts and styles from files only
(script-src 'self', style-src 'self'): an inline handler (onclick=…), an inline <script>, a
style attribute or a javascript: URL would be blocked by the browser, and the control it drives
would silently not work. These tests find them in the templates and in the rendered pages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings

from statuspage.access.models import Membership
from statuspage.dashboard.middleware import CONTENT_SECURITY_POLICY
from tests.dashboard.test_roles import cases

TEMPLATES = Path(settings.BASE_DIR) / "templates"
JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.DOTALL)
TAG = re.compile(r"<[a-zA-Z][^>]*>")
HANDLER = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)
STYLE_ATTR = re.compile(r"\sstyle\s*=", re.IGNORECASE)
JS_URL = re.compile(r"""\s(?:href|src|action|formaction)\s*=\s*["']?\s*javascript:""", re.I)
SCRIPT = re.compile(r"<script\b([^>]*)>", re.IGNORECASE)


def inline_code(html: str) -> list[str]:
    """Every piece of markup the dashboard's CSP would block, as found."""
    found = []
    for tag in TAG.findall(html):
        if HANDLER.search(tag) or STYLE_ATTR.search(tag) or JS_URL.search(tag):
            found.append(tag)
    # A JSON data block (type="application/json") is data, never run: CSP does not apply.
    found += [
        f"<script{attrs}>"
        for attrs in SCRIPT.findall(html)
        if "src=" not in attrs and 'type="application/json"' not in attrs
    ]
    if re.search(r"<style\b", html, re.IGNORECASE):
        found.append("<style>")
    return found


def inline_handlers(html: str) -> list[str]:
    return [tag for tag in TAG.findall(html) if HANDLER.search(tag)]


def _templates(folder: str) -> list[Path]:
    return sorted((TEMPLATES / folder).rglob("*.html"))


def _source(path: Path) -> str:
    # Jinja tags go first: `{% if a > b %}` inside a tag would end it early for the regex.
    return JINJA.sub(" ", path.read_text(encoding="utf-8"))


def test_the_scanner_finds_what_the_policy_blocks():
    assert inline_code('<form onsubmit="return confirm(1)">') != []
    assert inline_code('<input ONCLICK = "this.select()">') != []
    assert inline_code("<script>alert(1)</script>") == ["<script>"]
    assert inline_code('<p style="color: red">') != []
    assert inline_code('<a href="javascript:void(0)">') != []
    assert inline_code('<script src="/static/x.js" defer></script>') == []
    assert inline_code('<script type="application/json" id="w">{"a": 1}</script>') == []
    assert inline_code('<script type="module">alert(1)</script>') != []
    # Attribute names that merely end in "on…" are no handlers.
    assert inline_code('<meta content="x"><input data-option="1" aria-pressed="true">') == []
    assert "script-src 'self'" in CONTENT_SECURITY_POLICY
    assert "'unsafe-inline'" not in CONTENT_SECURITY_POLICY


@pytest.mark.parametrize(
    "path", _templates("dashboard"), ids=lambda p: str(p.relative_to(TEMPLATES))
)
def test_dashboard_templates_hold_no_inline_code(path):
    assert inline_code(_source(path)) == []


@pytest.mark.parametrize(
    "path",
    [*_templates("public"), *_templates("widget"), *_templates("notifications/pages")],
    ids=lambda p: str(p.relative_to(TEMPLATES)),
)
def test_public_and_widget_templates_hold_no_inline_event_handlers(path):
    """These pages inline their small script and stylesheet on purpose (one request less; they
    send no script-src policy), but event handlers belong in that script, not in attributes."""
    assert inline_handlers(_source(path)) == []


# The email preview is an email: inline styles are how mail clients take its design. It has a
# policy of its own (test_the_email_preview_has_its_own_policy_that_runs_nothing).
OWN_POLICY = re.compile(r"/postmortem/preview/email/$")


def test_every_dashboard_page_renders_without_inline_code(world, admin_user, admin_client):
    """The rendered HTML too: form widgets and helpers written in Python could add attributes
    the templates do not show. As an owner, who reaches every page (a new page too)."""
    Membership.objects.filter(user=admin_user).update(owner=True)
    pages = 0
    for method, path, _ in cases(world):
        response = admin_client.get(path, follow=True) if method == "get" else None
        if response is None or not response["Content-Type"].startswith("text/html"):
            continue  # writes, the CSV export and the JSON reach figures
        if OWN_POLICY.search(path):
            continue
        assert response.status_code == 200, path
        policy = CONTENT_SECURITY_POLICY
        if path.startswith("/dashboard/settings/preview/"):  # framed by the settings page only
            policy = policy.replace("frame-ancestors 'none'", "frame-ancestors 'self'")
        assert response["Content-Security-Policy"] == policy, path
        assert inline_code(response.content.decode()) == [], path
        pages += 1
    assert pages >= 25


def test_the_email_preview_has_its_own_policy_that_runs_nothing(world, admin_client):
    from statuspage.dashboard.views.incidents import EMAIL_PREVIEW_CSP

    path = f"/dashboard/incidents/{world['incident']}/postmortem/preview/email/"
    assert [p for _, p, _ in cases(world) if OWN_POLICY.search(p)] == [path]
    response = admin_client.get(path)
    assert response["Content-Security-Policy"] == EMAIL_PREVIEW_CSP
    directives = dict(d.split(" ", 1) for d in EMAIL_PREVIEW_CSP.split("; "))
    # No script of any origin (default-src 'none' and no script-src), nothing fetched, and
    # only the dashboard itself may frame it.
    assert directives["default-src"] == "'none'" and "script-src" not in directives
    assert directives["frame-ancestors"] == "'self'"
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    # Every other dashboard page keeps refusing frames.
    assert "frame-ancestors 'none'" in CONTENT_SECURITY_POLICY
    assert admin_client.get("/dashboard/")["X-Frame-Options"] == "DENY"
