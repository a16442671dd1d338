"""Real parts for notification tests: an SMTP server, HTTP receivers, a Twilio REST stub.

Every server binds port 0 on loopback, so parallel test runs never collide.
"""

from __future__ import annotations

import email
import email.policy
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest
from aiosmtpd.controller import Controller

from incidents.models import Page
from notifications.models import Channel, Subscriber, SubscriberState

# aiosmtpd logs every SMTP command at INFO.
logging.getLogger("mail.log").setLevel(logging.WARNING)


class _EphemeralController(Controller):
    """aiosmtpd's Controller, on port 0: learn the real port before its readiness probe."""

    def _trigger_server(self):
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class _Collector:
    """The SMTP sink's handler: every message, and the SMTP session that carried it.

    aiosmtpd creates one Session per connection; a client greets (EHLO/HELO) once per
    connection, so `sessions` holds one entry per connection that said hello (the
    controller's own readiness probe never does). `refuse` maps a recipient to the reply
    its RCPT TO gets, e.g. "550 5.1.1 No such user"."""

    def __init__(self):
        self.messages = []
        self.sessions = []
        self.session_of = []  # parallel to `messages`
        self.refuse: dict[str, str] = {}

    def _greeted(self, session) -> None:
        if not any(seen is session for seen in self.sessions):
            self.sessions.append(session)

    async def handle_EHLO(self, server, session, envelope, hostname, responses):  # noqa: N802
        session.host_name = hostname
        self._greeted(session)
        # As Postfix and the big providers: the batches' pipelined conversation is the one
        # every delivery test runs (aiosmtpd handles pipelined commands, it only does not
        # say so by default). tests/notifications/test_smtp_pipelining.py runs both.
        return [*responses[:-1], "250-PIPELINING", responses[-1]]

    async def handle_HELO(self, server, session, envelope, hostname):  # noqa: N802
        session.host_name = hostname
        self._greeted(session)
        return f"250 {server.hostname}"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append(msg)
        self.session_of.append(session)
        return "250 OK"


@pytest.fixture(autouse=True)
def _skip_without_redis(request):
    from django.conf import settings

    if request.node.get_closest_marker("redis") and not settings.REDIS_URL:
        pytest.skip("needs a real Redis (REDIS_URL)")


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate-limit counters live in the cache; each test starts from zero."""
    from django.core.cache import cache

    cache.clear()


def drain_queues() -> None:
    """With real Redis, run every queued job in this process (a burst SimpleWorker), so the
    job sees this test's uncommitted rows through the same database connection."""
    from django.conf import settings

    if not settings.REDIS_URL:
        return
    import django_rq
    from rq import SimpleWorker

    queues = [django_rq.get_queue(name) for name in ("notifications", "default")]
    SimpleWorker(queues, connection=queues[0].connection).work(burst=True)


@pytest.fixture
def run_jobs(django_capture_on_commit_callbacks):
    """Run `func`, then the jobs it enqueued on commit: in-process in embedded mode, through
    Redis and a burst worker when REDIS_URL is set. (Tests never commit, hence the capture.)"""

    def run(func, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            result = func(*args, **kwargs)
        drain_queues()
        return result

    return run


@pytest.fixture
def smtp_sink(settings):
    collector = _Collector()
    controller = _EphemeralController(collector, hostname="127.0.0.1", port=0)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = False
    yield collector
    controller.stop()


@dataclass
class Receiver:
    url: str
    status: int = 204
    requests: list = field(default_factory=list)
    body: bytes = b""
    headers: dict = field(default_factory=dict)
    # Called (in the server's thread) as each POST arrives, before the answer.
    on_request: Callable[[], None] | None = None


def _serve(handler_cls) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler_cls)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    return server


@pytest.fixture
def receiver(settings):
    """A local HTTP endpoint that records each POST and answers `receiver.status` (with
    `receiver.body` and `receiver.headers`)."""
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    state = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            state.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
            if state.on_request is not None:
                state.on_request()
            self.send_response(state.status)
            self.send_header("Content-Length", str(len(state.body)))
            for name, value in state.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(state.body)

        def log_message(self, *args):
            pass

    server = _serve(Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    yield state
    server.shutdown()


INVALID_NUMBER = "+15005550001"
OPTED_OUT_NUMBER = "+15005550004"


@pytest.fixture
def twilio_stub(settings):
    """Speaks the Messages resource of Twilio's REST API, as the real SDK calls it."""
    sent = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            length = int(self.headers.get("Content-Length", 0))
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            if not self.path.endswith("/Messages.json"):
                return self._json(404, {"code": 20404, "message": "Not found", "status": 404})
            # As Twilio: a sender is required, a phone number or a Messaging Service.
            if not form.get("From") and not form.get("MessagingServiceSid"):
                return self._json(
                    400,
                    {"code": 21603, "message": "The 'From' number is required.", "status": 400},
                )
            if form.get("To") == INVALID_NUMBER:
                return self._json(
                    400,
                    {"code": 21211, "message": "The 'To' number is not valid.", "status": 400},
                )
            if form.get("To") == OPTED_OUT_NUMBER:
                return self._json(
                    400,
                    {
                        "code": 21610,
                        "message": "Attempt to send to unsubscribed recipient",
                        "status": 400,
                    },
                )
            sid = f"SM{len(sent):032d}"
            sent.append(
                {
                    **form,
                    "sid": sid,
                    "auth": self.headers.get("Authorization"),
                    # When the request reached the provider: what its rate limit counts.
                    "at": time.monotonic(),
                }
            )
            return self._json(
                201,
                {"sid": sid, "status": "queued", "to": form.get("To"), "body": form.get("Body")},
            )

        def _json(self, status, data):
            body = json.dumps(data).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = _serve(Handler)
    settings.TWILIO_ACCOUNT_SID = "AC" + "0" * 32
    settings.TWILIO_AUTH_TOKEN = "test-auth-token"
    settings.TWILIO_FROM_NUMBER = "+15005550006"
    settings.TWILIO_MESSAGING_SERVICE_SID = ""
    settings.TWILIO_API_BASE = f"http://127.0.0.1:{server.server_address[1]}"
    settings.SMS_MAX_PER_SECOND = 100
    yield sent
    server.shutdown()


@pytest.fixture
def make_subscriber(db, page):
    Page.objects.update(url="https://status.example.test")

    def make(channel=Channel.EMAIL, address="ann@example.test", components=(), **kwargs):
        from django.utils import timezone

        kwargs.setdefault("state", SubscriberState.ACTIVE)
        if kwargs["state"] == SubscriberState.ACTIVE:
            kwargs.setdefault("confirmed_at", timezone.now())
        if channel == Channel.WEBHOOK:
            kwargs.setdefault("contact_email", "ops@example.test")
        sub = Subscriber.objects.create(
            channel=channel, address=address, **{"all_components": not components, **kwargs}
        )
        sub.components.set(components)
        return sub

    return make
