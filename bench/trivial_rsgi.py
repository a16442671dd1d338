"""The trivial app of bench/trivial_wsgi.py on granian's RSGI interface (its native protocol):
the same bytes and headers, handed to granian with one `response_bytes` call. What granian
and Python cost at all through that interface (bench/public_load.py, `--trivial rsgi`)."""

from __future__ import annotations

import os
from pathlib import Path

BODY = Path(os.environ["BENCH_TRIVIAL_FILE"]).read_bytes()
HEADERS = [
    ("content-type", os.environ.get("BENCH_TRIVIAL_TYPE", "text/html; charset=utf-8")),
    ("content-length", str(len(BODY))),
    ("content-encoding", "gzip"),
    ("vary", "Accept-Encoding"),
]


async def application(scope, protocol):
    protocol.response_bytes(200, HEADERS, BODY)
