"""What a reader of an audience sees: the audience's components and the incidents and
maintenance touching them, on every public surface; one cached render per audience."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from incidents import page_routes, services
from incidents.selectors.audiences import audience_for
from tests.audiences.conftest import sign_in

pytestmark = pytest.mark.django_db


def _routes(site) -> list[str]:
    """Every public route of the page, permalinks and badges of both audiences included."""
    ids = [
        site["alpha_incident"].public_id,
        site["bravo_incident"].public_id,
        site["both"].public_id,
    ]
    windows = [site["alpha_window"].public_id, site["bravo_window"].public_id]
    components = [site["alpha"].public_id, site["bravo"].public_id, site["shared"].public_id]
    return [
        "/",
        "/de/",
        "/index.md",
        "/history",
        "/history.atom",
        "/history.rss",
        "/maintenance.ics",
        "/uptime",
        f"/uptime?component={site['shared'].public_id}",
        "/api/v2/summary.json",
        "/api/v2/status.json",
        "/api/v2/components.json",
        "/api/v2/incidents.json",
        "/api/v2/incidents/unresolved.json",
        "/api/v2/scheduled-maintenances.json",
        "/api/v2/scheduled-maintenances/upcoming.json",
        "/api/v2/scheduled-maintenances/active.json",
        "/embed/state.json",
        "/embed/frame",
        "/embed/status",
        "/badge.svg",
        "/badge.json",
        *(f"/incidents/{i}" for i in ids),
        *(f"/api/v2/incidents/{i}.json" for i in ids),
        *(f"/maintenance/{w}" for w in windows),
        *(f"/badge/{c}.svg" for c in components),
        f"/badge/{site['group'].public_id}.svg",
    ]


def _only_of(site, letter: str) -> list[str]:
    """Strings that belong to one audience's components and incidents only."""
    if letter == "a":
        objs = ("alpha", "alpha_incident", "alpha_window")
        return ["Alpha API", "Alpha outage", "Alpha maintenance", "Alpha cache upgrade"] + [
            site[o].public_id for o in objs
        ]
    objs = ("bravo", "bravo_incident", "bravo_window", "group")
    return [
        "Bravo Billing",
        "Bravo outage",
        "Bravo maintenance",
        "Bravo ledger upgrade",
        "Bravo Group",
        "Bravo invoices",
    ] + [site[o].public_id for o in objs]


@pytest.mark.parametrize("reader", ["a", "b"])
def test_a_reader_never_sees_the_other_audience(audience_site, reader):
    site = audience_site
    client = Client()
    if reader == "a":
        sign_in(client, site["page"].id, "carol@alpha.test")
    else:
        sign_in(client, site["page"].id, "oidc:https://idp.test|42", {"groups": ["x", "bravo"]})
    other = "b" if reader == "a" else "a"
    seen_own = set()
    for path in _routes(site):
        response = client.get(path)
        assert response.status_code in (200, 404), (path, response.status_code)
        # 404s are answered by the error handler: never stored at all.
        assert response["Cache-Control"].startswith(("private", "no-store")), path
        body = response.content.decode()
        for text in _only_of(site, other):
            assert text not in body, (path, text)
        headers = " ".join(str(v) for _k, v in response.items())
        assert not any(text in headers for text in _only_of(site, other)), path
        seen_own.update(t for t in _only_of(site, reader) if t in body)
    # Each reader does see its own things (the sweep is not vacuous).
    assert set(_only_of(site, reader)) <= seen_own
    # The incident of both is there for both, and a permalink of the other's is a 404.
    assert "Sign-in trouble" in client.get("/history").content.decode()
    theirs = site["bravo_incident"] if reader == "a" else site["alpha_incident"]
    assert client.get(f"/incidents/{theirs.public_id}").status_code == 404
    assert client.get(f"/api/v2/incidents/{theirs.public_id}.json").status_code == 404


def test_a_reader_of_no_audience_gets_a_clear_403(audience_site):
    client = Client()
    sign_in(client, audience_site["page"].id, "mallory@elsewhere.test")
    response = client.get("/")
    assert response.status_code == 403
    body = response.content.decode()
    assert "No access" in body
    assert "Alpha" not in body and "Bravo" not in body and "Shared Login" not in body
    assert response["Cache-Control"].startswith("private")
    api = client.get("/api/v2/summary.json")
    assert api.status_code == 403 and api.json() == {
        "error": "You have no access to this status page."
    }


def test_audience_for_reads_every_rule(audience_site, operator):
    page_id = audience_site["page"].id
    services.audience_save(
        actor=operator,
        audience=audience_site["a"],
        emails=["Dave@Example.test"],
        members=["oidc:https://idp.test|7"],
    )
    a, b = audience_site["a"].id, audience_site["b"].id

    def of(identity, claims=None):
        found = audience_for(page_id, {"identity": identity, "claims": claims or {}})
        return found.id if found else None

    assert of("someone@alpha.test") == a  # domain
    assert of("dave@example.test") == a  # listed address
    assert of("oidc:https://idp.test|7") == a  # the admin's list
    assert of("oidc:https://idp.test|8", {"groups": ["bravo"]}) == b  # list claim contains
    assert of("oidc:https://idp.test|8", {"groups": "bravo"}) == b  # string claim equals
    assert of("oidc:https://idp.test|8", {"groups": ["bravos"]}) is None
    assert of("someone@alpha.test.evil") is None  # a domain is the whole domain
    assert of("x@y.test", {"email": "z@alpha.test", "email_verified": False}) is None
    assert of("oidc:i|9", {"email": "z@alpha.test", "email_verified": True}) == a
    assert audience_for(page_id, None) is None


def _render_queries(client) -> int:
    from statuspage import audience_documents, public_cache

    public_cache.local.clear()
    audience_documents.forget()
    from django.core.cache import cache

    cache.clear()
    page_routes.table()  # loaded once after a change of pages (the fixture's), not per render
    with CaptureQueriesContext(connection) as ctx:
        assert client.get("/").status_code == 200
    return len(ctx.captured_queries)


def test_one_render_per_audience_and_queries_independent_of_audiences(
    audience_site, operator, django_assert_num_queries
):
    site = audience_site
    carol, dan = Client(), Client()
    sign_in(carol, site["page"].id, "carol@alpha.test")
    sign_in(dan, site["page"].id, "dan@alpha.test")
    cold = _render_queries(carol)
    # A second reader of the same audience gets the cached render: the session read and the
    # reader gate's read of the page's sign-in settings only.
    with CaptureQueriesContext(connection) as ctx:
        second = dan.get("/")
    assert second.status_code == 200
    assert len(ctx.captured_queries) <= 2, [q["sql"] for q in ctx.captured_queries]
    # The same render, but for each reader's own "signed in as" (and sign-out form).
    bar = re.compile(rb'<form class="reader".*?</form>', re.S)
    assert bar.sub(b"", second.content) == bar.sub(b"", carol.get("/").content)
    # Fifty more audiences, and readers in them: the same cold cost.
    for n in range(50):
        services.audience_save(
            actor=operator,
            page=site["page"],
            name=f"Customer {n}",
            slug=f"c{n}",
            components=[site["shared"]],
            emails=[f"reader{n}@c{n}.test"],
        )
    assert _render_queries(carol) == cold


def test_with_the_database_down_no_public_snapshot_of_the_page_is_served(
    audience_site, operator, settings, tmp_path, monkeypatch, django_capture_on_commit_callbacks
):
    from django.db import DatabaseError

    from incidents.models import Page
    from statuspage import public_cache

    settings.PUBLIC_SNAPSHOT_DIR = tmp_path / "snapshots"
    page = audience_site["page"]
    # While the page was public, its front page was snapshotted.
    with django_capture_on_commit_callbacks(execute=True):
        services.page_update(page.pk, actor=operator, visibility="public")
    assert "Bravo outage" in Client().get("/").content.decode()
    assert "Bravo outage" in Client().get("/history").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        services.page_update(page.pk, actor=operator, visibility="audience")
    # Half a second later (the generation is memoised that long, as for every change).
    public_cache.local.generation.clear()
    reader = Client()
    sign_in(reader, page.id, "carol@alpha.test")
    assert reader.get("/").status_code == 200

    def down(page=None):
        raise DatabaseError("down")

    monkeypatch.setattr(public_cache.decorator, "document_version", down)
    # (A client that never signed in is sent to the sign-in page by the reader gate first.)
    for client, status in ((reader, 503), (Client(), 302)):
        # The front page's snapshot went with its first render for an audience; the history's
        # is still there, and is not served either: the page is known to be an audience's.
        for path in ("/", "/history"):
            response = client.get(path)
            assert response.status_code == status, path
            assert "Bravo" not in response.content.decode()
    # Nor after a restart, which forgets what the page was.
    public_cache.local.clear()
    response = reader.get("/")
    assert response.status_code == 503 and "Bravo" not in response.content.decode()
    assert Page.objects.get(pk=page.pk).visibility == "audience"


def test_readers_of_one_audience_share_its_render_but_not_each_others_name(audience_site):
    """The render is cached once per audience; who is signed in, and the sign-out form's CSRF
    token, are each reader's own."""
    carol, dan = Client(), Client()
    sign_in(carol, audience_site["page"].id, "carol@alpha.test")
    sign_in(dan, audience_site["page"].id, "dan@alpha.test")
    first = carol.get("/").content.decode()
    second = dan.get("/").content.decode()
    assert "carol@alpha.test" in first and "dan@alpha.test" not in first
    assert "dan@alpha.test" in second and "carol@alpha.test" not in second
    assert "<!--reader-bar-->" not in second
    token = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
    assert token.search(first)[1] != token.search(second)[1]
    # Dan signs out with his own form (the shared render's token would be refused).
    checked = Client(enforce_csrf_checks=True)
    sign_in(checked, audience_site["page"].id, "erin@alpha.test")
    form = checked.get("/").content.decode()
    signed_out = checked.post("/readers/sign-out", {"csrfmiddlewaretoken": token.search(form)[1]})
    assert signed_out.status_code == 302
    assert checked.get("/").status_code == 302  # back to the sign-in page
