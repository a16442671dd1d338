"""A recorded Statuspage-compatible provider, served on loopback by a real HTTP server: the
test switches what it serves (operational, an outage with an incident, resolved...), and the
server honours If-None-Match and If-Modified-Since, counting the 304s it answers."""

from __future__ import annotations

import copy
import json
import threading
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from ipaddress import ip_network

import pytest

SUMMARY_PATH = "/api/v2/summary.json"

OPERATIONAL = {
    "page": {"id": "kctbh9vrtdwd", "name": "GitHub", "url": "https://www.githubstatus.com"},
    "status": {"indicator": "none", "description": "All Systems Operational"},
    "components": [
        {"id": "8l4ygp009s5s", "name": "Git Operations", "status": "operational"},
        {"id": "br0l2tvcx85d", "name": "Actions", "status": "operational"},
        {"id": "h2ftsgbw7kmk", "name": "Pages", "status": "operational"},
    ],
    "incidents": [],
    "scheduled_maintenances": [],
}


def outage() -> dict:
    """Actions down, with an incident naming it (the shape summary.json gives)."""
    data = copy.deepcopy(OPERATIONAL)
    data["status"] = {"indicator": "major", "description": "Partial System Outage"}
    data["components"][1]["status"] = "major_outage"
    data["incidents"] = [
        {
            "id": "x1yz2abc3def",
            "name": "Disruption with GitHub Actions",
            "status": "investigating",
            "impact": "major",
            "shortlink": "https://stspg.io/abc123",
            "updated_at": "2026-11-18T11:55:00.000Z",
            "components": [data["components"][1]],
            "incident_updates": [
                {
                    "body": "We are investigating reports of failing Actions runs.",
                    "status": "investigating",
                }
            ],
        }
    ]
    return data


def identified() -> dict:
    data = outage()
    incident = data["incidents"][0]
    incident["status"] = "identified"
    incident["updated_at"] = "2026-11-18T12:05:00.000Z"
    incident["incident_updates"].insert(
        0, {"body": "The cause is identified; a fix is rolling out.", "status": "identified"}
    )
    return data


class Provider:
    """What the server serves, and what it saw."""

    def __init__(self):
        self.lock = threading.Lock()
        self.body = b""
        self.content_type = "application/json"
        self.etag = ""
        self.last_modified = ""
        self.version = 0
        self.fail_with = 0
        self.use_etag = True
        self.ok = 0
        self.not_modified = 0
        self.requests: list[dict] = []
        self.url = ""

    def serve_json(self, data: dict) -> None:
        self.serve(json.dumps(data).encode(), "application/json")

    def serve(self, body: bytes, content_type: str) -> None:
        with self.lock:
            self.version += 1
            self.body, self.content_type = body, content_type
            self.etag = f'"v{self.version}"'
            # A second per version: distinct Last-Modified values without waiting.
            self.last_modified = formatdate(1_700_000_000 + self.version, usegmt=True)
            self.fail_with = 0


@pytest.fixture
def provider_server(settings):
    """The provider's server on 127.0.0.1:<free port>; loopback allowed for the test (as an
    install allows a private network with UPSTREAM_ALLOWED_NETWORKS)."""
    settings.UPSTREAM_ALLOWED_NETWORKS = [ip_network("127.0.0.0/8")]
    state = Provider()
    state.serve_json(OPERATIONAL)

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):  # noqa: N802
            with state.lock:
                state.requests.append(
                    {
                        "path": self.path,
                        "if_none_match": self.headers.get("If-None-Match", ""),
                        "if_modified_since": self.headers.get("If-Modified-Since", ""),
                    }
                )
                if self.path == "/loop.json":
                    self.send_response(302)
                    self.send_header("Location", "/loop.json")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if self.path == "/moved.json":
                    self.send_response(301)
                    self.send_header("Location", SUMMARY_PATH)
                    self.end_headers()
                    return
                if self.path not in (SUMMARY_PATH, "/history.atom"):
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if state.fail_with:
                    self.send_response(state.fail_with)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                fresh = (
                    self.headers.get("If-None-Match") == state.etag
                    if state.use_etag and self.headers.get("If-None-Match")
                    else self.headers.get("If-Modified-Since") == state.last_modified
                )
                if fresh:
                    state.not_modified += 1
                    self.send_response(304)
                    self.end_headers()
                    return
                state.ok += 1
                self.send_response(200)
                self.send_header("Content-Type", state.content_type)
                self.send_header("Content-Length", str(len(state.body)))
                if state.use_etag:
                    self.send_header("ETag", state.etag)
                self.send_header("Last-Modified", state.last_modified)
                self.end_headers()
                self.wfile.write(state.body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield state
    server.shutdown()
    server.server_close()
