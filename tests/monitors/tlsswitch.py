"""An HTTPS target on loopback whose certificate is switched while it runs: a test CA signs
leaf certificates for `localhost` that expire when the test says, and the server hands each
new connection the certificate of the moment (its SNI callback swaps the connection's
context), so the same port serves a valid, an expiring, an expired and a valid certificate
again. Clients trust the CA (`ca_path`)."""

from __future__ import annotations

import datetime as dt
import ssl
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from .conftest import Target

HOST = "localhost"


def _pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


class SwitchableTlsTarget:
    def __init__(self, directory: Path, days_left: float = 365) -> None:
        self.directory = directory
        self._now = dt.datetime.now(dt.UTC)
        self._ca_key = ec.generate_private_key(ec.SECP256R1())
        self._ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Status test CA")])
        ca = (
            x509.CertificateBuilder()
            .subject_name(self._ca_name)
            .issuer_name(self._ca_name)
            .public_key(self._ca_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(self._now - dt.timedelta(days=400))
            .not_valid_after(self._now + dt.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .sign(self._ca_key, hashes.SHA256())
        )
        self.ca_path = directory / "test-ca.pem"
        self.ca_path.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
        self._serial = 0
        self.current = self._context(days_left)
        listening = self._context(days_left)
        # Called for every handshake that names a server (the checks send SNI for a host
        # name): the connection takes the context of the moment.
        listening.sni_callback = self._pick
        self.server = Target("127.0.0.1", tls=listening)
        self.port = self.server.port

    def url(self, path: str = "/health") -> str:
        return f"https://{HOST}:{self.port}{path}"

    def switch(self, days_left: float) -> None:
        """From the next connection on, a certificate that expires in `days_left` days
        (negative: expired that long ago)."""
        self.current = self._context(days_left)

    def close(self) -> None:
        self.server.close()

    def _pick(self, sock: ssl.SSLObject | ssl.SSLSocket, name: str | None, _ctx) -> None:
        sock.context = self.current

    def _context(self, days_left: float) -> ssl.SSLContext:
        key = ec.generate_private_key(ec.SECP256R1())
        not_after = self._now + dt.timedelta(days=days_left)
        leaf = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HOST)]))
            .issuer_name(self._ca_name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(min(not_after, self._now) - dt.timedelta(days=30))
            .not_valid_after(not_after)
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(HOST)]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .sign(self._ca_key, hashes.SHA256())
        )
        self._serial += 1
        cert_path = self.directory / f"leaf-{self._serial}.pem"
        key_path = self.directory / f"leaf-{self._serial}.key"
        cert_path.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
        key_path.write_bytes(_pem_key(key))
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert_path, key_path)
        return context
