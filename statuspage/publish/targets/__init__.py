"""Where documents are published: a local directory or an S3-compatible bucket.

`PUBLISH_TARGETS` is a comma-separated list of URLs (`file:///srv/status`, `s3://bucket/prefix`);
`parse_target` is the one reading of them (the system check and the publisher both use it).

Each target keeps a manifest (key -> digest of the bytes and headers, the generation it was
published for), written after the objects it describes. A publish writes only the objects
whose digest differs from the manifest's, removes the ones it no longer lists, then writes the
manifest. How each target makes that switch safe for readers is described on its class.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

from django.conf import settings

from statuspage.publish.targets.base import (
    MANIFEST,
    MANIFEST_FORMAT,
    BeforeWrite,
    KeptMissing,
    Manifest,
    Outcome,
    Target,
    TargetError,
    changed_keys,
)
from statuspage.publish.targets.directory import PREPARED, REMOVED, WRITERS, DirectoryTarget
from statuspage.publish.targets.s3 import S3_OPTIONS, S3Options, S3Target, s3_options

__all__ = [
    "MANIFEST",
    "MANIFEST_FORMAT",
    "PREPARED",
    "REMOVED",
    "WRITERS",
    "BeforeWrite",
    "DirectoryTarget",
    "KeptMissing",
    "Manifest",
    "Outcome",
    "S3Options",
    "S3Target",
    "Target",
    "TargetError",
    "changed_keys",
    "configured_targets",
    "parse_target",
]

# S3 bucket names (the DNS-compatible rule every S3 implementation accepts).
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")


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
        return S3Target(url, parts.netloc, prefix, s3_options(url, options), page=page)
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


def configured_targets() -> list[Target]:
    return [parse_target(url) for url in settings.PUBLISH_TARGETS]
