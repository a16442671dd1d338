"""The read path (statuspage/public_cache/): ETag/304 without rendering, freshness after a
write, no cookies even for a logged-in visitor, last good snapshot when the database is down."""

from __future__ import annotations

import socket
import time
from unittest import mock

import pytest
from django.db import OperationalError, connection, connections

from incidents import services
from statuspage import public_cache
from statuspage.public import views


def test_second_request_renders_nothing_and_304s(client, site, django_assert_max_num_queries):
    first = client.get("/")
    etag = first["ETag"]
    assert etag.startswith('"') and len(etag) > 10
    with mock.patch.object(views, "render", wraps=views.render) as render:
        # At most the one-row generation read, which is cached for a second: on a loaded
        # machine more than a second can pass between the two requests. A render is ~13.
        with django_assert_max_num_queries(1):
            again = client.get("/", HTTP_IF_NONE_MATCH=etag)
        assert again.status_code == 304
        assert again.content == b""
        assert again["ETag"] == etag
        render.assert_not_called()


def test_changed_etag_gets_full_body(client, site):
    response = client.get("/", HTTP_IF_NONE_MATCH='"something-else"')
    assert response.status_code == 200 and response.content


def test_cache_control_for_shared_caches(client, site, settings):
    settings.PUBLIC_MAX_AGE = 7
    cc = client.get("/")["Cache-Control"]
    for part in ("public", "max-age=7", "s-maxage=7", "stale-while-revalidate=", "stale-if-error="):
        assert part in cc


def test_a_write_is_visible_within_a_second(
    client, site, operator, django_capture_on_commit_callbacks
):
    assert "Database melted" not in client.get("/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        services.incident_create(name="Database melted", body="Looking.", actor=operator)
    time.sleep(public_cache.GENERATION_MEMO_SECONDS + 0.1)
    assert "Database melted" in client.get("/").content.decode()


def test_unrelated_query_params_do_not_bypass_the_cache(client, site, django_assert_num_queries):
    client.get("/")
    with django_assert_num_queries(0):
        assert client.get("/?nocache=123").status_code == 200


def test_no_cookie_for_a_logged_in_session(client, site, settings, django_user_model):
    # Saving the session on every request makes the session middleware set a cookie on every
    # response: the public response must still carry none.
    settings.SESSION_SAVE_EVERY_REQUEST = True
    user = django_user_model.objects.create_user("op", password="x-long-password-1")
    client.force_login(user)
    client.get("/admin/")  # a normal page does get its cookies
    response = client.get("/")
    assert response.status_code == 200
    assert not response.cookies
    assert "Cookie" not in response.get("Vary", "")
    assert "Set-Cookie" not in str(response.serialize_headers())


def _render_then_break_database(client, monkeypatch):
    fresh = client.get("/")
    assert fresh.status_code == 200
    public_cache.local.clear()
    from django.core.cache import cache

    cache.clear()
    return fresh


def test_snapshot_served_when_database_raises(client, site, monkeypatch):
    fresh = _render_then_break_database(client, monkeypatch)

    def refuse(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(connections["default"], "ensure_connection", refuse)
    stale = client.get("/")
    monkeypatch.undo()
    assert stale.status_code == 200
    assert stale["X-Statuspage-Stale"] == "1"
    assert "Live status is temporarily unavailable" in stale.content.decode()
    assert "API errors" in stale.content.decode()
    assert stale["ETag"] == fresh["ETag"]


def test_no_snapshot_and_no_database_is_503(client, page, monkeypatch):
    def refuse(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(connections["default"], "ensure_connection", refuse)
    response = client.get("/history")
    monkeypatch.undo()
    assert response.status_code == 503
    assert response["Retry-After"]


@pytest.mark.django_db(transaction=True)
def test_snapshot_served_when_postgres_port_is_closed(client, monkeypatch):
    """The real failure: the database server is not listening."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL); SQLite has no server to lose")
    from incidents.models import Page

    # Transactional tests flush tables: bring back the row the data migration creates.
    if not Page.objects.exists():
        Page.objects.create(name="Status", url="http://127.0.0.1:8000", time_zone="Etc/UTC")
    assert client.get("/").status_code == 200
    public_cache.local.clear()
    from django.core.cache import cache

    cache.clear()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    connection.close()
    monkeypatch.setitem(connection.settings_dict, "HOST", "127.0.0.1")
    monkeypatch.setitem(connection.settings_dict, "PORT", str(closed_port))
    try:
        stale = client.get("/")
    finally:
        monkeypatch.undo()
        connection.close()
    assert stale.status_code == 200
    assert stale["X-Statuspage-Stale"] == "1"


def test_gzip_when_accepted_with_its_own_etag(client, site):
    import gzip

    plain = client.get("/")
    packed = client.get("/", HTTP_ACCEPT_ENCODING="br, gzip")
    assert packed["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed.content) == plain.content
    assert len(packed.content) < len(plain.content) / 5
    assert packed["ETag"] != plain["ETag"]
    # No Accept and no User-Agent: the program's name chose the form of `/` (negotiation.py).
    # The HTML page's language follows the reader's (statuspage/public/language.py).
    assert packed["Vary"] == plain["Vary"] == "Accept-Encoding, Accept, User-Agent, Accept-Language"
    assert (
        client.get("/", HTTP_ACCEPT_ENCODING="gzip", HTTP_IF_NONE_MATCH=packed["ETag"]).status_code
        == 304
    )


@pytest.mark.parametrize("header", ["", "identity", "gzip;q=0", "br", "gzip; q=0.000"])
def test_no_gzip_unless_accepted(client, site, header):
    response = client.get("/", HTTP_ACCEPT_ENCODING=header)
    assert not response.has_header("Content-Encoding")
    assert b"<html" in response.content


def test_extra_vary_header_keeps_accept_encoding(rf, page):
    from django.http import HttpResponse

    from statuspage.public_cache import public_document

    @public_document(headers={"Vary": "Origin", "Access-Control-Allow-Origin": "*"})
    def view(request):
        return HttpResponse(b"x" * 5000, content_type="application/json")

    response = view(rf.get("/doc.json"))
    assert response["Vary"] == "Accept-Encoding, Origin"
    assert response["Access-Control-Allow-Origin"] == "*"


def test_concurrent_misses_render_once(rf, page, monkeypatch):
    import threading

    # The threads must not open database connections of their own.
    monkeypatch.setattr(
        public_cache.decorator, "document_version", lambda page=None: "1.2026-11-18"
    )

    from django.http import HttpResponse

    from statuspage.public_cache import public_document

    renders = []
    gate = threading.Event()

    @public_document()
    def view(request):
        renders.append(1)
        gate.wait(2)
        return HttpResponse(b"body", content_type="text/plain")

    statuses = []

    def read():
        statuses.append(view(rf.get("/single-flight")).status_code)

    threads = [threading.Thread(target=read) for _ in range(8)]
    for t in threads:
        t.start()
    gate.set()
    for t in threads:
        t.join()
    assert statuses == [200] * 8
    assert len(renders) == 1


def test_unknown_documents_are_not_remembered_as_routes(client, page):
    assert client.get("/incidents/aaaaaaaaaaaa").status_code == 404
    assert "/incidents/aaaaaaaaaaaa" not in public_cache.routes


def test_while_a_new_version_renders_other_readers_get_the_copy_it_replaces(rf, monkeypatch):
    import threading

    from django.http import HttpResponse

    from statuspage.public_cache import REPLACED_CACHE_CONTROL, public_document

    version = ["1.2026-11-18"]
    # The threads must not open database connections of their own.
    monkeypatch.setattr(public_cache.decorator, "document_version", lambda page=None: version[0])
    bodies = iter([b"first", b"second", b"third"])
    rendering, gate = threading.Event(), threading.Event()

    @public_document()
    def view(request):
        body = next(bodies)
        if body == b"second":
            rendering.set()
            gate.wait(5)
        return HttpResponse(body, content_type="text/plain")

    assert view(rf.get("/replaced")).content == b"first"
    version[0] = "2.2026-11-18"  # a change
    rendered = []
    renderer = threading.Thread(target=lambda: rendered.append(view(rf.get("/replaced"))))
    renderer.start()
    try:
        assert rendering.wait(5)
        meanwhile = view(rf.get("/replaced"))  # no waiting for the render in flight
    finally:
        gate.set()
        renderer.join()
    assert meanwhile.status_code == 200 and meanwhile.content == b"first"
    assert meanwhile["Cache-Control"] == REPLACED_CACHE_CONTROL
    assert rendered[0].content == b"second" and "max-age=0" not in rendered[0]["Cache-Control"]
    assert view(rf.get("/replaced")).content == b"second"
    # With no render in flight, a reader of a new version renders it: no old copy.
    version[0] = "3.2026-11-18"
    latest = view(rf.get("/replaced"))
    assert latest.content == b"third" and latest["Cache-Control"] != REPLACED_CACHE_CONTROL


def test_a_publish_render_waits_for_the_new_version_never_takes_the_copy_it_replaces(
    rf, monkeypatch
):
    """A publish writes what it renders to every target: the copy being replaced would stay
    there until the next change."""
    import threading

    from django.http import HttpResponse

    from statuspage import metrics
    from statuspage.public_cache import public_document

    version = ["1.2026-11-18"]
    monkeypatch.setattr(public_cache.decorator, "document_version", lambda page=None: version[0])
    bodies = iter([b"first", b"second"])
    rendering, gate = threading.Event(), threading.Event()

    @public_document()
    def view(request):
        body = next(bodies)
        if body == b"second":
            rendering.set()
            gate.wait(5)
        return HttpResponse(body, content_type="text/plain")

    assert view(rf.get("/published")).content == b"first"
    version[0] = "2.2026-11-18"
    rendered = []
    renderer = threading.Thread(target=lambda: rendered.append(view(rf.get("/published"))))
    renderer.start()
    published = []
    publisher = threading.Thread(
        target=lambda: published.append(
            view(rf.get("/published", **{metrics.RENDER_ONLY: True}))  # type: ignore[arg-type]
        )
    )
    try:
        assert rendering.wait(5)
        publisher.start()
        publisher.join(0.5)
        assert publisher.is_alive()  # waiting for the render in flight, not answered the old copy
    finally:
        gate.set()
        renderer.join()
        publisher.join(5)
    assert rendered[0].content == b"second"
    assert published[0].content == b"second"
