"""The WSGI fast path replays a cached public document byte for byte, headers included, and
hands everything it cannot answer to Django."""

from __future__ import annotations

import io

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections

from incidents import services
from statuspage import public_cache, public_fast_path


def _environ(path: str, query: str = "", **extra) -> dict:
    return {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SCRIPT_NAME": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "HTTP_HOST": "127.0.0.1",
        "wsgi.input": io.BytesIO(),
        "wsgi.url_scheme": "http",
        **extra,
    }


class Recorder:
    def __init__(self):
        self.status = None
        self.headers = None

    def __call__(self, status, headers, exc_info=None):
        self.status, self.headers = status, dict(headers)


def _django_must_not_run(environ, start_response):
    raise AssertionError("Django was called")


def _call(app, environ):
    recorder = Recorder()
    body = b"".join(app(environ, recorder))
    return recorder, body


@pytest.fixture
def django_app():
    # As django.test.Client does: a finished request must not close the test's connection.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield WSGIHandler()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def test_second_read_is_served_without_django(site, django_app, django_assert_num_queries):
    first, body = _call(public_fast_path.fast_path(django_app), _environ("/"))
    assert first.status.startswith("200")
    with django_assert_num_queries(0):
        again, same = _call(public_fast_path.fast_path(_django_must_not_run), _environ("/"))
    assert again.status == "200 OK"
    assert same == body
    for name in ("ETag", "Cache-Control", "Content-Type", "X-Content-Type-Options"):
        assert again.headers[name] == first.headers[name], name
    assert "Set-Cookie" not in again.headers


def test_if_none_match_gets_304(site, django_app):
    first, _ = _call(public_fast_path.fast_path(django_app), _environ("/"))
    environ = _environ("/", HTTP_IF_NONE_MATCH=first.headers["ETag"])
    again, body = _call(public_fast_path.fast_path(_django_must_not_run), environ)
    assert again.status.startswith("304") and body == b""
    assert "Cache-Control" in again.headers


def test_query_params_key_the_document(site, django_app, operator):
    start = site["open"].started_at
    services.incident_create(name="Ancient", body="x", actor=operator, at=start, backfilled=True)
    app = public_fast_path.fast_path(django_app)
    _call(app, _environ("/history", "page=1"))
    # Page 2 was never rendered: it must reach Django, not get page 1's bytes.
    calls = []

    def spy(environ, start_response):
        calls.append(environ["QUERY_STRING"])
        return django_app(environ, start_response)

    _call(public_fast_path.fast_path(spy), _environ("/history", "page=2"))
    assert calls == ["page=2"]
    _, body = _call(
        public_fast_path.fast_path(_django_must_not_run), _environ("/history", "x=1&page=1")
    )
    assert b"history" in body


def test_a_new_generation_goes_to_django(
    site, django_app, operator, django_capture_on_commit_callbacks
):
    _call(public_fast_path.fast_path(django_app), _environ("/"))
    with django_capture_on_commit_callbacks(execute=True):
        services.incident_create(name="Fresh news", body="x", actor=operator)
    public_cache.local.generation.clear()  # as after GENERATION_MEMO_SECONDS
    recorder, body = _call(public_fast_path.fast_path(django_app), _environ("/"))
    assert b"Fresh news" in body


def test_other_methods_and_paths_go_to_django(site, django_app):
    _call(public_fast_path.fast_path(django_app), _environ("/"))
    seen = []

    def spy(environ, start_response):
        seen.append((environ["REQUEST_METHOD"], environ["PATH_INFO"]))
        start_response("204 No Content", [])
        return [b""]

    app = public_fast_path.fast_path(spy)
    _call(app, _environ("/", REQUEST_METHOD="POST"))
    _call(app, _environ("/admin/"))
    assert seen == [("POST", "/"), ("GET", "/admin/")]


def test_gzip_variant_on_the_fast_path(site, django_app):
    import gzip

    first, plain = _call(public_fast_path.fast_path(django_app), _environ("/"))
    again, packed = _call(
        public_fast_path.fast_path(_django_must_not_run), _environ("/", HTTP_ACCEPT_ENCODING="gzip")
    )
    assert again.headers["Content-Encoding"] == "gzip"
    # No Accept and no User-Agent: the program's name chose the form of `/` (negotiation.py),
    # and the reader's languages its language.
    assert again.headers["Vary"] == "Accept-Encoding, Accept, User-Agent, Accept-Language"
    assert gzip.decompress(packed) == plain
    assert again.headers["Content-Length"] == str(len(packed))


def test_head_and_revalidation_of_each_variant(site, django_app):
    _, plain = _call(public_fast_path.fast_path(django_app), _environ("/"))
    app = public_fast_path.fast_path(_django_must_not_run)
    packed, _ = _call(app, _environ("/", HTTP_ACCEPT_ENCODING="gzip"))
    head, nothing = _call(app, _environ("/", REQUEST_METHOD="HEAD", HTTP_ACCEPT_ENCODING="gzip"))
    assert nothing == b"" and head.headers["Content-Length"] == packed.headers["Content-Length"]
    assert head.headers["ETag"] == packed.headers["ETag"]
    # Each variant's ETag revalidates that variant only.
    gz_etag = packed.headers["ETag"]
    again, _ = _call(app, _environ("/", HTTP_IF_NONE_MATCH=gz_etag, HTTP_ACCEPT_ENCODING="gzip"))
    assert again.status.startswith("304") and again.headers["ETag"] == gz_etag
    other, body = _call(app, _environ("/", HTTP_IF_NONE_MATCH=gz_etag))
    assert other.status == "200 OK" and body == plain and "Content-Encoding" not in other.headers
    assert again.headers["Content-Type"] == other.headers["Content-Type"]
    assert again.headers["X-Request-ID"] != other.headers["X-Request-ID"]
