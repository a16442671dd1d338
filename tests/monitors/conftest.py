"""Real targets on loopback for the monitors: an HTTP server that turns 500, slow, or drops a
keyword on command; TCP listeners; and helpers that run the checks slot after slot."""

from __future__ import annotations

import contextlib
import json
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from incidents.models import Component
from incidents.services import Actor
from statuspage.monitors.runner import run_due
from statuspage.monitors.services import monitor_save

ADMIN = Actor(label="alice", via="dashboard")


@dataclass
class Behaviour:
    status: int = 200
    delay: float = 0.0
    body: str = "all good: healthy"
    content_type: str = "text/plain"
    headers: dict[str, str] = field(default_factory=dict)
    # How the body is framed: by Content-Length, in chunks, or by closing the connection.
    framing: str = "length"
    hits: int = 0
    seen_headers: list[dict[str, str]] = field(default_factory=list)

    def json(self, document: object) -> None:
        self.body = json.dumps(document)
        self.content_type = "application/json"


class Target:
    """An HTTP server on loopback whose answer `behaviour` decides, per path."""

    def __init__(self, host: str = "127.0.0.1", tls: ssl.SSLContext | None = None) -> None:
        self.host = host
        self.scheme = "https" if tls else "http"
        self.behaviour = Behaviour()
        self.paths: dict[str, Behaviour] = {}
        target = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                b = target.paths.get(self.path, target.behaviour)
                b.hits += 1
                b.seen_headers.append(dict(self.headers))
                if b.delay:
                    time.sleep(b.delay)
                body = b.body.encode()
                self.send_response(b.status)
                self.send_header("Content-Type", b.content_type)
                if b.framing == "length":
                    self.send_header("Content-Length", str(len(body)))
                elif b.framing == "chunked":
                    self.send_header("Transfer-Encoding", "chunked")
                    half = len(body) // 2
                    body = (
                        b"".join(
                            f"{len(part):x};ext=1\r\n".encode() + part + b"\r\n"
                            for part in (body[:half], body[half:])
                            if part
                        )
                        + b"0\r\n\r\n"
                    )
                for name, value in b.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                if self.command != "HEAD":
                    # A check that gave up (its timeout) has closed: nothing to answer.
                    with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                        self.wfile.write(body)

            do_GET = do_POST = do_HEAD = _answer

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer((host, 0), Handler)
        self.server.daemon_threads = True
        if tls is not None:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def url(self, path: str = "/health") -> str:
        return f"{self.scheme}://{self.host}:{self.port}{path}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def target():
    server = Target()
    yield server
    server.close()


@pytest.fixture(autouse=True)
def loopback_allowed(settings):
    """The tests' targets live on loopback: allowed here as an install would allow a private
    network. The SSRF tests put the default (nothing allowed) back."""
    settings.MONITOR_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    settings.MONITOR_REGIONS = ["default"]
    settings.MONITOR_REGION = "default"


@pytest.fixture
def listener():
    """A TCP port that accepts connections until closed."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    yield sock
    sock.close()


@pytest.fixture
def make_monitor(api):
    def make(**data):
        data.setdefault("name", "API health")
        data.setdefault("component_id", api.public_id)
        data.setdefault("interval_seconds", 60)
        data.setdefault("timeout_seconds", 5)
        return monitor_save(actor=ADMIN, monitor=None, data=data)

    return make


@pytest.fixture
def tick(clock):
    """Run the due checks, then move the clock to the next slot of a 60 s monitor."""

    def run(times: int = 1, *, region: str = "default", step: int = 60):
        report = None
        for _ in range(times):
            report = run_due(region=region)
            clock.shift(step)
        return report

    return run


def status_of(component: Component) -> str:
    return Component.objects.get(pk=component.pk).status


@pytest.fixture
def dns_server():
    """An authoritative DNS server on loopback whose answers change on command."""
    from .dnsserver import DnsServer

    server = DnsServer()
    yield server
    server.close()
