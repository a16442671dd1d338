"""Cached documents: their bytes, gzipped copy and ETag, and the comparisons a request
makes against them (gzip negotiation, If-None-Match)."""

from __future__ import annotations

import functools
import gzip
import hashlib
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Document:
    body: bytes
    content_type: str
    etag: str
    rendered_at: float
    # Compressed once per generation, not per request: the front page is hundreds of KB of
    # very repetitive HTML (uptime bars), about 20 times smaller gzipped.
    gzip_body: bytes | None = None


GZIP_MIN_BYTES = 1024


def make_document(body: bytes, content_type: str) -> Document:
    gz = gzip.compress(body, compresslevel=6, mtime=0) if len(body) >= GZIP_MIN_BYTES else None
    if gz is not None and len(gz) >= len(body):
        gz = None
    return Document(body, content_type, _etag(body), time.time(), gz)


def gzip_etag(etag: str) -> str:
    # A strong ETag names one representation: the gzipped bytes get their own.
    return etag[:-1] + '-gz"'


# Clients send a handful of Accept-Encoding values, each on every request: the answer for each
# is remembered (parsing one cost about a microsecond of the fast path's answer under load).
# Bounded, so odd values cost a parse each, never memory.
@functools.lru_cache(maxsize=256)
def accepts_gzip(header: str) -> bool:
    for part in header.split(","):
        coding, _, params = part.partition(";")
        if coding.strip().lower() in ("gzip", "*"):
            name, _, value = params.strip().partition("=")
            if name.strip().lower() != "q":
                return True
            try:
                return float(value) > 0
            except ValueError:
                return False
    return False


def _etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def etag_matches(header: str, etag: str) -> bool:
    if not header:
        return False
    candidates = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    return "*" in candidates or etag in candidates
