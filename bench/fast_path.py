#!/usr/bin/env python
"""Microbenchmark of the WSGI fast path (statuspage/public_cache/). Not a test: it prints
figures.

    .venv/bin/python bench/fast_path.py [--number 20000]

Seeds a small SQLite database in a temp folder, renders `/`, `/api/v2/summary.json` and
`/history.atom` once through the production WSGI application (statuspage.wsgi), then times
the application's cached answer on a prepared environ (the client takes gzip, as browsers do),
and each piece of per-request work on its own. Metrics run in multiprocess mode, as under
granian in production (PROMETHEUS_MULTIPROC_DIR set). One process, one thread: this is the
Python cost of an answer, without the server (bench/public_load.py measures the server).
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
import time
import timeit
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PATHS = ("/", "/api/v2/summary.json", "/history.atom")


def environ(path: str) -> dict:
    return {
        "REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": "", "SCRIPT_NAME": "",
        "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "80", "HTTP_HOST": "127.0.0.1",
        "HTTP_ACCEPT_ENCODING": "gzip, deflate, br", "wsgi.input": io.BytesIO(),
        "wsgi.url_scheme": "http",
    }  # fmt: skip


def start_response(status, headers, exc_info=None):
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--number", type=int, default=20000)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="fast-path-bench-"))
    (work / "prometheus").mkdir()
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key")
    os.environ["DATA_DIR"] = str(work)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(work / "prometheus")
    os.environ["DJANGO_SETTINGS_MODULE"] = "statuspage.settings"
    sys.path[:0] = [str(ROOT), str(ROOT / "bench")]
    import django

    django.setup()
    import public_load
    from django.core.cache import cache

    cache.clear()
    public_load.seed(components=10, incidents=20, days=30)

    from statuspage import logs, metrics, public_cache
    from statuspage.wsgi import application

    def timed(label: str, fn) -> None:
        seconds = timeit.timeit(fn, number=args.number) / args.number
        print(f"{label:<44} {seconds * 1e6:6.2f} us", flush=True)

    for path in PATHS:
        env = environ(path)
        for _ in range(3):  # rendered by Django once, then answered by the fast path
            b"".join(application(dict(env), start_response))
        timed(f"whole cached answer {path}", lambda env=env: application(env, start_response))
    print("pieces:")
    if hasattr(metrics, "count_fast"):
        timed(
            "  metrics.count_fast (the tally)", lambda: metrics.count_fast("/", "GET", "200", 1e-4)
        )
    timed(
        "  metrics.observe (Prometheus objects)", lambda: metrics.observe("/", "GET", "200", 1e-4)
    )
    timed("  metrics.FAST_PATH.inc", metrics.FAST_PATH.inc)
    timed("  request id, none sent", lambda: logs.request_id_for(""))
    timed("  request id, a sane one sent", lambda: logs.request_id_for("edge-7f3a"))
    timed("  os.urandom(16).hex()", lambda: os.urandom(16).hex())
    from django.utils.http import http_date

    timed("  Last-Modified (http_date)", lambda: http_date(1.7e9))
    timed("  document_version", public_cache.document_version)
    timed("  accepts_gzip", lambda: public_cache.accepts_gzip("gzip, deflate, br"))
    env = environ("/")
    timed("  path from the environ", lambda: public_cache._wsgi_path(env))
    timed("  two perf_counter calls", lambda: (time.perf_counter(), time.perf_counter()))


if __name__ == "__main__":
    main()
