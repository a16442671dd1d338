"""The publisher's own handler: the app's answers in-process, without request signals, with
every file it opens closed."""

from __future__ import annotations

from pathlib import Path

from django.core.signals import request_finished, request_started

from statuspage.metrics import RENDER_ONLY
from statuspage.publish.handler import Renderer

STATIC = Path(__file__).resolve().parents[2] / "statuspage" / "static" / "public"


def _signals():
    sent: list[str] = []

    def record(signal, **kwargs):
        sent.append("started" if signal is request_started else "finished")

    return sent, record


def test_a_static_file_is_read_whole_and_closed_without_request_signals(site):
    sent, record = _signals()
    request_started.connect(record)
    request_finished.connect(record)
    try:
        answer = Renderer(host="localhost", secure=False, extra={RENDER_ONLY: "1"}).get(
            "/static/public/status.css"
        )
    finally:
        request_started.disconnect(record)
        request_finished.disconnect(record)

    assert answer.status_code == 200
    assert answer.body == (STATIC / "status.css").read_bytes()
    assert answer["Content-Type"].startswith("text/css")
    streamed = answer.response.file_to_stream  # type: ignore[attr-defined]
    assert streamed is not None and streamed.closed
    assert sent == []


def test_the_request_is_the_one_a_reader_behind_the_public_host_sends(site):
    renderer = Renderer(host="status.example.com", secure=True)
    environ = renderer.environ("/history", "page=2")
    assert (environ["HTTP_HOST"], environ["wsgi.url_scheme"], environ["SERVER_PORT"]) == (
        "status.example.com",
        "https",
        "443",
    )
    assert environ["QUERY_STRING"] == "page=2" and "HTTP_COOKIE" not in environ
    plain = Renderer(host="127.0.0.1:8000", secure=False).environ("/", "")
    assert (plain["SERVER_NAME"], plain["SERVER_PORT"]) == ("127.0.0.1", "80")
    assert "HTTP_X_FORWARDED_PROTO" not in plain
