"""Fixtures of the publishing tests: a directory target, a real S3 API server on loopback
(moto's standalone server, spoken to through boto3 as in production), and the small page of
the public-site tests."""

from __future__ import annotations

import json
import logging
import socket
import urllib.error
import urllib.request
from urllib.parse import quote

import boto3
import pytest
from moto.server import ThreadedMotoServer

from statuspage.publish.targets import DirectoryTarget, S3Target, parse_target
from tests.public.conftest import fresh_read_path, site  # noqa: F401 - fixtures used here

REGION = "us-east-1"
# The S3 server logs every request at INFO.
logging.getLogger("werkzeug").setLevel(logging.WARNING)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(autouse=True)
def _publish_state(settings, tmp_path, monkeypatch):
    """The publish lock file in this test's folder; no target unless a test names one.
    Two languages, not all thirteen: each offered language adds a copy of every translated
    page to a publish, and one besides the default covers the prefixed pages' rules (the app
    started in a subprocess reads the same offer from its environment)."""
    settings.DATA_DIR = tmp_path / "var"
    settings.PUBLISH_TARGETS = []
    settings.PUBLIC_LANGUAGES = ["en", "de"]
    monkeypatch.setenv("PUBLIC_LANGUAGES", "en,de")


@pytest.fixture
def directory(tmp_path) -> DirectoryTarget:
    target = parse_target(f"file://{tmp_path / 'published'}")
    assert isinstance(target, DirectoryTarget)
    return target


@pytest.fixture(scope="session")
def s3_server():
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


_buckets = iter(range(1, 10_000))


@pytest.fixture
def bucket(s3_server, settings, monkeypatch) -> S3Target:
    """A fresh bucket on the S3 server, and the settings and credentials production reads."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    settings.PUBLISH_S3_ENDPOINT_URL = s3_server
    settings.PUBLISH_S3_REGION = REGION
    settings.PUBLISH_S3_ADDRESSING_STYLE = "path"
    name = f"status-{next(_buckets)}"
    admin = boto3.client("s3", endpoint_url=s3_server, region_name=REGION)
    admin.create_bucket(Bucket=name)
    # Readers fetch published objects anonymously: the bucket is public-read, as deployed
    # (docs/publishing.md).
    admin.put_bucket_policy(Bucket=name, Policy=json.dumps(public_read(name)))
    target = parse_target(f"s3://{name}/site")
    assert isinstance(target, S3Target)
    return target


def public_read(bucket: str) -> dict:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{bucket}/*",
            }
        ],
    }


def http_get(url: str) -> tuple[int, dict[str, str], bytes]:
    """A plain anonymous GET, as a reader's browser (or a CDN) fetches an object."""
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:  # noqa: S310 - loopback
            return answer.status, {k.lower(): v for k, v in answer.headers.items()}, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()


def object_url(server: str, target: S3Target, key: str) -> str:
    return f"{server}/{target.bucket}/{quote(target.name(key))}"


def count_puts(target: S3Target) -> list[str]:
    """The keys of every PutObject the target's own boto3 client sends from now on."""
    keys: list[str] = []

    def record(params, **kwargs):
        keys.append(params["Key"])

    target.client().meta.events.register("provide-client-params.s3.PutObject", record)
    return keys
