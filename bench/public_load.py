#!/usr/bin/env python
"""Load benchmark of the public read path. Not a test: it prints figures.

    .venv/bin/python bench/public_load.py [--server gunicorn|granian|both] [--duration 10]

1. Seeds a fresh database (SQLite in a temp dir, or DATABASE_URL) with 50 components, 90 days
   of history and 200 incidents; times cold renders of / in-process (target < 150 ms).
2. Starts the app as in production (gunicorn and/or granian, 2 workers, on a free port).
3. Saves the bytes of / to a file and, if nginx is installed, serves that file from nginx as
   the physical ceiling.
4. Loads `/`, `/history.atom`, `/api/v2/summary.json` (if the app has it) and the static file
   with wrk (64 connections, 2 threads) when wrk is installed, else with a Python client that
   is itself the bottleneck (figures then only compare servers with each other).
5. Measures how long a posted update takes to show on / at the origin (target < 1 s).
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
CONNECTIONS = 64
# What browsers and CDNs send; the app keeps a gzipped copy of each document.
ACCEPT_ENCODING = "gzip, deflate, br"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- seeding -----------------------------------------------------------------------------------


def seed(components: int = 50, incidents: int = 200, days: int = 90) -> None:
    from django.core.management import call_command
    from django.utils import timezone

    from incidents import services
    from incidents.services import Actor

    call_command("migrate", verbosity=0)
    actor = Actor(label="bench", via="automation")
    start = timezone.now() - timedelta(days=days + 30)
    groups = [services.component_group_create(name=f"Group {n}", actor=actor) for n in range(5)]
    comps = [
        services.component_create(
            name=f"Service {n}",
            group=groups[n % 5],
            description=f"Service number {n}",
            actor=actor,
            created_at=start,
        )  # fmt: skip
        for n in range(components)
    ]
    # Chronological and non-overlapping, so every backdated change lands after the last one.
    step = timedelta(days=days) / incidents
    first = timezone.now() - timedelta(days=days)
    statuses = ["major_outage", "partial_outage", "degraded_performance"]
    for n in range(incidents):
        at = first + step * n
        affected = {
            comps[(n * 7 + k) % components]: statuses[(n + k) % 3] for k in range(1 + n % 3)
        }
        incident = services.incident_create(
            name=f"Incident {n}", body=f"Investigating **issue {n}**.", actor=actor,
            component_statuses=affected, at=at, notify=False,
        )  # fmt: skip
        services.incident_update_post(
            incident=incident, status="identified", body="Cause found.", actor=actor,
            at=at + step / 8, notify=False,
        )  # fmt: skip
        services.incident_resolve(
            incident=incident, body="Resolved.", actor=actor, at=at + step / 4, notify=False
        )


def cold_render_ms(rounds: int = 7) -> list[float]:
    from django.core.cache import cache
    from django.test import Client

    from statuspage import public_cache

    client, out = Client(), []
    for _ in range(rounds):
        public_cache.local.clear()
        cache.clear()
        began = time.perf_counter()
        assert client.get("/", HTTP_HOST="127.0.0.1").status_code == 200
        out.append((time.perf_counter() - began) * 1000)
    return out


# --- servers -----------------------------------------------------------------------------------


def server_command(name: str, port: int) -> list[str]:
    if name == "gunicorn":
        return [str(BIN / "gunicorn"), "statuspage.wsgi:application", "--workers", "2",
                "--worker-class", "gthread", "--threads", "4", "--bind", f"127.0.0.1:{port}",
                "--access-logfile", "/dev/null", "--log-level", "warning"]  # fmt: skip
    return [str(BIN / "granian"), "--interface", "wsgi", "statuspage.wsgi:application",
            "--workers", "2", "--blocking-threads", "4", "--host", "127.0.0.1",
            "--port", str(port), "--no-log"]  # fmt: skip


def wait_up(port: int, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/")
            if conn.getresponse().status < 500:
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"server on port {port} did not come up")


def start_nginx(folder: Path) -> tuple[subprocess.Popen, int] | None:
    nginx = shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
    )
    if nginx is None:
        return None
    port = free_port()
    conf = folder / "nginx.conf"
    conf.write_text(
        f"worker_processes 2; daemon off; pid {folder}/nginx.pid; error_log {folder}/error.log;\n"
        "events { worker_connections 1024; }\n"
        f"http {{ access_log off; types {{ text/html html; }} client_body_temp_path {folder};\n"
        # The file holds the gzipped bytes the app sends; say so, as the app does.
        f"  server {{ listen 127.0.0.1:{port}; root {folder};\n"
        "    location / { add_header Content-Encoding gzip; add_header Vary Accept-Encoding; }\n"
        "} }\n"
    )
    proc = subprocess.Popen([nginx, "-c", str(conf), "-p", str(folder)])  # noqa: S603
    time.sleep(0.5)
    return proc, port


# --- load --------------------------------------------------------------------------------------


def wrk(url: str, duration: int) -> dict:
    out = subprocess.run(  # noqa: S603
        [shutil.which("wrk"), "-t2", f"-c{CONNECTIONS}", f"-d{duration}s", "--latency",
         "-H", f"Accept-Encoding: {ACCEPT_ENCODING}", url],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip

    def ms(label):
        match = re.search(rf"{label}\s+([\d.]+)(us|ms|s)", out)
        value, unit = float(match.group(1)), match.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    return {"rps": rps, "p50": ms("50%"), "p99": ms("99%")}


def _client_worker(args) -> list[float]:
    port, path, duration, threads = args
    latencies: list[float] = []
    lock = threading.Lock()
    stop = time.monotonic() + duration

    def loop():
        conn, mine = http.client.HTTPConnection("127.0.0.1", port, timeout=10), []
        while time.monotonic() < stop:
            began = time.perf_counter()
            conn.request("GET", path, headers={"Accept-Encoding": ACCEPT_ENCODING})
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                raise RuntimeError(f"{path}: HTTP {response.status}")
            mine.append((time.perf_counter() - began) * 1000)
        with lock:
            latencies.extend(mine)

    pool = [threading.Thread(target=loop) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return latencies


def python_load(port: int, path: str, duration: int) -> dict:
    with ProcessPoolExecutor(2) as ex:
        parts = list(ex.map(_client_worker, [(port, path, duration, CONNECTIONS // 2)] * 2))
    lat = sorted(x for part in parts for x in part)
    return {
        "rps": len(lat) / duration,
        "p50": lat[len(lat) // 2],
        "p99": lat[int(len(lat) * 0.99)],
    }


def load(port: int, path: str, duration: int) -> dict:
    # Warm up first: every worker process renders the document once per generation; the
    # figures are for the steady state of a spike, not for those first renders.
    if shutil.which("wrk"):
        url = f"http://127.0.0.1:{port}{path}"
        wrk(url, 1)
        return wrk(url, duration)
    python_load(port, path, 1)
    return python_load(port, path, duration)


def visibility_seconds(port: int) -> float:
    """Post an update through the services and poll / at the origin until it shows."""
    from incidents import services
    from incidents.services import Actor

    marker = f"Bench marker {time.time_ns()}"
    services.incident_create(
        name=marker, body="x", actor=Actor("bench", "automation"), notify=False
    )
    began = time.monotonic()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    while time.monotonic() - began < 10:
        conn.request("GET", "/")
        if marker.encode() in conn.getresponse().read():
            return time.monotonic() - began
        time.sleep(0.02)
    return float("inf")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", choices=["gunicorn", "granian", "both"], default="both")
    parser.add_argument("--duration", type=int, default=10)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="public-bench-"))
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key")
    os.environ.setdefault("DATA_DIR", str(work))
    os.environ["DJANGO_SETTINGS_MODULE"] = "statuspage.settings"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    print(f"seeding into {os.environ.get('DATABASE_URL') or work} ...", flush=True)
    seed()
    renders = cold_render_ms()
    print(f"cold render of / (50 components, 90 days, 200 incidents): "
          f"median {statistics.median(renders):.1f} ms, max {max(renders):.1f} ms")  # fmt: skip

    tool = "wrk" if shutil.which("wrk") else "python client (wrk not installed)"
    print(f"load tool: {tool}; {CONNECTIONS} connections, {args.duration}s per URL")
    servers = ["gunicorn", "granian"] if args.server == "both" else [args.server]
    missing = [name for name in servers if not (BIN / name).exists()]
    for name in missing:
        print(f"{name} not installed: skipped (pip install -e '.[bench]' for gunicorn)")
    servers = [name for name in servers if name not in missing]
    static = work / "static"
    static.mkdir()
    nginx = None
    ceiling = None
    for name in servers:
        port = free_port()
        proc = subprocess.Popen(server_command(name, port), cwd=ROOT, env=os.environ.copy())  # noqa: S603
        try:
            wait_up(port)
            conn = http.client.HTTPConnection("127.0.0.1", port)
            conn.request("GET", "/", headers={"Accept-Encoding": ACCEPT_ENCODING})
            (static / "index.html").write_bytes(conn.getresponse().read())
            if nginx is None and ceiling is None:
                nginx = start_nginx(static)
                if nginx:
                    ceiling = load(nginx[1], "/index.html", args.duration)
                    c = ceiling
                    print(f"nginx static   {c['rps']:>9.0f} req/s  p50 {c['p50']:.2f} ms  "
                          f"p99 {c['p99']:.2f} ms")  # fmt: skip
                else:
                    ceiling = {}
                    print("nginx not installed: no static ceiling (apt-get install nginx-light)")
            conn = http.client.HTTPConnection("127.0.0.1", port)  # the old one timed out
            conn.request("GET", "/api/v2/summary.json")
            paths = ["/", "/history.atom"]
            if conn.getresponse().status == 200:
                paths.append("/api/v2/summary.json")
            for path in paths:
                r = load(port, path, args.duration)
                ratio = f"  {100 * r['rps'] / ceiling['rps']:.0f}% of nginx" if ceiling else ""
                print(f"{name:<9} {path:<22} {r['rps']:>9.0f} req/s  p50 {r['p50']:.2f} ms  "
                      f"p99 {r['p99']:.2f} ms{ratio}", flush=True)  # fmt: skip
            print(f"{name:<9} update visible on / after {visibility_seconds(port):.2f} s")
        finally:
            proc.terminate()
            proc.wait(10)
    if nginx:
        nginx[0].terminate()
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
