"""One conditional GET of a provider's endpoint: the SSRF guard at connect time, timeouts, a
size cap, a few redirects (each checked again). Errors are one type with a short, human
message: it is what the dashboard shows under the provider."""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from django.conf import settings

from notifications.netguard import is_public

MAX_REDIRECTS = 3
USER_AGENT = "statuspage-upstream/1 (+https://github.com/)"


class FetchError(Exception):
    """The poll failed; `args[0]` says why, for an operator."""

    @property
    def message(self) -> str:
        return str(self.args[0])


@dataclass(frozen=True)
class Answer:
    status: int  # 200 or 304
    body: bytes
    etag: str
    last_modified: str
    content_type: str


def address_allowed(address: str) -> bool:
    """Public, or inside one of UPSTREAM_ALLOWED_NETWORKS."""
    ip = ipaddress.ip_address(address.split("%")[0])
    if any(ip in net for net in settings.UPSTREAM_ALLOWED_NETWORKS if net.version == ip.version):
        return True
    return is_public(address)


def _guarded_connect(address: tuple[str, int], timeout: float, source_address=None, **_kw):
    """socket.create_connection, connecting only to addresses the guard allows (the name is
    resolved here, once, so what is checked is what is connected to)."""
    host, port = address
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror:
        raise FetchError(f"Could not resolve {host}.") from None
    allowed = [info for info in infos if address_allowed(str(info[4][0]))]
    if not allowed:
        raise FetchError(
            f"{host} resolves to a private or reserved address "
            "(allow its network with UPSTREAM_ALLOWED_NETWORKS)."
        )
    last: OSError | None = None
    for family, socktype, proto, _name, sockaddr in allowed:
        sock = socket.socket(family, socktype, proto)
        sock.settimeout(timeout)
        try:
            sock.connect(sockaddr)
        except OSError as exc:
            sock.close()
            last = exc
            continue
        return sock
    raise last or OSError("no address to connect to")


def _connection(url: str) -> tuple[http.client.HTTPConnection, str]:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FetchError("Not an http(s) URL.")
    timeout = settings.UPSTREAM_TIMEOUT_SECONDS
    conn: http.client.HTTPConnection
    if parts.scheme == "https":
        conn = http.client.HTTPSConnection(
            parts.hostname, parts.port, timeout=timeout, context=ssl.create_default_context()
        )
    else:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    conn._create_connection = _guarded_connect  # type: ignore[attr-defined]  # noqa: SLF001
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return conn, path


def get(url: str, *, etag: str = "", last_modified: str = "") -> Answer:
    """GET `url`, sending the validators of the last good answer. Raises FetchError."""
    for _ in range(MAX_REDIRECTS + 1):
        conn, path = _connection(url)
        headers = {"User-Agent": USER_AGENT, "Accept": "application/json, application/xml;q=0.9"}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        try:
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            location = response.getheader("Location", "")
            if response.status in (301, 302, 303, 307, 308) and location:
                url = urljoin(url, location)
                continue
            return _answer(response)
        except FetchError:
            raise
        except TimeoutError:
            raise FetchError("Timed out.") from None
        except ssl.SSLError as exc:
            raise FetchError(f"TLS error: {exc.reason or exc}.") from None
        except (OSError, http.client.HTTPException) as exc:
            raise FetchError(f"Connection failed: {exc or type(exc).__name__}.") from None
        finally:
            conn.close()
    raise FetchError("Too many redirects.")


def _answer(response: http.client.HTTPResponse) -> Answer:
    validators = {
        "etag": response.getheader("ETag", "")[:500],
        "last_modified": response.getheader("Last-Modified", "")[:100],
        "content_type": response.getheader("Content-Type", ""),
    }
    if response.status == 304:  # noqa: PLR2004
        return Answer(status=304, body=b"", **validators)
    if response.status != 200:  # noqa: PLR2004
        raise FetchError(f"HTTP {response.status} {response.reason}.")
    cap = settings.UPSTREAM_MAX_BYTES
    length = response.getheader("Content-Length", "")
    if length.isdigit() and int(length) > cap:
        raise FetchError(f"The answer is too large (over {cap} bytes).")
    body = response.read(cap + 1)
    if len(body) > cap:
        raise FetchError(f"The answer is too large (over {cap} bytes).")
    return Answer(status=200, body=body, **validators)
