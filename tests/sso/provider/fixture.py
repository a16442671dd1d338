"""A real OpenID Connect provider for the single sign-on tests: django-oauth-toolkit with OIDC
on (tests/sso/provider), in its own process on a free loopback port with its own SQLite file
and an RS256 key made here, at the start of the session."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

ROOT = Path(__file__).resolve().parents[3]


@dataclass(frozen=True)
class Provider:
    issuer: str
    private_key_pem: str

    def url(self, path: str) -> str:
        return self.issuer.removesuffix("/o") + path


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory):
    folder = tmp_path_factory.mktemp("oidc-provider")
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    key_file = folder / "key.pem"
    key_file.write_text(pem)
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.sso.provider.run", str(key_file), str(folder / "db.sqlite3")],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        line = process.stdout.readline() if process.stdout else ""
        if not line.startswith("READY "):
            raise RuntimeError(f"the test OpenID Connect provider did not start: {line!r}")
        port = int(line.split()[1])
        yield Provider(issuer=f"http://127.0.0.1:{port}/o", private_key_pem=pem)
    finally:
        process.terminate()
        process.wait(timeout=10)
