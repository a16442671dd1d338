"""HTTP checks against answers framed every way (chunked, closed connection, HEAD), answers that
are not HTTP, and HTTPS: an untrusted or expired certificate fails, one about to expire is
degraded. TLS tests run on the machine's clock: OpenSSL judges certificates by it."""

from __future__ import annotations

import datetime as dt
import socket
import ssl
import threading

import pytest

from statuspage.monitors.checks import http as http_check
from statuspage.monitors.models import MonitorResult
from statuspage.monitors.runner import run_due

from .conftest import Target, status_of

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("framing", ["chunked", "close"])
def test_bodies_framed_without_a_length_are_read(target, make_monitor, tick, framing):
    target.behaviour.framing = framing
    target.behaviour.body = "status: healthy and well"
    make_monitor(kind="http", url=target.url(), keyword="healthy and well")
    tick()
    result = MonitorResult.objects.get()
    assert result.ok, result.detail


def test_head_reads_no_body(target, make_monitor, tick):
    make_monitor(kind="http", url=target.url(), method="HEAD", keyword="healthy")
    tick()
    # HEAD has no body to look in: the keyword cannot be found.
    assert MonitorResult.objects.get().detail == "HTTP 200, keyword 'healthy' not found"


def test_a_303_turns_a_post_into_a_get(target, make_monitor, tick):
    target.paths["/submit"] = type(target.behaviour)(status=303, headers={"Location": "/health"})
    make_monitor(kind="http", url=target.url("/submit"), method="POST")
    tick()
    assert MonitorResult.objects.get().ok
    assert target.paths["/submit"].hits == 1 and target.behaviour.hits == 1


@pytest.fixture
def raw_server():
    """A TCP server that answers every connection with `reply` and closes."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    state = {"reply": b""}

    def serve():
        while True:
            try:
                conn, _ = sock.accept()
            except OSError:
                return
            with conn:
                conn.recv(65536)
                conn.sendall(state["reply"])

    threading.Thread(target=serve, daemon=True).start()
    yield sock.getsockname()[1], state
    sock.close()


@pytest.mark.parametrize(
    ("reply", "detail"),
    [
        (b"", "The connection closed before an answer"),
        (b"SSH-2.0-OpenSSH\r\n\r\n", "The answer is not HTTP"),
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
            "A chunked answer is malformed",
        ),
        (b"HTTP/1.1 301 Moved\r\nLocation: ftp://x/\r\n\r\n", "Cannot follow to 'ftp://x/'"),
    ],
)
def test_answers_that_are_not_usable_fail_with_a_reason(
    raw_server, make_monitor, tick, reply, detail
):
    port, state = raw_server
    state["reply"] = reply
    make_monitor(kind="http", url=f"http://127.0.0.1:{port}/", keyword="x")
    tick()
    assert MonitorResult.objects.get().detail == detail


def _certificate(tmp_path, *, not_after: dt.datetime):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(dt.datetime.now(dt.UTC) - dt.timedelta(days=30))
        .not_valid_after(not_after)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(cert_path, key_path)
    return server, cert_path


@pytest.fixture
def tls_target(tmp_path, monkeypatch):
    """tls_target(days_left) -> an HTTPS Target for `localhost` whose certificate the checks
    trust (the process-wide context trusts this test's certificate only) and which expires in
    `days_left` days (negative: expired)."""
    servers = []

    def make(days_left: float) -> Target:
        not_after = dt.datetime.now(dt.UTC) + dt.timedelta(days=days_left)
        context, cert = _certificate(tmp_path, not_after=not_after)
        monkeypatch.setattr(http_check, "_TLS", ssl.create_default_context(cafile=str(cert)))
        server = Target("127.0.0.1", tls=context)
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.close()


def _https(server: Target) -> str:
    return f"https://localhost:{server.port}/health"


@pytest.mark.real_clock
def test_a_trusted_certificate_far_from_expiry_is_up(tls_target, make_monitor):
    server = tls_target(365)
    make_monitor(kind="http", url=_https(server), tls_expiry_warning_days=14, keyword="healthy")
    run_due(region="default")
    result = MonitorResult.objects.get()
    assert (result.ok, result.degraded, result.detail) == (True, False, "HTTP 200")


@pytest.mark.real_clock
def test_a_certificate_about_to_expire_degrades_the_component(tls_target, make_monitor, api):
    server = tls_target(5)
    make_monitor(
        kind="http", url=_https(server), tls_expiry_warning_days=14, failures_before_down=1
    )
    run_due(region="default")
    result = MonitorResult.objects.get()
    assert result.ok and result.degraded
    assert "TLS certificate expires on" in result.detail
    assert status_of(api) == "degraded_performance"


@pytest.mark.real_clock
def test_an_expired_certificate_fails(tls_target, make_monitor, api):
    server = tls_target(-1)
    make_monitor(kind="http", url=_https(server), failures_before_down=1)
    run_due(region="default")
    result = MonitorResult.objects.get()
    assert not result.ok
    assert result.detail.startswith("TLS certificate not valid: certificate has expired")
    assert status_of(api) == "major_outage"


@pytest.mark.real_clock
def test_an_untrusted_certificate_fails(tls_target, make_monitor, monkeypatch):
    server = tls_target(365)
    monkeypatch.setattr(http_check, "_TLS", None)  # the system's trust store
    make_monitor(kind="http", url=_https(server))
    run_due(region="default")
    assert MonitorResult.objects.get().detail.startswith("TLS certificate not valid")
