"""A WSGI app that does nothing but send one file's bytes: the second reference of
bench/public_load.py. Served by the same granian with the same options as the status page, it
shows what granian and Python cost at all, apart from anything the status page does.

The file and its content type come from BENCH_TRIVIAL_FILE and BENCH_TRIVIAL_TYPE; the body is
sent gzip-encoded, as the app sends its cached documents to clients that take gzip."""

from __future__ import annotations

import os
from pathlib import Path

BODY = Path(os.environ["BENCH_TRIVIAL_FILE"]).read_bytes()
HEADERS = [
    ("Content-Type", os.environ.get("BENCH_TRIVIAL_TYPE", "text/html; charset=utf-8")),
    ("Content-Length", str(len(BODY))),
    ("Content-Encoding", "gzip"),
    ("Vary", "Accept-Encoding"),
]


def application(environ, start_response):
    start_response("200 OK", HEADERS)
    return [BODY]
