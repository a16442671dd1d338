"""Webhooks (JSON over HTTPS) with Standard Webhooks signatures, and the chat formats' base.

Each POST is a coroutine on asyncio streams (`post_json_async`): the delivery window runs
many of them on one event loop (`AsyncSender`), so an endpoint that hangs costs a socket and
a timer, not a thread. `post_json` runs one on a loop of its own (the confirmation POST).

No redirects are followed (a 3xx is a failure, as in Statuspage), and the connection is
opened only to an address the SSRF guard accepted, the address actually connected to.

Three limits per POST, each with its own message in the attempt log: the connect
(WEBHOOK_CONNECT_TIMEOUT_SECONDS, per address), any silence once connected: the TLS
handshake, the wait for the answer to start and between two reads
(WEBHOOK_FIRST_BYTE_TIMEOUT_SECONDS), and the whole POST (WEBHOOK_TIMEOUT_SECONDS). The first
two are short so that an endpoint that accepts and never answers gives its send slot back
early and waits for its retry instead; the total cuts a receiver that drips its answer.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import os
import socket
import ssl
import time
from collections.abc import Coroutine, Sequence
from typing import Any, TypeVar
from urllib.parse import urlsplit

from django.conf import settings
from standardwebhooks.webhooks import Webhook

from notifications.netguard import AddrInfo, BlockedAddress, resolve_allowed
from notifications.transports.base import (
    Outgoing,
    Receipt,
    Reply,
    Transport,
    TransportError,
    excerpt,
)

USER_AGENT = "statuspage-notifications/1.0"
# The start of an answer's body kept for the attempt log (the rest is never read).
ANSWER_BYTES = 1024
# An answer's status line and headers past this size are not an answer we can use.
MAX_HEAD_BYTES = 65536

T = TypeVar("T")


def connect_timeout() -> float:
    return float(settings.WEBHOOK_CONNECT_TIMEOUT_SECONDS)


def first_byte_timeout() -> float:
    return float(settings.WEBHOOK_FIRST_BYTE_TIMEOUT_SECONDS)


class _ConnectTimeout(Exception):
    """No address of the endpoint completed the TCP handshake within the connect timeout."""


class _Silence(Exception):
    """Connected, then nothing for the first-byte timeout."""


class _NoAnswer(Exception):
    """The connection closed, or the answer was not HTTP: `args[0]` says how."""


_TLS: ssl.SSLContext | None = None


def _tls_context() -> ssl.SSLContext:
    # One verifying context for every POST: building one costs more than a POST on loopback.
    global _TLS  # noqa: PLW0603 - a process-wide cache
    if _TLS is None:
        _TLS = ssl.create_default_context()
    return _TLS


async def _addresses(host: str, port: int) -> Sequence[AddrInfo]:
    """What the guard lets through. An IP literal resolves without DNS, on the loop itself;
    a name is looked up in the loop's executor, so a slow resolver stalls no other POST."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(None, resolve_allowed, host, port)
    return resolve_allowed(host, port)


async def _connect(host: str, port: int) -> socket.socket:
    loop = asyncio.get_running_loop()
    last_error: OSError | None = None
    timed_out = False
    for family, socktype, proto, _name, sockaddr in await _addresses(host, port):
        sock = socket.socket(family, socktype, proto)
        sock.setblocking(False)
        try:
            async with asyncio.timeout(connect_timeout()):
                await loop.sock_connect(sock, sockaddr)
        except TimeoutError:
            sock.close()
            timed_out = True
            continue
        except OSError as exc:
            sock.close()
            last_error = exc
            continue
        except BaseException:
            sock.close()  # the total ran out meanwhile
            raise
        return sock
    if timed_out and last_error is None:
        raise _ConnectTimeout
    raise last_error or OSError("no address to connect to")


async def _read(reader: asyncio.StreamReader) -> bytes:
    try:
        async with asyncio.timeout(first_byte_timeout()):
            return await reader.read(65536)
    except TimeoutError:
        raise _Silence from None


def _head(data: bytes) -> tuple[int, dict[str, str]]:
    lines = data.decode("latin-1").split("\r\n")
    version, _, rest = lines[0].partition(" ")
    code = rest.partition(" ")[0]
    if not version.startswith("HTTP/") or len(code) != 3 or not code.isdigit():  # noqa: PLR2004
        raise _NoAnswer(f"Bad status line: {lines[0][:40]!r}")
    headers = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    return int(code), headers


def _dechunk(data: bytes) -> tuple[bytes, bool]:
    """The body of a chunked answer as far as it has come, and whether it is complete."""
    body, pos = b"", 0
    while True:
        end = data.find(b"\r\n", pos)
        if end < 0:
            return body, False
        try:
            size = int(data[pos:end].split(b";")[0], 16)
        except ValueError:
            return body, True
        if size == 0:
            return body, True
        body += data[end + 2 : end + 2 + size]
        if end + 2 + size > len(data):
            return body, False
        pos = end + 4 + size


async def _answer(reader: asyncio.StreamReader) -> tuple[int, dict[str, str], bytes]:
    """Status, headers and the start of the body (at most ANSWER_BYTES), each read under
    the first-byte timeout."""
    data = b""
    while (split := data.find(b"\r\n\r\n")) < 0:
        if len(data) > MAX_HEAD_BYTES:
            raise _NoAnswer("Answer headers too long")
        chunk = await _read(reader)
        if not chunk:
            raise _NoAnswer("Remote end closed connection without response")
        data += chunk
    status, headers = _head(data[:split])
    rest = data[split + 4 :]
    if status in (204, 304) or status < 200:  # noqa: PLR2004 - no body by definition
        return status, headers, b""
    chunked = "chunked" in headers.get("transfer-encoding", "").lower()
    length = headers.get("content-length", "")
    wanted = min(int(length), ANSWER_BYTES) if length.isdigit() else ANSWER_BYTES
    while True:
        body, complete = _dechunk(rest) if chunked else (rest, len(rest) >= wanted)
        if complete or len(body) >= ANSWER_BYTES:
            return status, headers, body[:ANSWER_BYTES]
        chunk = await _read(reader)
        if not chunk:
            return status, headers, body[:ANSWER_BYTES]
        rest += chunk


def _request(url: str, body: bytes, headers: dict[str, str]) -> tuple[str, int, bool, bytes]:
    """Host, port, whether TLS, and the request's bytes (what http.client would send)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TransportError("Not an http(s) URL", permanent=True)
    tls = parts.scheme == "https"
    port = parts.port or (443 if tls else 80)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    host = parts.hostname
    shown = f"[{host}]" if ":" in host else host
    if port != (443 if tls else 80):
        shown += f":{port}"
    lines = [
        f"POST {path} HTTP/1.1",
        f"Host: {shown}",
        "Accept-Encoding: identity",
        f"Content-Length: {len(body)}",
        "Content-Type: application/json",
        f"User-Agent: {USER_AGENT}",
        "Connection: close",
        *(f"{name}: {value}" for name, value in headers.items()),
    ]
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    return host, port, tls, head + body


async def _exchange(host: str, port: int, tls: bool, request: bytes) -> tuple[int, str]:
    sock = await _connect(host, port)
    try:
        async with asyncio.timeout(first_byte_timeout()):
            reader, writer = await asyncio.open_connection(
                sock=sock,
                ssl=_tls_context() if tls else None,
                server_hostname=host if tls else None,
            )
    except TimeoutError:
        sock.close()
        raise _Silence from None
    except BaseException:
        sock.close()
        raise
    try:
        writer.write(request)
        status, headers, body = await _answer(reader)
    finally:
        writer.transport.abort()
    answer = excerpt(body)
    location = headers.get("location") if 300 <= status < 400 else None  # noqa: PLR2004
    return status, excerpt(f"Location: {location} {answer}") if location else answer


def _failure(exc: BaseException) -> TransportError:
    if isinstance(exc, BlockedAddress):
        return TransportError(str(exc), permanent=True)
    if isinstance(exc, _ConnectTimeout):
        return TransportError(f"Connect timed out after {connect_timeout():g} s")
    if isinstance(exc, _Silence):
        return TransportError(f"No answer within {first_byte_timeout():g} s")
    if isinstance(exc, TimeoutError):
        return TransportError("Connection timed out")  # the total
    if isinstance(exc, ssl.SSLError):
        return TransportError(f"TLS error: {exc.reason or exc}")
    if isinstance(exc, OSError) and exc.errno:
        return TransportError(f"Connection failed: [Errno {exc.errno}] {os.strerror(exc.errno)}")
    return TransportError(f"Connection failed: {str(exc)[:100]}")


async def post_json_async(url: str, body: bytes, headers: dict[str, str]) -> Reply:
    """POST once; returns the 2xx answer (status and the start of its body) or raises
    TransportError, whose `reply` carries the answer when there was one."""
    host, port, tls, request = _request(url, body, headers)
    try:
        async with asyncio.timeout(settings.WEBHOOK_TIMEOUT_SECONDS):
            status, answer = await _exchange(host, port, tls, request)
    except (OSError, _ConnectTimeout, _Silence, _NoAnswer, BlockedAddress) as exc:
        # TimeoutError is an OSError: the total, cut wherever the POST was.
        raise _failure(exc) from exc
    reply = Reply(code=f"HTTP {status}", text=answer)
    if 200 <= status < 300:  # noqa: PLR2004
        return reply
    # 410 Gone: the receiver says the endpoint is gone for good. Other 4xx may be fixed by
    # its owner, so they count towards quarantine rather than failing the row outright.
    raise TransportError(f"HTTP {status}", permanent=status == 410, reply=reply)  # noqa: PLR2004


def post_json(url: str, body: bytes, headers: dict[str, str]) -> Reply:
    """`post_json_async` on an event loop of its own, for a single POST outside a batch."""
    return asyncio.run(post_json_async(url, body, headers))


class AsyncSender:
    """An event loop for a batch's POSTs, run by the batch's own thread only while it waits
    for one to end (`finished`): in between, that thread renders, claims and writes to the
    database with no loop running (Django's ORM refuses to run inside one), while the
    kernel keeps the connections in flight going. One thread for everything: no handing
    each POST and its result across threads, no GIL contention between them."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.pending: set[asyncio.Task[Any]] = set()
        self.ended: list[asyncio.Task[Any]] = []
        self.wake: asyncio.Future[None] | None = None

    def submit(self, coro: Coroutine[Any, Any, T]) -> asyncio.Task[T]:
        """Start `coro` (it runs once the loop does, in `finished`)."""
        task = self.loop.create_task(coro)
        self.pending.add(task)
        task.add_done_callback(self._ended)
        return task

    def _ended(self, task: asyncio.Task[Any]) -> None:
        self.pending.discard(task)
        self.ended.append(task)
        if self.wake is not None and not self.wake.done():
            self.wake.set_result(None)

    def finished(self, timeout: float) -> list[asyncio.Task[Any]]:
        """Run the loop until at least one submitted coroutine has ended, or `timeout`
        seconds; returns those that ended since the last call."""
        if not self.ended and self.pending:
            self.wake = self.loop.create_future()
            timer = self.loop.call_later(timeout, self._ended_none)
            try:
                self.loop.run_until_complete(self.wake)
            finally:
                timer.cancel()
                self.wake = None
        ended, self.ended = self.ended, []
        return ended

    def _ended_none(self) -> None:
        if self.wake is not None and not self.wake.done():
            self.wake.set_result(None)

    def close(self) -> None:
        """Let what was submitted finish (each POST ends by its total timeout at the
        latest), then close the loop."""
        if self.pending:
            self.loop.run_until_complete(asyncio.wait(self.pending))
        self.loop.run_until_complete(self.loop.shutdown_default_executor())
        self.loop.close()


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
    """A transport that POSTs to the subscriber's URL (webhook, Slack, Discord, Teams):
    `request` builds the body and headers on the caller's thread, `send_async` POSTs them."""

    def request(self, message: Outgoing) -> tuple[bytes, dict[str, str]]:
        raise NotImplementedError

    async def send_async(self, url: str, body: bytes, headers: dict[str, str]) -> Receipt:
        reply = await post_json_async(url, body, headers)
        return Receipt(provider_id=reply.code, reply=reply)

    def send(self, message: Outgoing) -> Receipt:
        body, headers = self.request(message)
        reply = post_json(message.address, body, headers)
        return Receipt(provider_id=reply.code, reply=reply)


class WebhookTransport(HttpTransport):
    def request(self, message: Outgoing) -> tuple[bytes, dict[str, str]]:
        body = json.dumps(message.payload, separators=(",", ":")).encode()
        return body, sign(message.secret, message.key, body)
