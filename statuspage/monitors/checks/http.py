"""The HTTP(S) check on asyncio streams: every hop (the first request and each redirect) is
connected through the guard (statuspage/monitors/netguard.py), so neither a redirect nor a
re-resolved name reaches an address the install did not allow.

HTTP/1.1 with `Connection: close`; bodies are read (at most BODY_LIMIT bytes) only when a
keyword or JSON path must be looked for."""

from __future__ import annotations

import asyncio
import json
import ssl
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit

from django.conf import settings

from statuspage.monitors import netguard
from statuspage.monitors.checks import Outcome, Probe, elapsed_ms, failed
from statuspage.monitors.rules import json_path_missing, json_path_value, json_text

USER_AGENT = "statuspage-monitor/1.0"
BODY_LIMIT = 1024 * 1024
HEAD_LIMIT = 65536
MAX_REDIRECTS = 5
REDIRECTS = {301, 302, 303, 307, 308}

_TLS: ssl.SSLContext | None = None


def _tls_context() -> ssl.SSLContext:
    global _TLS  # noqa: PLW0603 - one verifying context per process: building one is costly
    if _TLS is None:
        context = ssl.create_default_context()
        if settings.MONITOR_CA_FILE:
            # In addition to the system's CAs, not instead: an install's internal CA.
            context.load_verify_locations(cafile=settings.MONITOR_CA_FILE)
        _TLS = context
    return _TLS


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes
    cert_not_after: float | None


class BadAnswer(Exception):
    pass


async def http_check(probe: Probe) -> Outcome:
    start = time.monotonic()
    try:
        async with asyncio.timeout(probe.timeout_seconds):
            answer = await _follow(probe)
    except TimeoutError:
        return failed(f"Timed out after {probe.timeout_seconds:g} s", elapsed_ms(start))
    except netguard.Refused as exc:
        return failed(str(exc))
    except ssl.SSLCertVerificationError as exc:
        return failed(f"TLS certificate not valid: {exc.verify_message}", elapsed_ms(start))
    except ssl.SSLError as exc:
        return failed(f"TLS error: {exc.reason or exc}", elapsed_ms(start))
    except BadAnswer as exc:
        return failed(str(exc), elapsed_ms(start))
    except OSError as exc:
        return failed(f"Connection failed: {exc.strerror or exc}", elapsed_ms(start))
    return judge(probe, answer, elapsed_ms(start))


def judge(probe: Probe, answer: Answer, latency_ms: int) -> Outcome:
    """Whether an answer passes the monitor's assertions, and whether it is degraded."""
    expected = probe.expected_statuses
    if (answer.status not in expected) if expected else not 200 <= answer.status < 300:
        return failed(f"HTTP {answer.status} (expected {_expected(expected)})", latency_ms)
    text = answer.body.decode("utf-8", errors="replace")
    if probe.keyword and probe.keyword not in text:
        return failed(f"HTTP {answer.status}, keyword {probe.keyword!r} not found", latency_ms)
    if probe.json_path:
        problem = _json_problem(probe, answer.body)
        if problem:
            return failed(f"HTTP {answer.status}, {problem}", latency_ms)
    if probe.latency_threshold_ms is not None and latency_ms > probe.latency_threshold_ms:
        return Outcome(
            ok=True,
            degraded=True,
            latency_ms=latency_ms,
            detail=f"HTTP {answer.status} in {latency_ms} ms (slower than "
            f"{probe.latency_threshold_ms} ms)",
        )
    if probe.tls_expiry_warning_days is not None and answer.cert_not_after is not None:
        days = (answer.cert_not_after - time.time()) / 86400
        if days < probe.tls_expiry_warning_days:
            expires = datetime.fromtimestamp(answer.cert_not_after, UTC).date().isoformat()
            return Outcome(
                ok=True,
                degraded=True,
                latency_ms=latency_ms,
                detail=f"HTTP {answer.status}; TLS certificate expires on {expires}",
            )
    return Outcome(ok=True, detail=f"HTTP {answer.status}", latency_ms=latency_ms)


def _expected(expected: tuple[int, ...]) -> str:
    return ", ".join(str(s) for s in expected) if expected else "2xx"


def _json_problem(probe: Probe, body: bytes) -> str | None:
    try:
        document = json.loads(body)
    except ValueError:
        return "the answer is not JSON"
    value = json_path_value(document, probe.json_path)
    if json_path_missing(value):
        return f"no value at {probe.json_path}"
    if probe.json_expected and json_text(value) != probe.json_expected:
        return f"{probe.json_path} is {json_text(value)[:60]!r}, expected {probe.json_expected!r}"
    return None


async def _follow(probe: Probe) -> Answer:
    url, method = probe.url, probe.method
    want_body = bool(probe.keyword or probe.json_path)
    for _hop in range(MAX_REDIRECTS + 1):
        answer = await _request(url, method, probe.headers, want_body=want_body)
        location = answer.headers.get("location")
        if (
            answer.status not in REDIRECTS
            or not location
            or answer.status in probe.expected_statuses
        ):
            return answer
        url = urljoin(url, location)
        if answer.status == 303 and method != "HEAD":
            method = "GET"
    raise BadAnswer(f"More than {MAX_REDIRECTS} redirects")


async def _request(url: str, method: str, headers: dict[str, str], *, want_body: bool) -> Answer:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadAnswer(f"Cannot follow to {url[:100]!r}")
    secure = parts.scheme == "https"
    port = parts.port or (443 if secure else 80)
    sock = await netguard.connect(parts.hostname, port, timeout=30)
    reader, writer = await asyncio.open_connection(
        sock=sock,
        ssl=_tls_context() if secure else None,
        server_hostname=parts.hostname if secure else None,
        limit=HEAD_LIMIT,
    )
    try:
        writer.write(_head(method, parts, headers))
        await writer.drain()
        status, answer_headers = await _read_head(reader)
        body = b""
        if want_body and method != "HEAD":
            body = await _read_body(reader, answer_headers)
        cert = writer.get_extra_info("peercert") if secure else None
        not_after = ssl.cert_time_to_seconds(cert["notAfter"]) if cert else None
        return Answer(status=status, headers=answer_headers, body=body, cert_not_after=not_after)
    finally:
        writer.close()


def _head(method: str, parts, headers: dict[str, str]) -> bytes:
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    host = parts.netloc.rsplit("@", 1)[-1]
    lines = [f"{method} {target} HTTP/1.1", f"Host: {host}"]
    given = {name.lower() for name in headers}
    if "user-agent" not in given:
        lines.append(f"User-Agent: {USER_AGENT}")
    if "accept" not in given:
        lines.append("Accept: */*")
    lines += [f"{name}: {value}" for name, value in headers.items()]
    lines += ["Connection: close", "", ""]
    return "\r\n".join(lines).encode("latin-1")


async def _read_head(reader: asyncio.StreamReader) -> tuple[int, dict[str, str]]:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        raise BadAnswer("The connection closed before an answer") from exc
    except asyncio.LimitOverrunError as exc:
        raise BadAnswer("The answer's headers are too long") from exc
    lines = head.decode("latin-1").split("\r\n")
    status_line = lines[0].split(" ", 2)
    if (
        len(status_line) < 2
        or not status_line[0].startswith("HTTP/")
        or not status_line[1].isdigit()
    ):
        raise BadAnswer("The answer is not HTTP")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    return int(status_line[1]), headers


async def _read_body(reader: asyncio.StreamReader, headers: dict[str, str]) -> bytes:
    if "chunked" in headers.get("transfer-encoding", "").lower():
        return await _read_chunked(reader)
    length = headers.get("content-length", "")
    if length.isdigit():
        try:
            return await reader.readexactly(min(int(length), BODY_LIMIT))
        except asyncio.IncompleteReadError as exc:
            return exc.partial
    return await reader.read(BODY_LIMIT)


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    body = bytearray()
    while len(body) < BODY_LIMIT:
        size_line = await reader.readline()
        try:
            size = int(size_line.split(b";")[0].strip() or b"0", 16)
        except ValueError as exc:
            raise BadAnswer("A chunked answer is malformed") from exc
        if size == 0:
            break
        body += await reader.readexactly(size)
        await reader.readline()
    return bytes(body[:BODY_LIMIT])
