"""A WSGI app that does nothing but send one file's bytes: the second reference of
bench/public_load.py. Served by the same granian with the same options as the status page, it
shows what granian and Python cost at all, apart from anything the status page does.

The file and its content type come from BENCH_TRIVIAL_FILE and BENCH_TRIVIAL_TYPE; the body is
sent gzip-encoded, as the app sends its cached documents to clients that take gzip.

To find what separates the status page's cached answer from this one, each of these makes the
trivial app do one more thing the status page does (bench/public_load.py --mimic, and
docs/performance.md, "Where the cached answer's CPU goes under granian"):
- BENCH_TRIVIAL_HEADERS_FILE: a JSON list of [name, value] pairs, sent instead of the four
  headers (the status page's own headers for the same document);
- BENCH_TRIVIAL_REQUEST_ID=1: an X-Request-ID made per answer, as the status page makes it;
- BENCH_TRIVIAL_PYTHON_US=N: N microseconds of Python per answer (a loop), as much as the
  status page's own code takes per answer in-process (bench/fast_path.py);
- BENCH_TRIVIAL_DJANGO=1: the whole status page loaded in the process (Django set up, its
  WSGI application imported: its heap, modules and threads), but not called.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

BODY = Path(os.environ["BENCH_TRIVIAL_FILE"]).read_bytes()
HEADERS = [
    ("Content-Type", os.environ.get("BENCH_TRIVIAL_TYPE", "text/html; charset=utf-8")),
    ("Content-Length", str(len(BODY))),
    ("Content-Encoding", "gzip"),
    ("Vary", "Accept-Encoding"),
]
if os.environ.get("BENCH_TRIVIAL_HEADERS_FILE"):
    HEADERS = [
        (name, value)
        for name, value in json.loads(Path(os.environ["BENCH_TRIVIAL_HEADERS_FILE"]).read_text())
    ]
REQUEST_ID = os.environ.get("BENCH_TRIVIAL_REQUEST_ID") == "1"
PYTHON_SECONDS = float(os.environ.get("BENCH_TRIVIAL_PYTHON_US", "0")) / 1e6


def application(environ, start_response):
    if PYTHON_SECONDS:
        until = time.perf_counter() + PYTHON_SECONDS
        while time.perf_counter() < until:
            pass
    if REQUEST_ID:
        start_response("200 OK", [*HEADERS, ("X-Request-ID", new_request_id())])
    else:
        start_response("200 OK", HEADERS)
    return [BODY]


if os.environ.get("BENCH_TRIVIAL_DJANGO") == "1":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "statuspage.settings")
    import statuspage.wsgi  # noqa: F401 - loaded, never called

if REQUEST_ID:
    from statuspage.logs import new_request_id
