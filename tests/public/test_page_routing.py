"""A public request is served for the page its host or its /p/<slug>/ prefix names, else for
the default page; never for another page's content (statuspage/page_routing.py)."""

from __future__ import annotations

import json
import random

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incidents import page_routes, services
from incidents.models import Page, PageHost
from statuspage import public_cache, public_fast_path
from tests.public.conftest import reset_read_path
from tests.public.test_fast_path import _call, _django_must_not_run, _environ, django_app

__all__ = ["django_app"]  # the fixture, used by the fast-path tests below

A_HOST, B_HOST = "status.a.test", "status.b.test"


def _page_objects(page, operator, tag: str) -> dict:
    component = services.component_create(name=f"{tag} component", actor=operator, page=page)
    incident = services.incident_create(
        name=f"{tag} outage",
        body=f"{tag} is down.",
        actor=operator,
        component_statuses={component: "major_outage"},
    )
    return {"component": component, "incident": incident}


@pytest.fixture
def pages(page, operator, settings):
    """The default page A on its host, page B on its own host, page C by its slug only."""
    settings.ALLOWED_HOSTS = [A_HOST, B_HOST, "testserver"]
    b = Page.objects.create(name="Bee", slug="bee", time_zone="Etc/UTC")
    c = Page.objects.create(name="Cee", slug="cee", time_zone="Etc/UTC")
    PageHost.objects.create(page=page, host=A_HOST)
    PageHost.objects.create(page=b, host=B_HOST)
    objects = {
        "a": _page_objects(page, operator, "Alpha"),
        "b": _page_objects(b, operator, "Beta"),
        "c": _page_objects(c, operator, "Gamma"),
    }
    reset_read_path()
    return {"a": page, "b": b, "c": c, "objects": objects}


TAGS = {"a": b"Alpha", "b": b"Beta", "c": b"Gamma"}


def _only(body: bytes, key: str) -> None:
    """`body` shows the page `key`'s objects and no other page's."""
    assert TAGS[key] in body
    for other, tag in TAGS.items():
        if other != key:
            assert tag not in body, other


def _get(client, path: str, host: str = "testserver", **extra):
    return client.get(path, HTTP_HOST=host, **extra)


@pytest.mark.parametrize(
    "path",
    ["/", "/history", "/uptime", "/index.md", "/history.atom", "/history.rss",
     "/api/v2/summary.json", "/api/v2/incidents.json", "/api/v2/incidents/unresolved.json",
     "/api/v2/components.json", "/embed/state.json"],
)  # fmt: skip
def test_each_route_serves_its_own_page(client, pages, path):
    for key, host, prefix in (("a", A_HOST, ""), ("b", B_HOST, ""), ("c", "testserver", "/p/cee")):
        response = _get(client, prefix + path, host)
        assert response.status_code == 200, (key, path)
        _only(response.content, key)
    # The default page's own host and any other host the install answers for: page A.
    _only(_get(client, path).content, "a")


def test_json_names_the_page_and_links_to_it(client, pages):
    summary = json.loads(_get(client, "/p/cee/api/v2/summary.json").content)
    assert summary["page"]["name"] == "Cee"
    assert summary["page"]["url"] == "http://testserver/p/cee"
    [incident] = summary["incidents"]
    assert incident["shortlink"] == f"http://testserver/p/cee/incidents/{incident['id']}"
    on_b = json.loads(_get(client, "/api/v2/summary.json", B_HOST).content)
    assert on_b["page"]["name"] == "Bee"


def test_permalinks_of_another_page_are_not_found(client, pages):
    b_incident = pages["objects"]["b"]["incident"].public_id
    assert _get(client, f"/incidents/{b_incident}", B_HOST).status_code == 200
    assert _get(client, f"/incidents/{b_incident}", A_HOST).status_code == 404
    assert _get(client, f"/incidents/{b_incident}").status_code == 404
    assert _get(client, f"/p/cee/incidents/{b_incident}").status_code == 404
    assert _get(client, f"/api/v2/incidents/{b_incident}.json", A_HOST).status_code == 404
    component = pages["objects"]["b"]["component"].public_id
    assert _get(client, f"/badge/{component}.svg", B_HOST).status_code == 200
    assert _get(client, f"/badge/{component}.svg", A_HOST).status_code == 404


def test_links_under_a_prefix_carry_it(client, pages):
    body = _get(client, "/p/cee/").content.decode()
    assert 'href="/p/cee/history"' in body
    assert 'href="/p/cee/uptime"' in body
    assert 'href="/p/cee/history.atom"' in body
    incident = pages["objects"]["c"]["incident"].public_id
    assert f'href="/p/cee/incidents/{incident}"' in body
    feed = _get(client, "/p/cee/history.atom").content.decode()
    assert f"http://testserver/p/cee/incidents/{incident}" in feed
    markdown = _get(client, "/p/cee/index.md").content.decode()
    assert "(http://testserver/p/cee/history)" in markdown
    # Links on the pages served at the root stay unprefixed.
    assert 'href="/history"' in _get(client, "/", B_HOST).content.decode()


def test_language_prefix_follows_the_page_prefix(client, pages, settings):
    settings.PUBLIC_LANGUAGES = ["en", "de"]
    response = _get(client, "/p/cee/de/history")
    assert response.status_code == 200
    body = response.content.decode()
    assert '<html lang="de"' in body
    _only(response.content, "c")
    # Links keep both: the page's prefix, then the language.
    assert 'href="/p/cee/de/uptime"' in body
    # The switcher's links too.
    assert 'href="/p/cee/history"' in body
    front = _get(client, "/p/cee/de/")
    assert front.status_code == 200 and '<html lang="de"' in front.content.decode()
    assert _get(client, "/p/cee/de").status_code == 301
    # The feeds in that language: this page's entries, linked with both prefixes.
    assert 'href="/p/cee/de/history.atom"' in body
    feed = _get(client, "/p/cee/de/history.atom")
    assert feed.status_code == 200 and 'xml:lang="de"' in feed.content.decode()
    _only(feed.content, "c")
    incident = pages["objects"]["c"]["incident"].public_id
    assert f"http://testserver/p/cee/de/incidents/{incident}" in feed.content.decode()


def test_prefix_answers(client, pages):
    redirect = _get(client, "/p/cee")
    assert redirect.status_code == 301 and redirect["Location"] == "/p/cee/"
    assert _get(client, "/p/nope/").status_code == 404
    missing = _get(client, "/p/nope/api/v2/summary.json")
    assert missing.status_code == 404 and missing["Content-Type"].startswith("application/json")
    # The operators' surfaces and the machines' endpoints are not a page's.
    for path in (
        "/p/cee/dashboard/",
        "/p/cee/api/v1/components",
        "/p/cee/healthz",
        "/p/cee/admin/",
    ):
        assert _get(client, path).status_code == 404, path
    # An address the page does not have: the error page leads back to that page.
    assert 'href="/p/cee/"' in _get(client, "/p/cee/no-such-page").content.decode()
    # A page's own host serves that page only: no other page through a prefix.
    assert _get(client, "/p/cee/", B_HOST).status_code == 404


def _forged_hosts() -> list[tuple[str, str | None]]:
    """(Host header, the page it must serve: None for a refusal)."""
    rng = random.Random(18)
    named = [
        ("STATUS.B.TEST", "b"), ("Status.B.Test:8443", "b"), ("status.b.test:80", "b"),
        ("status.b.test.", "b"), ("status.a.test", "a"), ("STATUS.A.TEST:1", "a"),
        ("testserver", "a"), ("b.test", None), ("evil.status.b.test", None),
        ("status.b.test.evil", None), ("status.b.test@evil", None), ("status-b.test", None),
        ("", None), ("[::1]", None), ("status.b.test:abc", None), ("unknown.test", None),
    ]  # fmt: skip
    mixed = []
    for _ in range(50 - len(named)):
        host = "".join(c.upper() if rng.random() < 0.5 else c for c in B_HOST)
        port = rng.choice(["", ":8080", ":443"])
        mixed.append((host + port, "b"))
    return named + mixed


def test_forged_and_unknown_hosts_never_get_another_page(client, pages, settings):
    for allowed in ([A_HOST, B_HOST, "testserver"], ["*"]):
        settings.ALLOWED_HOSTS = allowed
        reset_read_path()
        default_before = _get(client, "/").content
        for host, expected in _forged_hosts():
            response = _get(client, "/", host)
            if expected is None and allowed != ["*"] or response.status_code == 400:
                assert response.status_code == 400, host
                assert b"Beta" not in response.content and b"Alpha" not in response.content
                continue
            assert response.status_code == 200, host
            # Anything that is not exactly page B's host is the default page at most.
            _only(response.content, expected or "a")
        # Page B's documents were cached in between: the default host still gets its own.
        assert _get(client, "/").content == default_before


def test_a_page_b_request_does_not_poison_the_shared_cache(client, pages):
    b_body = _get(client, "/", B_HOST).content
    a_body = _get(client, "/").content
    assert b_body != a_body
    _only(a_body, "a")
    # Another process: only the shared cache is left. Each host still gets its own.
    public_cache.local.clear()
    assert _get(client, "/").content == a_body
    assert _get(client, "/", B_HOST).content == b_body


def test_fast_path_serves_each_host_its_own_page(pages, django_app, settings):
    settings.ALLOWED_HOSTS = [A_HOST, B_HOST, "127.0.0.1"]
    app = public_fast_path.fast_path(django_app)
    _, b_body = _call(app, _environ("/", HTTP_HOST=B_HOST))
    _, a_body = _call(app, _environ("/"))
    _only(b_body, "b")
    _only(a_body, "a")
    fast = public_fast_path.fast_path(_django_must_not_run)
    assert _call(fast, _environ("/", HTTP_HOST="STATUS.B.TEST:8080"))[1] == b_body
    assert _call(fast, _environ("/"))[1] == a_body
    assert _call(fast, _environ("/", HTTP_HOST=A_HOST))[1] == a_body
    # Not a host the install answers for: Django answers (400), the fast path never does.
    recorder, _ = _call(app, _environ("/", HTTP_HOST="evil.test"))
    assert recorder.status.startswith("400")
    with pytest.raises(AssertionError, match="Django was called"):
        _call(fast, _environ("/", HTTP_HOST="evil.test"))
    # A prefix is a page of its own on the fast path too; an unknown one goes to Django.
    _, c_body = _call(app, _environ("/p/cee/"))
    _only(c_body, "c")
    assert _call(fast, _environ("/p/cee/"))[1] == c_body
    with pytest.raises(AssertionError, match="Django was called"):
        _call(fast, _environ("/p/nope/"))


def _cached_read_queries(client, host: str) -> int:
    _get(client, "/", host)
    with CaptureQueriesContext(connection) as ctx:
        assert _get(client, "/", host).status_code == 200
    return len(ctx.captured_queries)


def test_cached_read_costs_no_more_with_more_pages(client, pages, operator):
    few = _cached_read_queries(client, B_HOST)
    for n in range(100 - Page.objects.count()):  # up to 100 pages, each with a host
        other = Page.objects.create(name=f"P{n}", slug=f"p{n}", time_zone="Etc/UTC")
        PageHost.objects.create(page=other, host=f"p{n}.test")
    reset_read_path()
    assert _cached_read_queries(client, B_HOST) == few
    # At most the one-row generation read (memoised for half a second).
    assert few <= 1


def test_a_new_host_takes_effect_at_once_in_the_writing_process(client, pages, settings):
    settings.ALLOWED_HOSTS = ["*"]
    _only(_get(client, "/", "new.test").content, "a")
    PageHost.objects.create(page=pages["b"], host="new.test")
    _only(_get(client, "/", "new.test").content, "b")
    PageHost.objects.filter(host="new.test").delete()
    _only(_get(client, "/", "new.test").content, "a")


def test_other_processes_reload_when_the_shared_version_changes(pages, monkeypatch):
    held = page_routes.table()
    assert page_routes.table() is held  # no reload while nothing changed
    monkeypatch.setattr(page_routes, "CHECK_SECONDS", 0.0)
    # Another process's write: the rows change here without this process's signals.
    PageHost.objects.filter(host=B_HOST).update(host="moved.test")
    assert page_routes.table().hosts.get(B_HOST) == pages["b"].id  # not yet announced
    cache.set(page_routes.VERSION_CACHE_KEY, "announced-elsewhere")
    assert page_routes.table().hosts.get("moved.test") == pages["b"].id


def test_a_committed_change_announces_a_new_version(pages, django_capture_on_commit_callbacks):
    page_routes.table()
    before = cache.get(page_routes.VERSION_CACHE_KEY)
    with django_capture_on_commit_callbacks(execute=True):
        PageHost.objects.create(page=pages["c"], host="c.test")
    assert cache.get(page_routes.VERSION_CACHE_KEY) not in (None, before)


def test_saving_a_page_keeps_its_routes_unless_its_slug_changes(pages):
    held = page_routes.table()
    pages["b"].name = "Bee renamed"
    pages["b"].save()
    assert page_routes.table() is held  # a settings change: no reload
    pages["b"].slug = "bee2"
    pages["b"].save()
    assert page_routes.table().slugs.get("bee2") == pages["b"].id


def test_a_process_started_while_the_database_is_down_uses_the_saved_routes(pages, monkeypatch):
    from django.db import OperationalError

    loaded = page_routes.table()  # saved beside the snapshots as it is loaded
    page_routes.forget()

    def database_down():
        raise OperationalError("connection refused")

    monkeypatch.setattr(page_routes, "_load", database_down)
    saved = page_routes.table()
    assert saved.hosts == loaded.hosts and saved.slugs == loaded.slugs
    assert saved.default == pages["a"].id
    # Nothing saved and nothing loaded: no page is guessed.
    page_routes.forget()
    (page_routes.settings.PUBLIC_SNAPSHOT_DIR / "page-routes.json").unlink()
    with pytest.raises(OperationalError):
        page_routes.table()


def test_both_halves_of_a_document_key_name_the_page(pages):
    # Either alone keeps two pages' documents apart (snapshots and learned headers use the
    # key without its version); both are checked.
    def key(page_id):
        return public_cache.document_key("/", (), lambda _p, default: default, page=page_id)

    assert key(pages["a"].id) != key(pages["b"].id)
    assert public_cache.document_version(pages["a"].id) != public_cache.document_version(
        pages["b"].id
    )


def test_a_remembered_resolution_follows_the_routes_table(pages, monkeypatch):
    """resolve() remembers each (host, path) for the fast path, but only while the routes
    table it came from is the current one: another process's move of a host shows here as
    soon as the table does."""
    from statuspage import page_routing

    assert page_routing.resolve(B_HOST, "/").route.id == pages["b"].id
    assert page_routing.resolve(B_HOST, "/") is page_routing.resolve(B_HOST, "/")  # remembered
    monkeypatch.setattr(page_routes, "CHECK_SECONDS", 0.0)
    PageHost.objects.filter(host=B_HOST).update(page=pages["c"])
    cache.set(page_routes.VERSION_CACHE_KEY, "announced-elsewhere")
    assert page_routing.resolve(B_HOST, "/").route.id == pages["c"].id


def test_a_remembered_resolution_follows_the_allowed_hosts(pages, settings):
    from statuspage import page_routing

    assert page_routing.resolve("other.test", "/").route is None  # not a host we answer for
    settings.ALLOWED_HOSTS = ["*"]
    assert page_routing.resolve("other.test", "/").route.id == pages["a"].id
    settings.ALLOWED_HOSTS = [A_HOST]
    assert page_routing.resolve("other.test", "/").route is None


def test_remembered_resolutions_are_bounded(pages, settings):
    from statuspage import page_routing

    settings.ALLOWED_HOSTS = ["*"]
    for n in range(page_routing.RESOLVED_MEMO_SIZE + 50):
        page_routing.resolve(f"h{n}.test", "/")
    assert len(page_routing._resolved) <= page_routing.RESOLVED_MEMO_SIZE
