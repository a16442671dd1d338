"""The front page stays light on the wire: under 15 KB gzipped with the demo data (three
groups, twelve components, 90 days of bars, a live incident, maintenance, the subscribe form),
its stylesheet and script are separate cached files, and it loads nothing from elsewhere."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db

BUDGET_BYTES = 15 * 1024


@pytest.fixture
def demo(page):
    call_command("seed_demo", verbosity=0)


def test_front_page_is_under_15_kb_gzipped(client, demo):
    response = client.get("/", HTTP_ACCEPT_ENCODING="gzip")
    assert response.status_code == 200
    assert response["Content-Encoding"] == "gzip"
    size = len(response.content)
    assert size < BUDGET_BYTES, f"/ is {size} bytes gzipped"
    print(f"/ gzipped: {size} bytes")
    # Not vacuous: the document holds the demo's components and the subscribe form.
    html = client.get("/").content.decode()
    assert html.count('class="component"') >= 12
    assert 'class="subscribe-form"' in html


def test_front_page_loads_only_its_own_cached_files(client, demo):
    html = client.get("/").content.decode()
    assets = re.findall(r'<(?:link rel="stylesheet"|script) (?:href|src)="([^"]+)"', html)
    # The refresh script is its own file: only the pages that refresh in place load it.
    assert assets == [
        "/static/public/status.css",
        "/static/public/site.js",
        "/static/public/live.js",
    ]
    assert "<script>" not in html  # no inline script
    assert "@import" not in html and "fonts.googleapis" not in html
    for asset in assets:
        response = client.get(asset)
        assert response.status_code == 200
        assert "max-age" in response["Cache-Control"]
