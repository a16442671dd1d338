"""Where documents are published: a local directory or an S3-compatible bucket.

`PUBLISH_TARGETS` is a comma-separated list of URLs (`file:///srv/status`, `s3://bucket/prefix`);
`parse_target` is the one reading of them (the system check and the publisher both use it).

Each target keeps a manifest (key -> digest of the bytes and headers, the generation it was
published for), written after the objects it describes. A publish writes only the objects
whose digest differs from the manifest's, removes the ones it no longer lists, then writes the
manifest. How each target makes that switch safe for readers is described on its class.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qsl, unquote, urlsplit

from django.conf import settings

from statuspage.publish import background
from statuspage.publish.render import Rendered

MANIFEST = ".publish-manifest.json"
MANIFEST_FORMAT = 1
# Threads that compress, write and link a directory target's files: zlib and the file system
# calls let go of the GIL, so a publish's files are written side by side.
WRITERS = 4
# S3 bucket names (the DNS-compatible rule every S3 implementation accepts).
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")


class TargetError(ValueError):
    """A PUBLISH_TARGETS entry that cannot be used, with what is wrong with it."""


@dataclass(frozen=True)
class Manifest:
    generation: int
    version: str
    # key -> digest of every object
    objects: dict[str, str] = field(default_factory=dict)
    # What a later publish needs to render only what a change touches (services.plan_for):
    # key -> the origin's path and query; key -> the keys the document leads to; the page's
    # history version; when every document was last rendered (ISO 8601).
    paths: dict[str, str] = field(default_factory=dict)
    links: dict[str, list[str]] = field(default_factory=dict)
    history_version: int = 0
    full_at: str = ""
    # The page's indicator and description, which every HTML page shows in its title and icon.
    status: str = ""
    # How many documents this publish rendered (the others were kept): for the curious.
    rendered: int = 0

    def dumps(self) -> bytes:
        return json.dumps(
            {
                "format": MANIFEST_FORMAT,
                "generation": self.generation,
                "version": self.version,
                "objects": self.objects,
                "paths": self.paths,
                "links": self.links,
                "history_version": self.history_version,
                "full_at": self.full_at,
                "status": self.status,
                "rendered": self.rendered,
            },
            sort_keys=True,
            separators=(",", ":"),
        ).encode()

    @classmethod
    def loads(cls, raw: bytes) -> Manifest | None:
        """None for anything that is not a manifest of this format: the next publish then
        writes every object, which is always safe."""
        try:
            data = json.loads(raw)
            if data.get("format") != MANIFEST_FORMAT:
                return None
            return cls(
                int(data["generation"]),
                str(data["version"]),
                dict(data["objects"]),
                paths=dict(data.get("paths") or {}),
                links={k: list(v) for k, v in (data.get("links") or {}).items()},
                history_version=int(data.get("history_version") or 0),
                full_at=str(data.get("full_at") or ""),
                status=str(data.get("status") or ""),
                rendered=int(data.get("rendered") or 0),
            )
        except (ValueError, TypeError, KeyError, AttributeError):
            return None


@dataclass
class Outcome:
    """What one publish did to one target."""

    target: str
    written: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    bytes_written: int = 0


# Called before each object is written (tests stop a publish half-way through with it).
BeforeWrite = Callable[[str], None]


class Target(Protocol):
    url: str
    # The slug of the only page this target receives, at its root (a page's own host);
    # "" for a shared target: the default page at the root, every other public page under
    # `p/<slug>/` (docs/publishing.md, "Several pages").
    page: str

    def under(self, slug: str) -> Target:
        """The same target for page `slug`'s documents, kept under `p/<slug>/` with their own
        manifest, published and switched independently of the other pages'."""
        ...

    def read_manifest(self) -> Manifest | None: ...

    def write_manifest(self, manifest: Manifest) -> None: ...

    def publish(
        self,
        documents: Mapping[str, Rendered],
        manifest: Manifest,
        previous: Manifest | None,
        *,
        before_write: BeforeWrite | None = None,
    ) -> Outcome: ...


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


def parse_target(url: str) -> Target:
    """One PUBLISH_TARGETS entry as a target. Raises TargetError naming what is wrong."""
    parts = urlsplit(url)
    if parts.fragment:
        raise TargetError(f"{url!r}: a target URL takes no fragment.")
    if parts.scheme == "file":
        if parts.netloc not in ("", "localhost"):
            raise TargetError(f"{url!r}: a file URL names a local directory: file:///srv/status.")
        path = unquote(parts.path)
        if not path.startswith("/") or path.rstrip("/") == "":
            raise TargetError(f"{url!r}: give an absolute directory other than /.")
        options = _options(url, parts.query, ())
        return DirectoryTarget(url, Path(path), page=options.pop("page", ""))
    if parts.scheme == "s3":
        if not _BUCKET.fullmatch(parts.netloc or ""):
            raise TargetError(f"{url!r}: {parts.netloc!r} is not a valid S3 bucket name.")
        prefix = unquote(parts.path).strip("/")
        if any(s in ("", ".", "..") for s in prefix.split("/")) and prefix:
            raise TargetError(f"{url!r}: the prefix may not hold empty, . or .. segments.")
        options = _options(url, parts.query, S3_OPTIONS)
        page = options.pop("page", "")
        return S3Target(url, parts.netloc, prefix, _s3_options(url, options), page=page)
    raise TargetError(
        f"{url!r}: unknown target; use file:///absolute/directory or s3://bucket/prefix."
    )


# A page's slug, as `page=` names it (the characters Django's SlugField allows).
_SLUG = re.compile(r"[-a-zA-Z0-9_]{1,100}")


def _options(url: str, query: str, names: tuple[str, ...]) -> dict[str, str]:
    """A target URL's query: `page=<slug>` for any target, and `names` (the s3 options)."""
    try:
        pairs = parse_qsl(query, keep_blank_values=True, strict_parsing=bool(query))
    except ValueError:
        raise TargetError(f"{url!r}: the query is not name=value pairs.") from None
    given = dict(pairs)
    allowed = ("page", *names)
    unknown = [name for name, _ in pairs if name not in allowed]
    if unknown or len(given) != len(pairs):
        raise TargetError(
            f"{url!r}: this target takes each of {', '.join(allowed)} once at most"
            f" ({', '.join(unknown) or 'repeated'})."
        )
    if "page" in given and not _SLUG.fullmatch(given["page"]):
        raise TargetError(f"{url!r}: page names a page by its slug.")
    return given


def _s3_options(url: str, given: dict[str, str]) -> S3Options:
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


def configured_targets() -> list[Target]:
    return [parse_target(url) for url in settings.PUBLISH_TARGETS]


class KeptMissing(Exception):
    """A document kept from the previous publish (not rendered again) is not in the target:
    the target was damaged or emptied behind the manifest's back. Rendering everything fixes
    it."""


def _changed(
    documents: Mapping[str, Rendered], manifest: Manifest, previous: Manifest | None
) -> tuple[list[str], list[str]]:
    """(keys to write, keys to delete) against the previous manifest. `documents` are the
    ones rendered; the manifest's other objects are kept as the previous publish left them,
    which only a previous manifest listing them with the same digest allows."""
    before = previous.objects if previous else {}
    for key, digest in manifest.objects.items():
        if key not in documents and before.get(key) != digest:
            raise KeptMissing(f"{key} was not rendered and is not published as it should be")
    write = [k for k, doc in documents.items() if before.get(k) != doc.digest]
    delete = [k for k in before if k not in manifest.objects]
    return write, delete


class DirectoryTarget:
    """A directory served by a static server (nginx's `root <dir>/current`).

    Each publish builds a new generation folder under `generations/`: unchanged files are hard
    links to the previous generation's (no bytes copied), changed ones are written, removed
    ones are simply absent; the manifest goes in last. Then `current`, a symlink, is swapped to
    it with one rename(2). A reader resolves `current` once per request, so it sees either the
    whole previous publish or the whole new one, never a mix; a file already open stays
    readable after its generation is removed. Two generations are kept, so a request that
    resolved the old one a moment ago still finds its files."""

    def __init__(self, url: str, root: Path, *, page: str = ""):
        self.url = url
        self.root = root
        self.page = page
        # Where a shared target reaches this page's `current` (set by `under`).
        self.entry: Path | None = None

    def under(self, slug: str) -> DirectoryTarget:
        """Page `slug` in its own folder (`pages/<slug>`, with its own generations and
        `current`), reached as `current/p/<slug>`: every root generation holds `p`, a link to
        the folder `p` whose `<slug>` links to that page's `current`. Each page then switches
        on its own, atomically, and nginx (which follows links unless `disable_symlinks` says
        otherwise) serves the whole tree from `current`."""
        target = DirectoryTarget(f"{self.url} [p/{slug}]", self.root / "pages" / slug, page=slug)
        target.entry = self.root / "p" / slug
        return target

    @property
    def current(self) -> Path:
        return self.root / "current"

    def read_manifest(self) -> Manifest | None:
        try:
            return Manifest.loads((self.current / MANIFEST).read_bytes())
        except OSError:
            return None

    def write_manifest(self, manifest: Manifest) -> None:
        _write(self.current / MANIFEST, manifest.dumps())

    def publish(
        self,
        documents: Mapping[str, Rendered],
        manifest: Manifest,
        previous: Manifest | None,
        *,
        before_write: BeforeWrite | None = None,
    ) -> Outcome:
        outcome = Outcome(self.url)
        write, outcome.deleted = _changed(documents, manifest, previous)
        changed = set(write)
        old = self.current.resolve() if self.current.exists() else None
        generations = self.root / "generations"
        name = f"g{manifest.generation}-{uuid.uuid4().hex[:8]}"
        folder = generations / name
        folder.mkdir(parents=True)
        try:
            with ThreadPoolExecutor(WRITERS, thread_name_prefix="publish-write") as pool:
                # The kept documents in a few batches: one task each would cost more in the
                # handing over than the links themselves.
                missing = sorted(manifest.objects.keys() - documents.keys())
                if missing and old is None:
                    raise KeptMissing(f"{missing[0]} is missing from {self.current}")
                step = max(64, len(missing) // WRITERS + 1)
                kept = [
                    pool.submit(_link_all_kept, old, folder, missing[n : n + step])
                    for n in range(0, len(missing), step)
                ]
                placed: list[tuple[str, Future[int | None]]] = []
                for key, doc in documents.items():
                    if key in changed or old is None:
                        if before_write is not None:
                            before_write(key)
                        placed.append((key, pool.submit(_place, folder, key, doc, None)))
                    else:
                        placed.append((key, pool.submit(_place, folder, key, doc, old)))
                for batch in kept:
                    if lacking := batch.result():
                        raise KeptMissing(f"{lacking} is missing from {self.current}")
                for key, wrote in placed:
                    size = wrote.result()
                    if size is not None:
                        outcome.bytes_written += size
                        outcome.written.append(key)
            if not self.page:
                # The root of a shared target: the other pages' documents (`p/<slug>/`),
                # each switched by its own publish.
                (folder / "p").symlink_to(Path("..") / ".." / "p")
            _write(folder / MANIFEST, manifest.dumps())
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        link = self.root / f".current-{uuid.uuid4().hex[:8]}"
        link.symlink_to(Path("generations") / name)
        os.replace(link, self.current)
        if self.entry is not None and not self.entry.is_symlink():
            # Made at the page's first publish only: a page never published leaves no name.
            self.entry.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.entry.with_name(f".{self.entry.name}.{uuid.uuid4().hex[:8]}")
            tmp.symlink_to(Path("..") / "pages" / self.entry.name / "current")
            os.replace(tmp, self.entry)
        self._prune(generations, keep={folder, *([old] if old else [])})
        return outcome

    def _prune(self, generations: Path, keep: set[Path]) -> None:
        """Remove every generation but the new one and the one before it, including any that
        a publish killed half-way left behind (never linked as `current`).

        Each is moved out of `generations/` at once (one rename), then its files are deleted
        on the publish's background thread (background.py): the new generation is already
        what readers get, so the deletion is no part of the publish's wait. A deletion cut
        short (the process ended) is finished by the next publish's."""
        kept = {k.resolve() for k in keep}
        # This publish's own folder for what it removes: no other deletion touches it
        # before its thread starts.
        trash = self.root / f"{REMOVED}{uuid.uuid4().hex[:8]}"
        for folder in generations.iterdir():
            if folder.is_dir() and folder.resolve() not in kept:
                trash.mkdir(exist_ok=True)
                os.replace(folder, trash / folder.name)
        leftovers = [p for p in self.root.glob(f"{REMOVED}*") if p != trash]
        if trash.is_dir() or leftovers:
            folders = [trash, *leftovers]
            background.run(lambda: _remove(folders))


# What a publish removed, being deleted (DirectoryTarget._prune): `<root>/.removed-<id>`.
REMOVED = ".removed-"


def _remove(folders: list[Path]) -> None:
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)


def _place(folder: Path, key: str, doc: Rendered, old: Path | None) -> int | None:
    """Put a rendered document (and its gzip copy) in the new generation: hard-linked from
    the previous one (`old`) when unchanged and there (None), else written (the bytes)."""
    names = [(key, doc.body), (key + ".gz", doc.gzip_body)]
    if old is not None and _link(old, folder, names):
        return None
    size = 0
    for file_name, data in names:
        if data is not None:
            _write(folder / file_name, data)
            size += len(data)
    return size


def _link(old: Path, new: Path, names: list[tuple[str, bytes | None]]) -> bool:
    """Hard-link an unchanged object (and its .gz) from the previous generation. False when
    the previous generation lacks it (then it is written)."""
    for file_name, data in names:
        if data is not None and not (old / file_name).is_file():
            return False
    for file_name, data in names:
        if data is None:
            continue
        target = new / file_name
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(old / file_name, target)
        except OSError:  # a file system without hard links: copy
            shutil.copyfile(old / file_name, target)
    return True


def _link_all_kept(old: Path | None, new: Path, keys: list[str]) -> str | None:
    """_link_kept for each of `keys`; the first one the previous generation lacks, or None."""
    for key in keys:
        if old is None or not _link_kept(old, new, key):
            return key
    return None


def _link_kept(old: Path, new: Path, key: str) -> bool:
    """Hard-link a document that was not rendered again (and its .gz, if it has one) from
    the previous generation. False when the previous generation lacks it."""
    if not (old / key).is_file():
        return False
    names: list[tuple[str, bytes | None]] = [(key, b"")]
    if (old / f"{key}.gz").is_file():
        names.append((f"{key}.gz", b""))
    return _link(old, new, names)


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    tmp.write_bytes(data)
    tmp.chmod(0o644)
    os.replace(tmp, path)


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
        write, delete = _changed(documents, manifest, previous)
        for key in write:
            if before_write is not None:
                before_write(key)
            doc = documents[key]
            client.put_object(
                Bucket=self.bucket,
                Key=self.name(key),
                Body=doc.body,
                ContentType=doc.content_type,
                CacheControl=doc.cache_control,
            )
            outcome.written.append(key)
            outcome.bytes_written += len(doc.body)
        for start in range(0, len(delete), 1000):  # DeleteObjects takes 1,000 keys at most
            batch = delete[start : start + 1000]
            client.delete_objects(
                Bucket=self.bucket,
                Delete={"Objects": [{"Key": self.name(k)} for k in batch], "Quiet": True},
            )
        outcome.deleted = delete
        self.write_manifest(manifest)
        return outcome

    def write_manifest(self, manifest: Manifest) -> None:
        self.client().put_object(
            Bucket=self.bucket,
            Key=self.name(MANIFEST),
            Body=manifest.dumps(),
            ContentType="application/json",
            CacheControl="no-cache",
        )
