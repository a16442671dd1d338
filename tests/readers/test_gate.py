"""The gate's edges: a page turned private stops being served from the fast path and the
caches at once; the routes table fails closed; the publisher never publishes a private page;
the refusals' shapes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from incidents import page_routes
from incidents.models import Page
from statuspage import public_fast_path
from statuspage.publish.services import publish_site
from tests.public.test_fast_path import _call, _environ, django_app
from tests.readers.conftest import PRIVATE_HOST, leaks, sign_in

__all__ = ["django_app"]

pytestmark = pytest.mark.django_db


class _Recording:
    """A stand-in for Django behind the fast path: records that it was asked."""

    def __init__(self):
        self.calls = 0

    def __call__(self, environ, start_response):
        self.calls += 1
        start_response("401 Unauthorized", [("Content-Type", "text/plain")])
        return [b"refused"]


def test_a_page_made_private_is_no_longer_served_by_the_fast_path(private, django_app, settings):
    settings.ALLOWED_HOSTS = [PRIVATE_HOST, "127.0.0.1", "testserver"]
    secret = private["page"]
    secret.visibility = "public"
    secret.save()
    environ = _environ("/", HTTP_HOST=PRIVATE_HOST)
    first, body = _call(public_fast_path.fast_path(django_app), dict(environ))
    assert first.status.startswith("200") and leaks(body)
    learned = _Recording()
    again, _ = _call(public_fast_path.fast_path(learned), dict(environ))
    assert again.status.startswith("200") and learned.calls == 0  # the fast path answered

    secret.visibility = "private"
    secret.save()  # no write bumps the generation: the cached copy is still current
    behind = _Recording()
    refused, body = _call(public_fast_path.fast_path(behind), dict(environ))
    assert behind.calls == 1 and body == b"refused"
    refused, body = _call(public_fast_path.fast_path(django_app), dict(environ))
    assert refused.status.startswith("302") and not leaks(body)


def test_a_page_made_private_is_no_longer_served_from_the_cache(client, private):
    secret = private["page"]
    secret.visibility = "public"
    secret.save()
    assert leaks(client.get("/api/v2/summary.json", HTTP_HOST=PRIVATE_HOST).content)
    secret.visibility = "private"
    secret.save()
    response = client.get("/api/v2/summary.json", HTTP_HOST=PRIVATE_HOST)
    assert response.status_code == 401 and not leaks(response.content)
    assert json.loads(response.content) == {
        "error": "Sign-in required: this status page is private."
    }


def test_a_saved_routes_table_without_visibilities_fails_closed(private, settings):
    path = Path(settings.PUBLIC_SNAPSHOT_DIR) / "page-routes.json"
    page_routes.forget()
    page_routes.table()
    saved = json.loads(path.read_text())
    assert saved["visibility"][str(private["page"].pk)] == "private"
    del saved["visibility"]
    path.write_text(json.dumps(saved))
    restored = page_routes._saved()
    assert restored is not None
    assert not restored.route(private["page"].pk).public
    assert not restored.route(restored.default).public  # unknown: private until the database says


def test_the_publisher_publishes_no_private_page(page, private, settings, tmp_path):
    settings.DATA_DIR = tmp_path / "var"
    target = tmp_path / "published"
    settings.PUBLISH_TARGETS = [f"file://{target}"]
    page.visibility = "private"
    page.save()
    report = publish_site(full=True)
    assert report.version.startswith("withdrawn")
    written = [p for p in target.rglob("*") if p.is_file()] if target.exists() else []
    # At most the (empty) manifest that withdraws it: no document of the page.
    assert [p.name for p in written if p.name != ".publish-manifest.json"] == []


def test_html_redirects_to_sign_in_and_back(client, private):
    path = f"/incidents/{private['incident'].public_id}"
    response = client.get(path, {"x": "1"}, HTTP_HOST=PRIVATE_HOST)
    assert response.status_code == 302
    assert (
        response["Location"]
        == "/readers/?next=%2Fincidents%2F" + private["incident"].public_id + "%3Fx%3D1"
    )
    signin = client.get(response["Location"], HTTP_HOST=PRIVATE_HOST)
    assert signin.status_code == 200
    assert b"Zebracorn internal" in signin.content  # the page's name, and nothing else of it
    assert not [s for s in leaks(signin.content) if s != "Zebracorn"]
    assert "no-store" in signin["Cache-Control"]
    response = client.post(
        "/readers/password",
        {"password": "correct horse battery staple", "next": f"{path}?x=1"},
        HTTP_HOST=PRIVATE_HOST,
    )
    assert response["Location"] == f"{path}?x=1"
    assert b"Wombat meltdown" in client.get(path, HTTP_HOST=PRIVATE_HOST).content


def test_next_never_leaves_the_site(client, private):
    response = client.post(
        "/readers/password",
        {"password": "correct horse battery staple", "next": "//evil.test/x"},
        HTTP_HOST=PRIVATE_HOST,
    )
    assert response["Location"] == "/"


def test_sign_out(client, private):
    sign_in(client)
    assert client.get("/", HTTP_HOST=PRIVATE_HOST).status_code == 200
    response = client.post("/readers/sign-out", HTTP_HOST=PRIVATE_HOST)
    assert response.status_code == 302
    assert client.get("/", HTTP_HOST=PRIVATE_HOST).status_code == 302


def test_the_signed_in_page_offers_sign_out(client, private):
    sign_in(client)
    body = client.get("/", HTTP_HOST=PRIVATE_HOST).content
    assert b'action="/readers/sign-out"' in body


def test_a_sign_in_on_one_page_is_not_one_on_another(client, private, operator):
    from statuspage.readers import services as reader_services

    other = Page.objects.create(
        name="Other private", slug="other", time_zone="Etc/UTC", visibility="private"
    )
    reader_services.settings_save(
        page=other, actor=operator, password="another one", magic_link_allowed="", ip_allowlist=""
    )
    sign_in(client)
    assert client.get("/p/other/").status_code == 302
    assert client.get("/", HTTP_HOST=PRIVATE_HOST).status_code == 200
