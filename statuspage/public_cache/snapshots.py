"""Durable last-good snapshots: the last good render of each document on disk, served (marked
stale) when the database cannot be reached."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import threading
import time
from pathlib import Path

from django.conf import settings

from statuspage.public_cache.documents import Document

log = logging.getLogger(__name__)


def _snapshot_path(key: str) -> Path:
    return Path(settings.PUBLIC_SNAPSHOT_DIR) / (hashlib.sha256(key.encode()).hexdigest() + ".json")


_written: dict[str, str] = {}


def snapshot_save(key: str, doc: Document) -> None:
    """Write the document if it changed since this process last wrote it (atomic rename)."""
    if _written.get(key) == doc.etag:
        return
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
