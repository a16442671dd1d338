"""What a browser tab and a link preview see: the status in the tab title and favicon, Open
Graph and Twitter tags, and the conditional GET the in-place refresh polls with."""

from __future__ import annotations

import re
import time
from html import unescape

import pytest
from django.contrib.staticfiles import finders
from django.core.cache import cache

from incidents import selectors, services
from incidents.enums import Indicator
from incidents.services.common import generation_cache_key
from statuspage import public_cache


def _meta(html: str, key: str) -> str:
    match = re.search(rf'<meta (?:property|name)="{re.escape(key)}" content="([^"]*)">', html)
    assert match, key
    return unescape(match.group(1))


def _title(html: str) -> str:
    return unescape(re.search(r"<title>([^<]*)</title>", html).group(1))


def _icon(html: str) -> str:
    return re.search(r'<link rel="icon" type="image/svg\+xml" href="([^"]+)">', html).group(1)


def test_every_indicator_has_its_favicon():
    for indicator in [*Indicator.values, ""]:
        name = f"public/favicon-{indicator}.svg" if indicator else "public/favicon.svg"
        path = finders.find(name)
        assert path, name
        with open(path, encoding="utf-8") as svg:
            assert svg.read().startswith("<svg xmlns=")


def test_all_well_shows_in_title_and_favicon(client, page, api):
    html = client.get("/").content.decode()
    assert _title(html) == f"✓ All Systems Operational · {page.name} status"
    assert _icon(html) == "/static/public/favicon-none.svg"


def test_an_outage_shows_in_title_and_favicon_of_every_page(client, site):
    for path in ("/", "/history", "/uptime", f"/incidents/{site['open'].public_id}"):
        html = client.get(path).content.decode()
        assert _icon(html) == "/static/public/favicon-major.svg", path
        assert _title(html).startswith("◆ "), path
    assert _title(client.get("/").content.decode()).startswith("◆ Partial System Outage · ")


def test_maintenance_shows_in_title_and_favicon(client, site, operator):
    services.incident_resolve(incident=site["open"], body="ok", actor=operator)
    services.maintenance_start(maintenance=site["maintenance"], actor=operator)
    html = client.get("/").content.decode()
    assert _icon(html) == "/static/public/favicon-maintenance.svg"
    assert _title(html).startswith("⚙ ")


def test_subscriber_pages_get_the_neutral_icon(client, page):
    html = client.get("/subscribe").content.decode()
    assert _icon(html) == "/static/public/favicon.svg"


def test_favicon_ico_points_at_the_icon(client, page):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"] == "/static/public/favicon.svg"


def test_link_preview_tags_on_the_front_page(client, page, api):
    html = client.get("/").content.decode()
    assert _meta(html, "og:type") == "website"
    assert _meta(html, "og:site_name") == f"{page.name} status"
    assert _meta(html, "og:title") == f"All Systems Operational · {page.name} status"
    assert _meta(html, "og:description") == "All Systems Operational"
    assert _meta(html, "description") == "All Systems Operational"
    assert _meta(html, "og:url") == page.public_url + "/"
    assert _meta(html, "twitter:card") == "summary"
    assert _meta(html, "twitter:title") == _meta(html, "og:title")
    assert 'property="og:image"' not in html  # no logo configured


def test_link_preview_of_an_incident_says_what_is_happening(client, page, site):
    incident = site["open"]
    html = client.get(f"/incidents/{incident.public_id}").content.decode()
    assert _meta(html, "og:title") == f"API errors · {page.name} status"
    assert _meta(html, "og:description") == "Identified · Major impact · Cause identified."
    assert _meta(html, "og:url").endswith(f"/incidents/{incident.public_id}")


def test_link_preview_text_is_escaped_and_plain(client, page, operator):
    incident = services.incident_create(
        name='"><script>alert(1)</script>',
        body='**Bold** & [a link](https://example.com) "quoted" ' + "long " * 80,
        actor=operator,
    )
    html = client.get(f"/incidents/{incident.public_id}").content.decode()
    assert "<script>alert(1)" not in html
    assert _meta(html, "og:title").startswith('"><script>alert(1)</script> · ')
    description = _meta(html, "og:description")
    assert description.startswith('Investigating · No impact · Bold & a link "quoted" long')
    assert len(description) <= 260  # Markdown gone, cut short


def test_logo_becomes_the_preview_image(client, page, api):
    page.logo_url = "https://example.com/logo.png"
    page.save()
    html = client.get("/").content.decode()
    assert _meta(html, "og:image") == "https://example.com/logo.png"


def test_only_the_live_pages_load_the_refresh_script(client, site):
    live = [
        "/",
        f"/incidents/{site['open'].public_id}",
        f"/maintenance/{site['maintenance'].public_id}",
    ]
    for path in live:
        html = client.get(path).content.decode()
        assert '<script src="/static/public/live.js" defer></script>' in html, path
        assert '<main id="main" data-live>' in html, path
    for path in ("/history", "/uptime", "/subscribe"):
        html = client.get(path).content.decode()
        assert "live.js" not in html and "data-live" not in html, path


@pytest.mark.parametrize("encoding", ["gzip, deflate, br", ""])
def test_polling_is_a_304_until_the_page_changes(
    client, site, operator, django_capture_on_commit_callbacks, encoding
):
    """The refresh script's protocol: a HEAD learns the ETag, then each poll is a conditional
    GET; no change costs a bodyless 304, rendering nothing; a change sends the new page."""
    head = client.head("/", HTTP_ACCEPT_ENCODING=encoding)
    assert head.status_code == 200 and head.content == b""
    etag = head["ETag"]
    assert head["Last-Modified"]
    for _ in range(3):
        poll = client.get("/", HTTP_IF_NONE_MATCH=etag, HTTP_ACCEPT_ENCODING=encoding)
        assert poll.status_code == 304 and poll.content == b""
        assert poll["ETag"] == etag
    with django_capture_on_commit_callbacks(execute=True):
        services.incident_resolve(incident=site["open"], body="All fixed.", actor=operator)
    time.sleep(public_cache.GENERATION_MEMO_SECONDS + 0.1)
    poll = client.get("/", HTTP_IF_NONE_MATCH=etag, HTTP_ACCEPT_ENCODING=encoding)
    assert poll.status_code == 200 and poll["ETag"] != etag
    again = client.get("/", HTTP_IF_NONE_MATCH=poll["ETag"], HTTP_ACCEPT_ENCODING=encoding)
    assert again.status_code == 304


def test_an_unchanged_page_polls_without_a_query(client, site, django_assert_num_queries):
    etag = client.head("/")["ETag"]
    time.sleep(public_cache.GENERATION_MEMO_SECONDS + 0.1)
    # The shared cache keeps the generation GENERATION_CACHE_SECONDS (1 s) of real time, which
    # a busy machine can spend between the HEAD and here: put it back for longer, as the next
    # write or read would. The generation comes from there: no database query, no render.
    page_id, generation = selectors.page_generation()
    cache.set(selectors.DEFAULT_PAGE_CACHE_KEY, page_id, 60)
    cache.set(generation_cache_key(page_id), generation, 60)
    with django_assert_num_queries(0):
        assert client.get("/", HTTP_IF_NONE_MATCH=etag).status_code == 304
