"""Only public documents leave the origin: a page that is not public is never published."""

from __future__ import annotations

from django.db.models import F
from django.http import HttpResponse

from incidents.models import Page
from statuspage.public_cache import mark_public, one_off
from statuspage.publish.render import publishable
from statuspage.publish.services import publish_site


def test_a_page_whose_front_page_is_not_public_is_not_published_and_is_withdrawn(
    site, directory, bucket, settings
):
    first = publish_site(targets=[directory, bucket])
    assert first.documents > 0

    # The page turns private: a write (which bumps the generation), after which its front
    # page answers as a private document.
    settings.ROOT_URLCONF = "tests.publish.private_urls"
    Page.objects.update(generation=F("generation") + 1)
    report = publish_site(targets=[directory, bucket])

    assert report.documents == 0
    assert directory.read_manifest().objects == {}
    assert bucket.read_manifest().objects == {}
    for outcome in report.outcomes:
        assert set(outcome.deleted) == set(first.paths)
    assert [p for p in directory.current.rglob("*") if p.is_file()] == [
        directory.current / ".publish-manifest.json"
    ]


def _public(body: bytes = b"x", **headers: str) -> HttpResponse:
    response = mark_public(HttpResponse(body))
    response["Cache-Control"] = "public, max-age=5"
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def test_only_cookie_free_shared_public_documents_are_publishable():
    assert publishable(_public(), "/")
    assert not publishable(HttpResponse(b"x", headers={"Cache-Control": "public"}), "/")
    assert not publishable(_public(Cache_Control="private, max-age=5"), "/")
    assert not publishable(_public(Cache_Control="public, no-store"), "/")
    assert not publishable(_public(Vary="Accept-Encoding, Cookie"), "/")
    with_cookie = _public()
    with_cookie.set_cookie("sessionid", "1")
    assert not publishable(with_cookie, "/")
    assert not publishable(one_off(_public()), "/history")
    not_found = _public()
    not_found.status_code = 404
    assert not publishable(not_found, "/")
    # Static files are WhiteNoise's, not the read path's: public by their path and headers.
    static = HttpResponse(b"body{}", headers={"Cache-Control": "max-age=60, public"})
    assert publishable(static, "/static/public/status.css")
    assert not publishable(static, "/elsewhere.css")
