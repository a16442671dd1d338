"""Each s3:// target may name its own endpoint, region, addressing and credentials (a bucket at
one provider, a second at another): two S3 API servers on loopback (moto's standalone
server), each target published through its own, with its own keys. (Two moto servers in one
process share one store, so which server each request reached is read from the requests.)"""

from __future__ import annotations

import json

import boto3
import pytest
from moto.server import ThreadedMotoServer

from statuspage.publish.render import Rendered
from statuspage.publish.targets import MANIFEST, Manifest, S3Target, TargetError, parse_target
from tests.publish.conftest import REGION, free_port, http_get, object_url, public_read


@pytest.fixture(scope="module")
def second_server():
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


def _bucket(server: str, name: str) -> None:
    admin = boto3.client(
        "s3",
        endpoint_url=server,
        region_name=REGION,
        aws_access_key_id="admin",
        aws_secret_access_key="admin",
    )
    admin.create_bucket(Bucket=name)
    admin.put_bucket_policy(Bucket=name, Policy=json.dumps(public_read(name)))


def _sent_by(target: S3Target) -> list[tuple[str, str]]:
    """(the URL, the access key it is signed with) of each request of the target's client."""
    sent: list[tuple[str, str]] = []

    def record(request, **kwargs):
        authorization = request.headers.get("Authorization", b"")
        if isinstance(authorization, bytes):
            authorization = authorization.decode()
        key = authorization.partition("Credential=")[2].partition("/")[0]
        sent.append((request.url, key))

    target.client().meta.events.register("before-send.s3", record)
    return sent


def _document(text: str) -> Rendered:
    return Rendered(
        path="/",
        query="",
        key="index.html",
        body=text.encode(),
        content_type="text/html; charset=utf-8",
        cache_control="public, max-age=30",
    )


def test_each_target_publishes_through_its_own_endpoint_and_keys(
    s3_server, second_server, settings, monkeypatch
):
    # The shared settings point nowhere and no default keys are set: only each target's own
    # endpoint and credentials can succeed.
    settings.PUBLISH_S3_ENDPOINT_URL = "http://127.0.0.1:9"
    settings.PUBLISH_S3_REGION = "eu-west-3"
    settings.PUBLISH_S3_ADDRESSING_STYLE = "virtual"
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("FIRST_ACCESS_KEY_ID", "first-key")
    monkeypatch.setenv("FIRST_SECRET_ACCESS_KEY", "first-secret")
    monkeypatch.setenv("SECOND_ACCESS_KEY_ID", "second-key")
    monkeypatch.setenv("SECOND_SECRET_ACCESS_KEY", "second-secret")
    monkeypatch.setenv("SECOND_SESSION_TOKEN", "second-token")
    _bucket(s3_server, "status-first")
    _bucket(second_server, "status-second")
    first = parse_target(
        f"s3://status-first/site?endpoint={s3_server}&region={REGION}"
        "&addressing=path&credentials=FIRST"
    )
    second = parse_target(
        f"s3://status-second?endpoint={second_server}&region={REGION}"
        "&addressing=path&credentials=SECOND"
    )
    assert isinstance(first, S3Target) and isinstance(second, S3Target)
    sent = {first.url: _sent_by(first), second.url: _sent_by(second)}

    for target, text in ((first, "first copy"), (second, "second copy")):
        document = _document(text)
        manifest = Manifest(7, "7.2026-11-18", {document.key: document.digest})
        outcome = target.publish({document.key: document}, manifest, None)
        assert outcome.written == ["index.html"]
        assert target.read_manifest() == manifest

    assert http_get(object_url(s3_server, first, "index.html"))[2] == b"first copy"
    assert http_get(object_url(second_server, second, "index.html"))[2] == b"second copy"
    assert http_get(object_url(second_server, second, MANIFEST))[0] == 200
    # Path-style URLs on each target's own server, signed with its own key.
    assert len(sent[first.url]) == len(sent[second.url]) == 3
    for url, key in sent[first.url]:
        assert url.startswith(f"{s3_server}/status-first/site/") and key == "first-key"
    for url, key in sent[second.url]:
        assert url.startswith(f"{second_server}/status-second/") and key == "second-key"
    assert first.client().meta.region_name == REGION


def test_credentials_named_but_not_set_fail_that_target_with_the_names(monkeypatch):
    monkeypatch.delenv("MISSING_ACCESS_KEY_ID", raising=False)
    monkeypatch.setenv("MISSING_SECRET_ACCESS_KEY", "secret")
    target = parse_target("s3://status-bucket?credentials=MISSING")
    assert isinstance(target, S3Target)

    with pytest.raises(TargetError, match="MISSING_ACCESS_KEY_ID not set"):
        target.read_manifest()
