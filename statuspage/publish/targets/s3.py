"""An S3-compatible bucket target, through boto3."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings

from statuspage.publish.render import Rendered
from statuspage.publish.targets.base import (
    MANIFEST,
    BeforeWrite,
    Manifest,
    Outcome,
    TargetError,
    changed_keys,
)

# Objects a publish uploads side by side (S3Target.publish).
UPLOADERS = 16

# What an s3:// target's query may set for that target alone (docs/publishing.md, "Targets"):
# the PUBLISH_S3_* settings otherwise, for every s3:// target.
S3_OPTIONS = ("endpoint", "region", "addressing", "credentials")
# `credentials=NAME` reads NAME_ACCESS_KEY_ID, NAME_SECRET_ACCESS_KEY (and NAME_SESSION_TOKEN,
# if set) from the environment: secrets stay out of the target list, which is logged.
_ENV_PREFIX = re.compile(r"[A-Z][A-Z0-9_]{0,63}")


@dataclass(frozen=True)
class S3Options:
    """One s3:// target's own endpoint, region, addressing style and credentials' variables
    (empty: the PUBLISH_S3_* settings, and boto3's own credentials chain)."""

    endpoint: str = ""
    region: str = ""
    addressing: str = ""
    credentials: str = ""


def s3_options(url: str, given: dict[str, str]) -> S3Options:
    options = S3Options(**given)
    endpoint = urlsplit(options.endpoint)
    if options.endpoint and (endpoint.scheme not in ("http", "https") or not endpoint.netloc):
        raise TargetError(f"{url!r}: endpoint must be an http:// or https:// URL.")
    if options.addressing not in ("", "auto", "path", "virtual"):
        raise TargetError(f"{url!r}: addressing is auto, path or virtual.")
    if options.credentials and not _ENV_PREFIX.fullmatch(options.credentials):
        raise TargetError(
            f"{url!r}: credentials names environment variables' prefix (A-Z, 0-9, _)."
        )
    return options


class S3Target:
    """An S3-compatible bucket (AWS S3, Cloudflare R2, MinIO, Google Cloud Storage's XML API),
    objects under an optional prefix, through boto3.

    Every PUT replaces one object atomically; a publish writes the changed objects, deletes
    the removed ones, then writes the manifest. A reader may for a moment see a new front page
    next to an old permalink (there is no bucket-wide switch in S3), never a half-written
    object; the manifest only ever describes a publish that finished. A publish that stopped
    half-way is finished by the next one (the job's retry), from the manifest it left."""

    def __init__(
        self,
        url: str,
        bucket: str,
        prefix: str,
        options: S3Options | None = None,
        *,
        page: str = "",
    ):
        self.url = url
        self.bucket = bucket
        self.prefix = prefix
        self.options = options or S3Options()
        self.page = page
        self._client: Any = None

    def under(self, slug: str) -> S3Target:
        """Page `slug`'s objects and manifest under `<prefix>/p/<slug>/`."""
        prefix = f"{self.prefix}/p/{slug}" if self.prefix else f"p/{slug}"
        target = S3Target(f"{self.url} [p/{slug}]", self.bucket, prefix, self.options, page=slug)
        target._client = self._client
        return target

    def name(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def client(self) -> Any:
        """One boto3 client per target object: the target's own endpoint, region, addressing
        and credentials where its URL names them, else the PUBLISH_S3_* settings and boto3's
        own credentials chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, a profile, an
        instance role). Raises TargetError when the named credentials are not set."""
        if self._client is not None:
            return self._client
        import boto3
        from botocore.config import Config

        options = self.options
        self._client = boto3.session.Session(**self._credentials()).client(
            "s3",
            endpoint_url=options.endpoint or settings.PUBLISH_S3_ENDPOINT_URL or None,
            region_name=options.region or settings.PUBLISH_S3_REGION or None,
            config=Config(
                s3={"addressing_style": options.addressing or settings.PUBLISH_S3_ADDRESSING_STYLE},
                # A connection for each upload thread (botocore's default pool holds 10).
                max_pool_connections=UPLOADERS,
                connect_timeout=5,
                read_timeout=30,
                retries={"max_attempts": 3, "mode": "standard"},
            ),
        )
        return self._client

    def _credentials(self) -> dict[str, str]:
        prefix = self.options.credentials
        if not prefix:
            return {}
        names = {
            "aws_access_key_id": f"{prefix}_ACCESS_KEY_ID",
            "aws_secret_access_key": f"{prefix}_SECRET_ACCESS_KEY",
        }
        missing = [name for name in names.values() if not os.environ.get(name)]
        if missing:
            raise TargetError(f"{self.url}: {' and '.join(missing)} not set.")
        found = {arg: os.environ[name] for arg, name in names.items()}
        token = os.environ.get(f"{prefix}_SESSION_TOKEN")
        if token:
            found["aws_session_token"] = token
        return found

    def prepare(self, previous: Manifest | None) -> None:
        """Nothing: a bucket keeps its unchanged objects where they are."""

    def read_manifest(self) -> Manifest | None:
        client = self.client()
        try:
            answer = client.get_object(Bucket=self.bucket, Key=self.name(MANIFEST))
        except client.exceptions.NoSuchKey:
            return None
        return Manifest.loads(answer["Body"].read())

    def publish(
        self,
        documents: Mapping[str, Rendered],
        manifest: Manifest,
        previous: Manifest | None,
        *,
        before_write: BeforeWrite | None = None,
    ) -> Outcome:
        client = self.client()
        outcome = Outcome(self.url)
        write, delete = changed_keys(documents, manifest, previous)
        # Side by side: each PUT is a round trip of tens of milliseconds to a real bucket, and
        # an incident update changes about 150 objects. A boto3 client is safe across threads.
        with ThreadPoolExecutor(UPLOADERS, thread_name_prefix="publish-upload") as pool:
            puts: list[tuple[str, Future[None]]] = []
            for key in write:
                if before_write is not None:
                    before_write(key)
                puts.append((key, pool.submit(self._put, client, key, documents[key])))
            for key, put in puts:
                put.result()
                outcome.written.append(key)
                outcome.bytes_written += len(documents[key].body)
        for start in range(0, len(delete), 1000):  # DeleteObjects takes 1,000 keys at most
            batch = delete[start : start + 1000]
            client.delete_objects(
                Bucket=self.bucket,
                Delete={"Objects": [{"Key": self.name(k)} for k in batch], "Quiet": True},
            )
        outcome.deleted = delete
        self.write_manifest(manifest)
        return outcome

    def _put(self, client: Any, key: str, doc: Rendered) -> None:
        client.put_object(
            Bucket=self.bucket,
            Key=self.name(key),
            Body=doc.body,
            ContentType=doc.content_type,
            CacheControl=doc.cache_control,
        )

    def write_manifest(self, manifest: Manifest) -> None:
        self.client().put_object(
            Bucket=self.bucket,
            Key=self.name(MANIFEST),
            Body=manifest.dumps(),
            ContentType="application/json",
            CacheControl="no-cache",
        )
