"""What every target shares: the manifest, a publish's outcome, the Target protocol, and
which objects a publish writes and deletes."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from statuspage.publish.render import Rendered

MANIFEST = ".publish-manifest.json"
MANIFEST_FORMAT = 1


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
    # When the documents that move with the clock alone (the calendars of components that are
    # down) were last rendered (ISO 8601): services.LIVE_EVERY.
    live_at: str = ""

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
                "live_at": self.live_at,
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
                live_at=str(data.get("live_at") or ""),
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

    def prepare(self, previous: Manifest | None) -> None:
        """Called before the documents render, with the manifest `publish` will be given:
        a target may start what does not depend on them. None drops what an earlier call
        began (the renders failed)."""
        ...

    def publish(
        self,
        documents: Mapping[str, Rendered],
        manifest: Manifest,
        previous: Manifest | None,
        *,
        before_write: BeforeWrite | None = None,
    ) -> Outcome: ...


class KeptMissing(Exception):
    """A document kept from the previous publish (not rendered again) is not in the target:
    the target was damaged or emptied behind the manifest's back. Rendering everything fixes
    it."""


def changed_keys(
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
