"""Every public route of a private page, enumerated from the URLconf (a route added later is
swept without being listed here), on the page's own host and under its `/p/<slug>/` prefix:
without a signed-in reader each answers 401 or a redirect to the sign-in page, private and
uncacheable, and shows no private string in its body or headers; nothing of the page reaches
the snapshot folder or the fast path. After sign-in the same routes serve the page."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.urls import URLPattern, URLResolver, get_resolver

from incidents.services import SYSTEM
from statuspage import public_cache
from statuspage.readers import gate
from tests.readers.conftest import PRIVATE_HOST, leaks, sign_in

pytestmark = pytest.mark.django_db

# What a page prefix never precedes (statuspage/page_routing.py): not a page's address.
NOT_A_PAGE = re.compile(
    r"^(admin|dashboard|api/v1|hooks|monitors|static)/|^(healthz|readyz|metrics)$"
)


def _patterns(patterns, prefix: str = ""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _patterns(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry.name


def _fill(pattern: str, objects: dict) -> str:
    """A concrete path of a URL pattern, naming the private page's objects."""
    values = {
        "public_id": objects["incident"].public_id,
        "language": "de",
        "period": "week",
        "name": "0" * 32 + ".png",
        "token": "t" * 24,
    }
    if "maintenance" in pattern:
        values["public_id"] = objects["maintenance"].public_id
    if "badge" in pattern:
        values["public_id"] = objects["component"].public_id
    path = pattern.replace("^", "").replace("$", "").replace("\\.", ".")
    path = re.sub(r"\(\?P<(\w+)>[^)]*(?:\([^)]*\))?[^)]*\)", lambda m: values[m.group(1)], path)
    path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: values[m.group(1)], path)
    return "/" + path.replace(".*", "nothing.json")


def page_paths(objects: dict) -> list[str]:
    paths = []
    for pattern, _name in _patterns(get_resolver().url_patterns):
        if NOT_A_PAGE.match(pattern.replace("^", "")) or pattern.startswith("readers/"):
            continue
        paths.append(_fill(pattern, objects))
    return sorted(set(paths))


def test_the_sweep_covers_every_surface(private):
    paths = page_paths(private)
    for expected in ("/", "/history", "/history.atom", "/history.rss", "/maintenance.ics",
                     "/uptime", "/api/v2/summary.json", "/embed/script.js", "/embed/frame",
                     "/badge.svg", "/subscribe", f"/incidents/{private['incident'].public_id}",
                     f"/badge/{private['component'].public_id}.svg"):  # fmt: skip
        assert expected in paths
    assert not any(p.startswith(("/dashboard", "/api/v1", "/readers")) for p in paths)


def _assert_refused(response, path: str, prefix: str) -> None:
    if gate.SUBSCRIBER_LINK.match(path):
        # A subscriber's link opens with its own token only: this made-up one opens nothing.
        assert response.status_code in (400, 404, 405), (path, response.status_code)
    else:
        assert response.status_code in (302, 401), (path, response.status_code)
    if response.status_code == 302:
        assert response["Location"].startswith(f"{prefix}/readers/?next="), path
    elif path.startswith("/api/"):
        assert response["Content-Type"] == "application/json", path
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    assert "public" not in response["Cache-Control"]
    assert "Cookie" in response["Vary"], path
    headers = "\n".join(f"{k}: {v}" for k, v in response.items())
    assert not leaks(response.content), (path, leaks(response.content))
    assert not leaks(headers), (path, headers)


def _snapshots() -> str:
    folder = Path(settings.PUBLIC_SNAPSHOT_DIR)
    return "".join(p.read_text("utf-8") for p in folder.rglob("*") if p.is_file())


@pytest.mark.parametrize(("host", "prefix"), [(PRIVATE_HOST, ""), ("testserver", "/p/secret")])
def test_every_route_refuses_without_sign_in_and_serves_after(client, private, host, prefix):
    paths = page_paths(private)
    # What earlier tests taught this process (page ids are reused between tests).
    public_cache.routes.clear()
    public_cache.final_headers.clear()
    for path in paths:
        for method in ("get", "head", "post"):
            response = getattr(client, method)(prefix + path, HTTP_HOST=host)
            _assert_refused(response, path, prefix)
    assert not leaks(_snapshots())

    sign_in(client, host, prefix)
    served = {}
    for path in paths:
        response = client.get(prefix + path, HTTP_HOST=host)
        assert response.status_code not in (401, 403), path
        if response.status_code == 302:
            assert "/readers/" not in response["Location"], path
        assert "private" in response["Cache-Control"], path
        assert "Cookie" in response["Vary"], path
        served[path] = response
    # The documents themselves, not error pages: the page, its feeds, JSON, widget and badges.
    for path in ("/", "/history", "/uptime", f"/incidents/{private['incident'].public_id}",
                 "/api/v2/summary.json", "/api/v2/components.json", "/history.atom",
                 "/history.rss", "/embed/state.json", "/embed/frame"):  # fmt: skip
        assert served[path].status_code == 200, path
        assert leaks(served[path].content), path  # the private page, as its reader sees it
    for path in ("/maintenance.ics", "/badge.svg", "/badge.json", "/embed/script.js"):
        assert served[path].status_code == 200, path

    # Served to a reader, and still kept nowhere shared: no snapshot, no fast-path route, no
    # learned headers, nothing in the process's document store.
    assert not leaks(_snapshots())
    page_id = private["page"].pk
    assert not [r for r in public_cache.routes if r.startswith("/p/secret")]
    assert not [k for k in public_cache.final_headers if k.startswith(f"p{page_id}:")]
    assert not [
        k for k in public_cache.local.items if k.endswith(f"p{page_id}") or f":p{page_id}:" in k
    ]

    # With every cache warm, a reader without a session is refused again.
    anonymous = client.__class__()
    for path in paths:
        _assert_refused(anonymous.get(prefix + path, HTTP_HOST=host), path, prefix)


def test_public_pages_are_unchanged(client, private):
    """The default page answers as before: public, cacheable, no cookie, no Vary: Cookie."""
    for path in ("/", "/api/v2/summary.json", "/history.atom", "/badge.svg"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response["Cache-Control"].startswith("public"), path
        assert "Cookie" not in response.get("Vary", ""), path
        assert not response.cookies, path
        assert not leaks(response.content), path


def test_a_private_page_s_subscriber_unsubscribes_in_one_click_without_signing_in(client, private):
    """List-Unsubscribe-Post from a mail provider: no session, the token is the credential."""
    from notifications import links
    from notifications.models import Subscriber
    from notifications.services import subscriber_create

    sub = subscriber_create(
        actor=SYSTEM,
        channel="email",
        address="quoll@example.test",
        page=private["page"],
        skip_confirmation=True,
    )
    path = urlsplit(links.unsubscribe_url(sub)).path
    assert gate.SUBSCRIBER_LINK.match(path.removeprefix("/p/secret"))
    response = client.post(path, {"List-Unsubscribe": "One-Click"}, HTTP_HOST=PRIVATE_HOST)
    assert response.status_code in (200, 204), response.status_code
    assert Subscriber.objects.get(pk=sub.pk).state == "unsubscribed"
    assert "private" in response["Cache-Control"]
