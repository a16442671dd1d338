"""Webhooks (JSON over HTTPS) with Standard Webhooks signatures, and the chat formats' base.

http.client follows no redirects (a 3xx is a failure, as in Statuspage), and the connection
is opened only to an address the SSRF guard accepted.

Three limits per POST, each with its own message in the attempt log: the connect
(WEBHOOK_CONNECT_TIMEOUT_SECONDS), the wait for the answer to start and any later silence
(WEBHOOK_FIRST_BYTE_TIMEOUT_SECONDS, the socket timeout once connected), and the whole POST
(WEBHOOK_TIMEOUT_SECONDS, enforced by aborting the socket). The first two are short so that an
endpoint that accepts and never answers gives its send slot back early and waits for its
retry instead; the total cuts a receiver that drips its answer.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import ssl
import threading
import time
from urllib.parse import urlsplit

from django.conf import settings
from standardwebhooks.webhooks import Webhook

from notifications.netguard import BlockedAddress, resolve_allowed
from notifications.transports.base import (
    Outgoing,
    Receipt,
    Reply,
    Transport,
    TransportError,
    excerpt,
)

USER_AGENT = "statuspage-notifications/1.0"


# Set longer than the total, either is simply cut by the total (the abort in `post_json`).
def connect_timeout() -> float:
    return float(settings.WEBHOOK_CONNECT_TIMEOUT_SECONDS)


def first_byte_timeout() -> float:
    return float(settings.WEBHOOK_FIRST_BYTE_TIMEOUT_SECONDS)


class ConnectTimeout(Exception):
    """No address of the endpoint completed the TCP handshake in time: within the connect
    timeout, or (`total` true) within what was left of the POST's total."""

    def __init__(self, *, total: bool) -> None:
        super().__init__()
        self.total = total


class Attempt:
    """One POST in flight, as seen by the thread that dispatches them: socket timeouts bound
    each connect and each read, so a receiver dripping one byte every few seconds could hold
    a POST far longer than WEBHOOK_TIMEOUT_SECONDS; the dispatcher calls `abort` on attempts
    past their deadline, which shuts the socket down and wakes the blocked thread."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.conn: http.client.HTTPConnection | None = None
        self.aborted = False

    def remaining(self) -> float:
        """Seconds left of the total; a connect in progress has no socket `abort` could
        shut down yet, so its own timeout is cut to this."""
        return settings.WEBHOOK_TIMEOUT_SECONDS - (time.monotonic() - self.started)

    def abort(self) -> None:
        self.aborted = True
        sock = getattr(self.conn, "sock", None)
        if sock is not None:
            # The plain socket's shutdown, also for TLS: SSLSocket.shutdown would drop its
            # SSL object under the reading thread's feet.
            with contextlib.suppress(OSError):
                socket.socket.shutdown(sock, socket.SHUT_RDWR)


def _guarded_connect(conn: _HTTPConnection | _HTTPSConnection) -> None:
    last_error: OSError | None = None
    cut_by_total = False
    for family, socktype, proto, _name, sockaddr in resolve_allowed(conn.host, conn.port):
        sock = socket.socket(family, socktype, proto)
        timeout = connect_timeout()
        if conn.attempt is not None and conn.attempt.remaining() < timeout:
            timeout, cut_by_total = max(conn.attempt.remaining(), 0.001), True
        sock.settimeout(timeout)
        try:
            sock.connect(sockaddr)
        except OSError as exc:
            sock.close()
            last_error = exc
            continue
        # From here on (TLS handshake, sending, each read) the first-byte timeout: the
        # longest the receiver may stay silent.
        sock.settimeout(conn.timeout)
        conn.sock = sock
        # Aborted while connecting, when there was no socket yet to shut down.
        if conn.attempt is not None and conn.attempt.aborted:
            raise TimeoutError
        return
    if isinstance(last_error, TimeoutError):
        raise ConnectTimeout(total=cut_by_total)
    raise last_error or OSError("no address to connect to")


class _HTTPConnection(http.client.HTTPConnection):
    attempt: Attempt | None = None

    def connect(self) -> None:
        _guarded_connect(self)


class _HTTPSConnection(http.client.HTTPSConnection):
    attempt: Attempt | None = None

    def connect(self) -> None:
        _guarded_connect(self)
        # The TLS context the connection was given or made itself (typeshed leaves out this
        # private attribute).
        context: ssl.SSLContext = self._context  # type: ignore[attr-defined]
        self.sock = context.wrap_socket(self.sock, server_hostname=self.host)


_CONNECTIONS: dict[str, type[_HTTPConnection] | type[_HTTPSConnection]] = {
    "http": _HTTPConnection,
    "https": _HTTPSConnection,
}


def _connection(url: str) -> tuple[_HTTPConnection | _HTTPSConnection, str]:
    """A connection (not yet open) to the URL's host, and the path to POST to."""
    parts = urlsplit(url)
    cls = _CONNECTIONS.get(parts.scheme)
    if cls is None or not parts.hostname:
        raise TransportError("Not an http(s) URL", permanent=True)
    conn = cls(parts.hostname, parts.port, timeout=first_byte_timeout())
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return conn, path


def post_json(
    url: str, body: bytes, headers: dict[str, str], attempt: Attempt | None = None
) -> Reply:
    """POST once; returns the 2xx answer (status and the start of its body) or raises
    TransportError, whose `reply` carries the answer when there was one."""
    conn, path = _connection(url)
    timer = None
    if attempt is None:
        # Outside the delivery window (e.g. the confirmation POST) a timer enforces the
        # total timeout instead of the dispatching thread.
        attempt = Attempt()
        timer = threading.Timer(settings.WEBHOOK_TIMEOUT_SECONDS, attempt.abort)
        timer.daemon = True
        timer.start()
    attempt.conn = conn
    conn.attempt = attempt
    try:
        conn.request(
            "POST",
            path,
            body=body,
            headers={
                "Content-Type": "application/json",
                "User-Agent": USER_AGENT,
                **headers,
            },
        )
        response = conn.getresponse()
        answer, status = _answer(response), response.status
        if attempt.aborted:
            # The shutdown may read as a clean end of the headers: never a success.
            raise TimeoutError
    except BlockedAddress as exc:
        raise TransportError(str(exc), permanent=True) from exc
    except ConnectTimeout as exc:
        if exc.total or attempt.aborted:
            raise TransportError("Connection timed out") from exc
        raise TransportError(f"Connect timed out after {connect_timeout():g} s") from exc
    except TimeoutError as exc:
        if attempt.aborted:
            raise TransportError("Connection timed out") from exc
        raise TransportError(f"No answer within {first_byte_timeout():g} s") from exc
    except ssl.SSLError as exc:
        if attempt.aborted:
            raise TransportError("Connection timed out") from exc
        raise TransportError(f"TLS error: {exc.reason or exc}") from exc
    except (OSError, http.client.HTTPException) as exc:
        if attempt.aborted:
            raise TransportError("Connection timed out") from exc
        raise TransportError(f"Connection failed: {str(exc)[:100]}") from exc
    finally:
        if timer is not None:
            timer.cancel()
        conn.close()
    reply = Reply(code=f"HTTP {status}", text=answer)
    if 200 <= status < 300:
        return reply
    # 410 Gone: the receiver says the endpoint is gone for good. Other 4xx may be fixed by
    # its owner, so they count towards quarantine rather than failing the row outright.
    raise TransportError(f"HTTP {status}", permanent=status == 410, reply=reply)


def _answer(response: http.client.HTTPResponse) -> str:
    """The start of the answer for the attempt log (the rest of a large body is never read);
    for a redirect, which is not followed, where it pointed: what the owner needs to know."""
    answer = excerpt(response.read(1024))
    location = response.getheader("Location") if 300 <= response.status < 400 else None
    return excerpt(f"Location: {location} {answer}") if location else answer


def sign(secret: str, msg_id: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    from datetime import UTC, datetime

    when = datetime.fromtimestamp(timestamp or int(time.time()), tz=UTC)
    signature = Webhook(secret).sign(msg_id, when, body.decode())
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(when.timestamp())),
        "webhook-signature": signature,
    }


class HttpTransport(Transport):
    """A transport that POSTs to the subscriber's URL (webhook, Slack, Discord, Teams): a
    send may be given the Attempt through which the delivery window aborts it when overdue."""

    def send(self, message: Outgoing, attempt: Attempt | None = None) -> Receipt:
        raise NotImplementedError


class WebhookTransport(HttpTransport):
    def send(self, message: Outgoing, attempt: Attempt | None = None) -> Receipt:
        body = json.dumps(message.payload, separators=(",", ":")).encode()
        reply = post_json(message.address, body, sign(message.secret, message.key, body), attempt)
        return Receipt(provider_id=reply.code, reply=reply)
