"""The overview warns when the configured public URL does not answer for this site: nothing
listening, or another status page answering. Real HTTP servers on loopback, no mocks."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.cache import cache

from incidents.models import Page

WARNING = "does not answer"


class _OtherSite(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - http.server's name
        body = json.dumps({"page": {"id": "zzzzzzzzzzzz", "name": "Other"}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def other_site():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _OtherSite)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture
def closed_port():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()


def _overview(client) -> str:
    response = client.get("/dashboard/")
    assert response.status_code == 200
    return response.content.decode()


def test_no_warning_without_a_configured_url(viewer_client, page):
    Page.objects.update(url="")
    html = _overview(viewer_client)
    assert "public URL" not in html


def test_warns_when_nothing_answers(viewer_client, page, closed_port):
    Page.objects.update(url=closed_port)
    html = _overview(viewer_client)
    assert f"The public URL {closed_port} {WARNING}" in html


def test_warns_when_another_status_page_answers(viewer_client, page, other_site):
    Page.objects.update(url=other_site)
    html = _overview(viewer_client)
    assert f"The public URL {other_site} answers for another status page." in html


@pytest.mark.django_db(transaction=True)
def test_no_warning_when_the_url_serves_this_page(viewer_client, page, live_server):
    Page.objects.update(url=live_server.url)
    html = _overview(viewer_client)
    assert "The public URL" not in html
