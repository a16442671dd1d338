"""Every published object, read back from each target, is what the origin serves."""

from __future__ import annotations

import gzip

from statuspage.publish.services import publish_site
from statuspage.publish.targets import MANIFEST, Manifest
from tests.publish.conftest import http_get, object_url

HOST = "127.0.0.1:8000"  # the page's public URL (tests/conftest.py `page`)


def origin(client, path: str, query: str):
    """The origin's answer to a reader: (response, body). /favicon.ico's redirect is followed,
    as a browser does; the response then carries the redirect's own Cache-Control (what the
    published copy under the redirect's name is cached by)."""
    response = client.get(path, QUERY_STRING=query, HTTP_HOST=HOST)
    cache_control = response.get("Cache-Control")
    if response.status_code in (301, 308):
        path, _, query = response["Location"].partition("?")
        response = client.get(path, QUERY_STRING=query, HTTP_HOST=HOST)
        response["Cache-Control"] = cache_control
    assert response.status_code == 200, (path, query)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return response, body


def test_directory_holds_the_origins_bytes_for_every_document(site, directory, client):
    report = publish_site(targets=[directory])

    assert report.documents >= 40
    manifest = directory.read_manifest()
    assert manifest is not None and manifest.generation == report.generation
    documents = report.outcomes[0].written
    assert sorted(documents) == sorted(manifest.objects)
    root = directory.current
    for key in manifest.objects:
        path, query = report.paths[key].partition("?")[::2]
        response, body = origin(client, path, query)
        assert (root / key).read_bytes() == body, key
        gz = root / (key + ".gz")
        if len(body) >= 1024 and response["Content-Type"].startswith(("text/", "application/")):
            assert gzip.decompress(gz.read_bytes()) == body, key
    # What a reader needs is there, under the origin's paths.
    for key in (
        "index.html",
        "history/index.html",
        "uptime/index.html",
        "history.atom",
        "history.rss",
        "maintenance.ics",
        "api/v2/summary.json",
        "api/v2/incidents/unresolved.json",
        "api/v2/scheduled-maintenances/upcoming.json",
        f"incidents/{site['open'].public_id}/index.html",
        f"maintenance/{site['maintenance'].public_id}/index.html",
        f"api/v2/incidents/{site['resolved'].public_id}.json",
        f"badge/{site['api'].public_id}.svg",
        f"badge/{site['group'].public_id}.svg",
        "badge.svg",
        "badge.json",
        "embed/script.js",
        "embed/state.json",
        "embed/status/index@theme=dark.html",
        f"embed/frame/index@id={site['open'].public_id}.html",
        "favicon.ico",
        "static/public/status.css",
    ):
        assert key in manifest.objects, key
    # The translated pages are published; the forms they link to are not documents, with a
    # language prefix (/de/subscribe) or without.
    assert "de/history/index.html" in manifest.objects
    forms = [key for key in manifest.objects if "subscribe" in key]
    assert forms == []


def test_s3_objects_read_over_http_match_the_origin(site, bucket, s3_server, client):
    report = publish_site(targets=[bucket])

    assert not report.errors
    status, _, raw = http_get(object_url(s3_server, bucket, MANIFEST))
    manifest = Manifest.loads(raw)
    assert status == 200 and manifest is not None
    assert manifest.generation == report.generation
    assert len(manifest.objects) == report.documents
    for key in manifest.objects:
        path, query = report.paths[key].partition("?")[::2]
        response, body = origin(client, path, query)
        status, headers, published = http_get(object_url(s3_server, bucket, key))
        assert status == 200, key
        assert published == body, key
        assert headers["content-type"] == response["Content-Type"], key
        assert headers["cache-control"] == response["Cache-Control"], key
    cache_control = http_get(object_url(s3_server, bucket, "index.html"))[1]["cache-control"]
    assert "max-age=" in cache_control
    assert "stale-while-revalidate=" in cache_control
    assert "stale-if-error=" in cache_control
