"""Crawl every public URL, following links from the front page, and fail on a missing cache
header or any cookie. Runs as a logged-in visitor whose session is saved on every request,
the worst case for a stray Set-Cookie."""

from __future__ import annotations

import re
from datetime import timedelta

from django.utils import timezone

from incidents import services
from statuspage.public.language import split_prefix

REQUIRED_CC = ("public", "max-age=", "s-maxage=", "stale-while-revalidate=", "stale-if-error=")
# Served by other parts of the app (their own tests cover them) or not public documents.
NOT_CRAWLED = ("/subscribe", "/admin", "/static", "/api", "/widget")


def _links(html: str) -> set[str]:
    hrefs = set(re.findall(r'href="([^"#]+)"', html))
    return {h.replace("&amp;", "&") for h in hrefs if h.startswith(("/", "?"))}


def test_every_public_url_is_cacheable_and_cookie_free(
    client, site, operator, settings, django_user_model
):
    start = timezone.now() - timedelta(days=120)
    old = services.incident_create(name="Old", body="x", actor=operator, at=start, backfilled=True)
    services.incident_resolve(incident=old, body="ok", actor=operator, at=start)
    settings.SESSION_SAVE_EVERY_REQUEST = True
    user = django_user_model.objects.create_user("op", password="x-long-password-1")
    client.force_login(user)

    seeds = ["/", "/history.atom", "/history.rss", "/maintenance.ics", "/history?page=2"]
    seen: dict[str, int] = {}
    queue = list(seeds)
    while queue:
        path = queue.pop()
        # The subscribe form takes a language prefix too (/de/subscribe).
        if (
            path in seen
            or split_prefix(path)[1].startswith(NOT_CRAWLED)
            or path.startswith(NOT_CRAWLED)
        ):
            continue
        response = client.get(path)
        seen[path] = response.status_code
        assert response.status_code == 200, path
        assert response.has_header("ETag"), path
        cc = response.get("Cache-Control", "")
        assert all(part in cc for part in REQUIRED_CC), (path, cc)
        assert not response.cookies, path
        assert "cookie" not in response.get("Vary", "").lower(), path
        if response["Content-Type"].startswith("text/html"):
            base = path.split("?")[0]
            queue.extend(
                base + h if h.startswith("?") else h for h in _links(response.content.decode())
            )

    crawled = set(seen)
    assert {"/", "/history", "/uptime", "/history?page=2", "/maintenance.ics"} <= crawled
    assert f"/incidents/{site['open'].public_id}" in crawled
    assert f"/maintenance/{site['maintenance'].public_id}" in crawled
    assert len(crawled) >= 12
