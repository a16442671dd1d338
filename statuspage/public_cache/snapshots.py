"""Durable last-good snapshots: the last good render of each document on disk, served (marked
stale) when the database cannot be reached."""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import threading
import time
from collections.abc import Iterator
from contextvars import ContextVar
from pathlib import Path

from django.conf import settings

from statuspage.public_cache.documents import Document

log = logging.getLogger(__name__)


def _snapshot_path(key: str) -> Path:
    return Path(settings.PUBLIC_SNAPSHOT_DIR) / (hashlib.sha256(key.encode()).hexdigest() + ".json")


_written: dict[str, str] = {}
# How many times this process wrote each key's snapshot at once (a reader's render, not a
# publish's deferred one): a deferred snapshot is not written over one written after it.
_direct: dict[str, int] = {}
# Inside snapshots_deferred(): the snapshots to write later, each with its key's _direct count
# when it was noted.
_deferred: ContextVar[list[tuple[str, Document, int]] | None] = ContextVar(
    "deferred_snapshots", default=None
)


@contextlib.contextmanager
def snapshots_deferred() -> Iterator[list[tuple[str, Document, int]]]:
    """Within the block (a publish's renders), snapshot_save only notes what it would write,
    in the list this yields; `snapshots_write(list)` writes them when the caller chooses (a
    publish: once its documents are visible)."""
    pending: list[tuple[str, Document, int]] = []
    token = _deferred.set(pending)
    try:
        yield pending
    finally:
        _deferred.reset(token)


def snapshots_write(pending: list[tuple[str, Document, int]]) -> None:
    """Write the snapshots snapshots_deferred() noted, in order, but not over one a reader's
    render wrote since (a newer state)."""
    for key, doc, before in pending:
        if _direct.get(key, 0) == before and _written.get(key) != doc.etag:
            _snapshot_write(key, doc)


def snapshot_save(key: str, doc: Document) -> None:
    """Write the document if it changed since this process last wrote it (atomic rename)."""
    if _written.get(key) == doc.etag:
        return
    pending = _deferred.get()
    if pending is not None:
        pending.append((key, doc, _direct.get(key, 0)))
        return
    _direct[key] = _direct.get(key, 0) + 1
    _snapshot_write(key, doc)


def _snapshot_write(key: str, doc: Document) -> None:
    path = _snapshot_path(key)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
        payload = {
            "content_type": doc.content_type,
            "etag": doc.etag,
            "rendered_at": doc.rendered_at,
            "body": doc.body.decode("utf-8"),
        }
        tmp.write_text(json.dumps(payload), encoding="utf-8")
        os.replace(tmp, path)
        _written[key] = doc.etag
    except OSError as exc:
        log.warning("could not save public snapshot %s: %s", path, exc)


def snapshot_load(key: str) -> Document | None:
    try:
        payload = json.loads(_snapshot_path(key).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return Document(
        body=payload["body"].encode("utf-8"),
        content_type=payload["content_type"],
        etag=payload["etag"],
        rendered_at=payload["rendered_at"],
    )


_BODY_OPEN = re.compile(rb"<body[^>]*>", re.IGNORECASE)


def _mark_stale(doc: Document) -> bytes:
    """HTML gets a visible notice; other types say it in headers only (their shape is fixed)."""
    if not doc.content_type.startswith("text/html"):
        return doc.body
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(doc.rendered_at))
    notice = (
        '<div class="stale-notice" role="alert">Live status is temporarily unavailable. '
        f"Showing the last known status, as of {when}.</div>"
    ).encode()
    match = _BODY_OPEN.search(doc.body)
    if match is None:
        return notice + doc.body
    return doc.body[: match.end()] + notice + doc.body[match.end() :]
