#!/usr/bin/env python
"""The ceiling of each way of serving Python, against nginx. Not a test: it prints figures.

    .venv/bin/python bench/interfaces.py [--rounds 3] [--duration 4] \
        "wsgi" "wsgi --blocking-threads 1" "rsgi --task-impl rust" "asgi --task-impl rust"

Each argument is one of granian's interfaces followed by granian options: the trivial app of
that interface (bench/trivial_<interface>.py: the same gzipped bytes and headers, nothing
else) on granian with 2 workers. `uwsgi` and `pyruvate` (when installed) run
bench/trivial_wsgi.py on those servers instead (2 processes; pyruvate: 2 threads in one).
uWSGI's processes each hold one keep-alive connection at a time: of wrk's 64 connections two
are served and the others wait, and wrk's latencies count only the served ones, so its rate
is not that of 64 clients served together.
nginx serves the same bytes first in each round. For each: wrk's rate and p99 at 64
connections, the share of nginx's rate in the same round, and the server's CPU time per
answer (user + system of all its processes), which moves less than the rates when the machine
is shared with other work. The body is a generated page of about the size of the cached `/`,
or --body FILE (gzipped bytes).
"""

from __future__ import annotations

import argparse
import gzip
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from public_load import BIN, ROOT, free_port, load, start_nginx, wait_up  # noqa: E402

CONTENT_TYPE = "text/html; charset=utf-8"


def page() -> bytes:
    """About 12 KB gzipped, like the cached `/` of bench/public_load.py's seeded page."""
    rnd = random.Random(1)
    rows = "".join(
        f"<div class='c{rnd.randint(0, 99)}'>Service {n} operational</div>\n" for n in range(3000)
    )
    return gzip.compress(f"<html><body>{rows}</body></html>".encode(), mtime=0)


def command(config: str, port: int) -> list[str]:
    name, *options = config.split()
    if name == "uwsgi":
        # --http11-socket: keep-alive; each process holds one connection at a time.
        binary = shutil.which("uwsgi") or str(BIN / "uwsgi")
        return [binary, "--http11-socket", f"127.0.0.1:{port}", "--processes", "2", "--master",
                "--wsgi-file", "bench/trivial_wsgi.py", "--disable-logging", "--listen", "1024",
                *options]  # fmt: skip
    if name == "pyruvate":
        serve = "import pyruvate, trivial_wsgi, sys; " + (
            "pyruvate.serve(trivial_wsgi.application, sys.argv[1], 2)"
        )
        return [sys.executable, "-c", serve, f"127.0.0.1:{port}"]
    return [str(BIN / "granian"), "--interface", name, "--host", "127.0.0.1", "--port",
            str(port), "--workers", "2", "--no-ws", "--no-log", *options,
            f"trivial_{name}:application"]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("configs", nargs="+", metavar="INTERFACE [OPTIONS]")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=4)
    parser.add_argument("--body", type=Path, help="gzipped bytes to serve")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="interfaces-bench-"))
    body = args.body.read_bytes() if args.body else page()
    (work / "index.html").write_bytes(body)
    env = {**os.environ, "BENCH_TRIVIAL_FILE": str(work / "index.html"),
           "BENCH_TRIVIAL_TYPE": CONTENT_TYPE}  # fmt: skip
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "bench"), env.get("PYTHONPATH")]))
    headers = {"content-type": CONTENT_TYPE, "content-encoding": "gzip"}
    nginx = start_nginx(work, {"index.html": headers})
    if nginx is None:
        sys.exit("nginx is not installed (apt-get install nginx-light)")
    print(f"{len(body)} bytes gzipped; wrk 64 connections, {args.duration} s each; "
          f"load average {os.getloadavg()}")  # fmt: skip
    seen: dict[str, list[tuple[float, float, float]]] = {}
    try:
        for round_ in range(args.rounds):
            print(f"round {round_ + 1} of {args.rounds}", flush=True)
            ceiling = load(nginx[1], "/index.html", args.duration, nginx[0].pid)
            print(f"{'nginx':<44} {ceiling['rps']:>8.0f} req/s  p99 {ceiling['p99']:6.2f} ms  "
                  f"cpu {ceiling['cpu_us']:5.1f} us/answer", flush=True)  # fmt: skip
            for config in args.configs:
                port = free_port()
                proc = subprocess.Popen(  # noqa: S603
                    command(config, port), cwd=ROOT, env=env,
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                )  # fmt: skip
                try:
                    wait_up(port)
                    time.sleep(0.5)  # every worker up, not only the first
                    r = load(port, "/", args.duration, proc.pid)
                finally:
                    proc.send_signal(signal.SIGINT)  # uWSGI reloads on SIGTERM
                    proc.wait(20)
                share = r["rps"] / ceiling["rps"]
                seen.setdefault(config, []).append(
                    (share, r["p99"], ceiling["cpu_us"] / r["cpu_us"])
                )
                print(f"{config:<44} {r['rps']:>8.0f} req/s  p99 {r['p99']:6.2f} ms  "
                      f"cpu {r['cpu_us']:5.1f} us/answer  = {100 * share:3.0f}% of nginx  "
                      f"(load {os.getloadavg()[0]:.1f})", flush=True)  # fmt: skip
    finally:
        nginx[0].terminate()
        nginx[0].wait(10)
        shutil.rmtree(work, ignore_errors=True)
    print("medians (share of nginx's rate; nginx's CPU per answer over this one's):")
    for config, rows in seen.items():
        rate = 100 * statistics.median(row[0] for row in rows)
        p99 = statistics.median(row[1] for row in rows)
        cpu = 100 * statistics.median(row[2] for row in rows)
        print(f"{config:<44} rate {rate:3.0f}%  CPU {cpu:3.0f}%  p99 {p99:.2f} ms")


if __name__ == "__main__":
    main()
