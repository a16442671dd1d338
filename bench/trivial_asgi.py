"""The trivial app of bench/trivial_wsgi.py on granian's ASGI interface: the same bytes and
headers in one `http.response.start` and one `http.response.body` message. What granian and
Python cost at all through that interface (bench/public_load.py, `--trivial asgi`)."""

from __future__ import annotations

import os
from pathlib import Path

BODY = Path(os.environ["BENCH_TRIVIAL_FILE"]).read_bytes()
TYPE = os.environ.get("BENCH_TRIVIAL_TYPE", "text/html; charset=utf-8")
START = {
    "type": "http.response.start",
    "status": 200,
    "headers": [
        (b"content-type", TYPE.encode()),
        (b"content-length", str(len(BODY)).encode()),
        (b"content-encoding", b"gzip"),
        (b"vary", b"Accept-Encoding"),
    ],
}
MESSAGE = {"type": "http.response.body", "body": BODY}


async def application(scope, receive, send):
    if scope["type"] != "http":  # lifespan: nothing to set up
        return
    await send(START)
    await send(MESSAGE)
