#!/usr/bin/env python
"""Load benchmark of the public read path. Not a test: it prints figures.

    .venv/bin/python bench/public_load.py [--server gunicorn|granian|both] [--duration 10]
        [--rounds 2] [--paths / /api/v2/summary.json] [--granian GRANIAN_BLOCKING_THREADS=1]
        [--pages 100]

1. Seeds a fresh database (SQLite in a temp dir, or DATABASE_URL) with 50 components, 90 days
   of history and 200 incidents; times cold renders of / in-process (target < 150 ms).
2. Starts the app as in production (granian through `python -m statuspage.serve` with
   deploy/granian.env and multiprocess metrics, `--granian NAME=VALUE` overriding a setting;
   and/or gunicorn), on a free port.
3. Saves the bytes and headers of each path to a file and, if nginx is installed, serves them
   from nginx as the physical ceiling; for `/` also starts bench/trivial_wsgi.py (the same
   bytes from the same granian: what Python costs at all), and with `--trivial wsgi rsgi asgi`
   the same trivial app on each of granian's interfaces (bench/trivial_<interface>.py); with
   `--mimic headers request-id python django all` the trivial WSGI app again, doing one more
   thing the status page does (bench/trivial_wsgi.py).
4. For each path, loads nginx and then the app (and the trivial app) one right after the other
   with wrk (64 connections) when wrk is installed, else with a Python client that is itself
   the bottleneck, and prints the app's share of nginx beside each figure, and each server's
   CPU time per answer (its processes' user + system time over the answers). `--rounds N`
   repeats that and prints the median share (`--baseline DIR`: the app from another checkout
   too, loaded after this one in each round: before and after in the same run);
   `--change-every S` posts a change every S seconds during the app's load (p99 with cold
   renders).
5. Measures how long a posted update takes to show on / at the origin (target < 1 s).

With `--pages N` the install has N + 1 pages and the one loaded is the busiest, a page that is
not the default (served at /p/busy/), to compare with the one-page figures.
"""

from __future__ import annotations

import argparse
import http.client
import json
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


def seed(components: int = 50, incidents: int = 200, days: int = 90, page=None) -> None:
    """The content of one page (`page`; None: the default page)."""
    from django.core.management import call_command
    from django.utils import timezone

    from incidents import services
    from incidents.services import Actor

    call_command("migrate", verbosity=0)
    actor = Actor(label="bench", via="automation")
    start = timezone.now() - timedelta(days=days + 30)
    groups = [
        services.component_group_create(name=f"Group {n}", actor=actor, page=page) for n in range(5)
    ]
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


def seed_pages(extra: int) -> str:
    """`--pages N`: the busiest page (the usual 50 components, 90 days, 200 incidents) is not
    the default one but page `busy`, reached at /p/busy/; the default page and N - 1 more
    pages get 5 components and 10 incidents each. Returns the path prefix of the busy page."""
    from incidents.models import Page

    seed(components=5, incidents=10)
    busy = Page.objects.create(name="Busy", slug="busy", time_zone="Etc/UTC")
    seed(page=busy)
    for n in range(extra - 1):
        other = Page.objects.create(name=f"Page {n}", slug=f"page-{n}", time_zone="Etc/UTC")
        seed(components=5, incidents=10, page=other)
    return "/p/busy"


# The path prefix of the page under load ("" for the default page; --pages sets it).
PREFIX = ""


def cold_render_ms(rounds: int = 7) -> list[float]:
    from django.core.cache import cache
    from django.test import Client

    from statuspage import public_cache

    client, out = Client(), []
    for _ in range(rounds):
        public_cache.local.clear()
        cache.clear()
        began = time.perf_counter()
        assert client.get(PREFIX + "/", HTTP_HOST="127.0.0.1").status_code == 200
        out.append((time.perf_counter() - began) * 1000)
    return out


# --- servers -----------------------------------------------------------------------------------


def server_command(name: str, port: int) -> list[str]:
    if name == "gunicorn":
        return [str(BIN / "gunicorn"), "statuspage.wsgi:application", "--workers", "2",
                "--worker-class", "gthread", "--threads", "4", "--bind", f"127.0.0.1:{port}",
                "--access-logfile", "/dev/null", "--log-level", "warning"]  # fmt: skip
    # As in production (the Procfile's web line): deploy/granian.env, overridden by GRANIAN_*
    # variables in the environment (--granian NAME=VALUE).
    return [sys.executable, "-m", "statuspage.serve", "--host", "127.0.0.1",
            "--port", str(port), "--no-log"]  # fmt: skip


def granian_env(overrides: dict[str, str], work: Path) -> dict[str, str]:
    """The environment granian runs with: deploy/granian.env under the overrides, and the
    metrics directory of production's multiprocess mode (its cost is part of the figures)."""
    from statuspage import serve

    current = {**os.environ, **overrides, "PROMETHEUS_MULTIPROC_DIR": str(work / "prometheus")}
    return serve.environment(current, serve.read_config(serve.CONFIG))


def start_server(name: str, port: int, env: dict[str, str]) -> subprocess.Popen:
    if name == "gunicorn":
        env = {k: v for k, v in env.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    return subprocess.Popen(server_command(name, port), cwd=ROOT, env=env)  # noqa: S603


def start_trivial(
    port: int,
    env: dict[str, str],
    body: Path,
    content_type: str,
    interface: str = "wsgi",
    extra: dict[str, str] | None = None,
):
    """bench/trivial_<interface>.py on granian with the status page's options: what granian
    and Python cost at all through that interface (wsgi, rsgi or asgi). `extra`: the
    BENCH_TRIVIAL_* settings of a --mimic variant (bench/trivial_wsgi.py)."""
    env = {**env, "BENCH_TRIVIAL_FILE": str(body), "BENCH_TRIVIAL_TYPE": content_type}
    env.update(extra or {})
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "bench"), str(ROOT)])
    if interface != "wsgi":
        env["GRANIAN_BLOCKING_THREADS"] = "1"  # granian's async interfaces take only one
        # Steps the coroutine from Rust rather than as an asyncio task: the cheaper of the two
        # by bench/interfaces.py.
        env.setdefault("GRANIAN_TASK_IMPL", "rust")
    cmd = [str(BIN / "granian"), "--interface", interface, "--host", "127.0.0.1",
           "--port", str(port), "--no-log", f"trivial_{interface}:application"]  # fmt: skip
    return subprocess.Popen(cmd, cwd=ROOT, env=env)  # noqa: S603


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


def start_nginx(folder: Path, files: dict[str, dict[str, str]]) -> tuple | None:
    """nginx serving each saved document (file name -> its headers) with the headers the app
    sent for it: the physical ceiling for the same bytes."""
    nginx = shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
    )
    if nginx is None:
        return None
    port = free_port()
    locations = ""
    for file, headers in files.items():
        locations += f"    location = /{file} {{ default_type {headers['content-type']!r}; "
        if headers.get("content-encoding"):
            locations += (
                f"add_header Content-Encoding {headers['content-encoding']}; "
                "add_header Vary Accept-Encoding; "
            )
        locations += "}\n"
    conf = folder / "nginx.conf"
    conf.write_text(
        f"worker_processes 2; daemon off; pid {folder}/nginx.pid; error_log {folder}/error.log;\n"
        "events { worker_connections 1024; }\n"
        f"http {{ access_log off; types {{ }} client_body_temp_path {folder};\n"
        f"  server {{ listen 127.0.0.1:{port}; root {folder};\n{locations}"
        "} }\n"
    )
    proc = subprocess.Popen([nginx, "-c", str(conf), "-p", str(folder)])  # noqa: S603
    time.sleep(0.5)
    return proc, port


# --- load --------------------------------------------------------------------------------------


WRK_THREADS = 2


def wrk(url: str, duration: int) -> dict:
    out = subprocess.run(  # noqa: S603
        [shutil.which("wrk"), f"-t{WRK_THREADS}", f"-c{CONNECTIONS}", f"-d{duration}s", "--latency",
         "-H", f"Accept-Encoding: {ACCEPT_ENCODING}", url],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip

    def ms(label):
        match = re.search(rf"{label}\s+([\d.]+)(us|ms|s)", out)
        value, unit = float(match.group(1)), match.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    answers = int(re.search(r"(\d+) requests in", out).group(1))
    return {"rps": rps, "p50": ms("50%"), "p99": ms("99%"), "answers": answers}


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


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time the processes have used so far (Linux /proc)."""
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def load(port: int, path: str, duration: int, pid: int | None = None) -> dict:
    """wrk's figures, and with the server's process id its CPU time per answer: on a machine
    shared with other work the request rates of two servers measured one after the other
    move with the neighbours' load; what each answer costs the server moves much less."""
    # Warm up first: every worker process renders the document once per generation; the
    # figures are for the steady state of a spike, not for those first renders.
    if not shutil.which("wrk"):
        python_load(port, path, 1)
        return python_load(port, path, duration)
    url = f"http://127.0.0.1:{port}{path}"
    wrk(url, 1)
    if pid is None:
        return wrk(url, duration)
    from statuspage.processes import descendants

    pids = [pid, *descendants(pid)]
    before = cpu_seconds(pids)
    result = wrk(url, duration)
    result["cpu_us"] = 1e6 * (cpu_seconds(pids) - before) / max(result["answers"], 1)
    return result


def changing(every: float | None):
    """While the block runs, post a public change every `every` seconds (each makes the next
    read of every document a cold render): p99 then includes the renders."""
    import contextlib

    @contextlib.contextmanager
    def run():
        if not every:
            yield
            return
        from incidents import selectors, services
        from incidents.services import Actor

        stop = threading.Event()
        page = selectors.page_by_slug(PREFIX.removeprefix("/p/")) if PREFIX else None

        def post():
            n = 0
            while not stop.wait(every):
                n += 1
                services.incident_create(
                    name=f"Change {n}", body="x", actor=Actor("bench", "automation"),
                    notify=False, page=page,
                )  # fmt: skip

        thread = threading.Thread(target=post)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join()

    return run()


def visibility_seconds(port: int) -> float:
    """Post an update through the services and poll / at the origin until it shows."""
    from incidents import selectors, services
    from incidents.services import Actor

    marker = f"Bench marker {time.time_ns()}"
    page = selectors.page_by_slug(PREFIX.removeprefix("/p/")) if PREFIX else None
    services.incident_create(
        name=marker, body="x", actor=Actor("bench", "automation"), notify=False, page=page
    )
    began = time.monotonic()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    while time.monotonic() - began < 10:
        conn.request("GET", PREFIX + "/")
        if marker.encode() in conn.getresponse().read():
            return time.monotonic() - began
        time.sleep(0.02)
    return float("inf")


def fetch(port: int, path: str) -> tuple[int, bytes, dict[str, str]]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", path, headers={"Accept-Encoding": ACCEPT_ENCODING})
    response = conn.getresponse()
    return response.status, response.read(), {k.lower(): v for k, v in response.getheaders()}


# What each --mimic variant of the trivial app adds (bench/trivial_wsgi.py): the status page's
# own headers for `/`, a request id per answer, its Python time per answer in-process
# (bench/fast_path.py: 2.3-3.4 us), the whole app loaded but not called; "all": the four.
MIMICS = ("headers", "request-id", "python", "django", "all")
MIMIC_PYTHON_US = "3"


def mimic_env(variant: str, port: int, work: Path) -> dict[str, str]:
    """The BENCH_TRIVIAL_* settings of a --mimic variant; `port`: the status page's, whose
    headers for `/` are copied (granian's own Date and Server, and the per-answer request id,
    left out)."""
    env: dict[str, str] = {}
    if variant in ("headers", "all"):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", "/", headers={"Accept-Encoding": ACCEPT_ENCODING})
        response = conn.getresponse()
        response.read()
        skip = {"date", "server", "x-request-id"}
        headers = [[k, v] for k, v in response.getheaders() if k.lower() not in skip]
        (work / "mimic-headers.json").write_text(json.dumps(headers))
        env["BENCH_TRIVIAL_HEADERS_FILE"] = str(work / "mimic-headers.json")
    if variant in ("request-id", "all"):
        env["BENCH_TRIVIAL_REQUEST_ID"] = "1"
    if variant in ("python", "all"):
        env["BENCH_TRIVIAL_PYTHON_US"] = MIMIC_PYTHON_US
    if variant in ("django", "all"):
        env["BENCH_TRIVIAL_DJANGO"] = "1"
    return env


def line(label: str, r: dict, ceiling: dict | None) -> str:
    text = f"{label:<34} {r['rps']:>9.0f} req/s  p50 {r['p50']:5.2f} ms  p99 {r['p99']:5.2f} ms"
    if "cpu_us" in r:
        text += f"  cpu {r['cpu_us']:5.1f} us/answer"
    if ceiling:
        text += f"  | nginx {ceiling['rps']:>7.0f} req/s  = {100 * r['rps'] / ceiling['rps']:3.0f}%"
    return text


def measure_paths(
    name: str,
    port: int,
    pid: int,
    env: dict,
    work: Path,
    args,
    baseline: tuple[int, int] | None = None,
) -> None:
    """For each path: the document's bytes served by nginx (the ceiling), then by the app, one
    right after the other, so both see the same machine; for `/` also the trivial WSGI app on
    the same granian (what Python costs at all)."""
    docs: dict[str, dict[str, str]] = {}
    paths = []
    for path in args.paths:
        status, body, headers = fetch(port, path)
        if status != 200:
            print(f"{name:<9} {path}: HTTP {status}, skipped")
            continue
        file = path.strip("/").replace("/", "_") or "index.html"
        (work / "static" / file).write_bytes(body)
        docs[file] = headers
        paths.append((path, file))
    nginx = start_nginx(work / "static", docs)
    if nginx is None:
        print("nginx not installed: no ceiling (apt-get install nginx-light)")
    trivials: dict[str, tuple[subprocess.Popen, int]] = {}
    if name == "granian" and not args.no_trivial and ("/", "index.html") in paths:
        for interface in args.trivial:
            trivial_port = free_port()
            trivials[interface] = (
                start_trivial(
                    trivial_port, env, work / "static" / "index.html",
                    docs["index.html"]["content-type"], interface,
                ),
                trivial_port,
            )  # fmt: skip
            wait_up(trivial_port)
        for variant in args.mimic:
            trivial_port = free_port()
            trivials[f"wsgi +{variant}"] = (
                start_trivial(
                    trivial_port, env, work / "static" / "index.html",
                    docs["index.html"]["content-type"], "wsgi", mimic_env(variant, port, work),
                ),
                trivial_port,
            )  # fmt: skip
            wait_up(trivial_port)
    # label -> per round: (share of nginx's rate, p99, nginx's CPU per answer / this one's)
    ratios: dict[str, list[tuple[float, float, float | None]]] = {}

    def record(label: str, r: dict, ceiling: dict | None) -> None:
        print(line(label, r, ceiling), flush=True)
        if ceiling:
            cpu = ceiling["cpu_us"] / r["cpu_us"] if r.get("cpu_us") else None
            ratios.setdefault(label.split(" (")[0], []).append(
                (r["rps"] / ceiling["rps"], r["p99"], cpu)
            )

    try:
        for round_ in range(args.rounds):
            if args.rounds > 1:
                print(f"round {round_ + 1} of {args.rounds}")
            for path, file in paths:
                ceiling = load(nginx[1], f"/{file}", args.duration, nginx[0].pid) if nginx else None
                if ceiling:
                    print(line(f"nginx     {path}", ceiling, None), flush=True)
                for interface, (trivial, trivial_port) in trivials.items() if path == "/" else ():
                    r = load(trivial_port, "/", args.duration, trivial.pid)
                    record(f"trivial {interface} / (same bytes)", r, ceiling)
                with changing(args.change_every):
                    r = load(port, path, args.duration, pid)
                record(f"{name:<9} {path}", r, ceiling)
                if baseline is not None:
                    r = load(baseline[0], path, args.duration, baseline[1])
                    record(f"baseline  {path}", r, ceiling)
    finally:
        for trivial, _ in trivials.values():
            trivial.terminate()
            trivial.wait(10)
        if nginx:
            nginx[0].terminate()
            nginx[0].wait(10)
    if args.rounds > 1:
        for label, seen in ratios.items():
            shares = ", ".join(f"{100 * share:.0f}%" for share, _, _ in seen)
            p99s = ", ".join(f"{p99:.1f}" for _, p99, _ in seen)
            median = 100 * statistics.median(share for share, _, _ in seen)
            text = f"{label:<34} of nginx: median {median:.0f}% ({shares}); p99 ms {p99s}"
            cpus = [cpu for _, _, cpu in seen if cpu is not None]
            if cpus:
                # nginx's CPU per answer over this one's: a second view of the same ratio,
                # less moved by other work on the machine than the request rates (wrk's own
                # CPU is left out of both, so it is not the share of nginx's rate either).
                text += f"; by CPU per answer {100 * statistics.median(cpus):.0f}%"
            print(text)


def main() -> None:
    global WRK_THREADS, PREFIX
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", choices=["gunicorn", "granian", "both"], default="both")
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument(
        "--paths", nargs="+", default=["/", "/api/v2/summary.json", "/history.atom"]
    )
    parser.add_argument("--wrk-threads", type=int, default=WRK_THREADS)
    parser.add_argument(
        "--rounds", type=int, default=1,
        help="measure nginx and the app this many times in turn, then print the median ratio",
    )  # fmt: skip
    parser.add_argument(
        "--change-every", type=float, metavar="SECONDS",
        help="post a public change this often while the app is loaded (cold renders included)",
    )  # fmt: skip
    parser.add_argument("--no-trivial", action="store_true", help="skip the trivial apps")
    parser.add_argument(
        "--trivial", nargs="+", choices=["wsgi", "rsgi", "asgi"], default=["wsgi"],
        help="granian interfaces to measure a trivial app on (bench/trivial_<interface>.py)",
    )  # fmt: skip
    parser.add_argument(
        "--mimic", nargs="+", default=[], choices=MIMICS, metavar="VARIANT",
        help="the trivial WSGI app again, doing one more thing the status page does "
        f"(one of {', '.join(MIMICS)}; bench/trivial_wsgi.py)",
    )  # fmt: skip
    parser.add_argument(
        "--baseline", metavar="DIR",
        help="also serve the app from this checkout (e.g. `git archive` of an earlier commit, "
        "with .venv linked) on granian, measured after the app in every round",
    )  # fmt: skip
    parser.add_argument("--no-cold", action="store_true", help="skip the cold-render timing")
    parser.add_argument(
        "--pages", type=int, default=0, metavar="N",
        help="N pages besides the default one; the busiest, not the default, is loaded",
    )  # fmt: skip
    parser.add_argument(
        "--granian", action="append", default=[], metavar="NAME=VALUE",
        help="override a deploy/granian.env setting, e.g. GRANIAN_BLOCKING_THREADS=1",
    )  # fmt: skip
    args = parser.parse_args()
    WRK_THREADS = args.wrk_threads
    overrides = dict(item.split("=", 1) for item in args.granian)

    work = Path(tempfile.mkdtemp(prefix="public-bench-"))
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key")
    os.environ.setdefault("DATA_DIR", str(work))
    os.environ["DJANGO_SETTINGS_MODULE"] = "statuspage.settings"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.cache import cache

    # Documents are keyed on the generation, which starts again with each fresh database:
    # what an earlier run left in the shared cache must not answer for this one.
    cache.clear()
    print(f"seeding into {os.environ.get('DATABASE_URL') or work} ...", flush=True)
    if args.pages:
        PREFIX = seed_pages(args.pages)
        args.paths = [PREFIX + path for path in args.paths]
        print(f"{args.pages + 1} pages; loading the busiest, at {PREFIX}/", flush=True)
    else:
        seed()
    if not args.no_cold:
        renders = cold_render_ms()
        print(f"cold render of / (50 components, 90 days, 200 incidents): "
              f"median {statistics.median(renders):.1f} ms, max {max(renders):.1f} ms")  # fmt: skip

    tool = "wrk" if shutil.which("wrk") else "python client (wrk not installed)"
    print(f"load tool: {tool} -t{WRK_THREADS}; {CONNECTIONS} connections, {args.duration}s per URL")
    servers = ["gunicorn", "granian"] if args.server == "both" else [args.server]
    missing = [name for name in servers if not (BIN / name).exists()]
    for name in missing:
        print(f"{name} not installed: skipped (pip install -e '.[bench]' for gunicorn)")
    servers = [name for name in servers if name not in missing]
    (work / "static").mkdir()
    env = granian_env(overrides, work)
    shown = {k: v for k, v in env.items() if k.startswith("GRANIAN_") and k != "GRANIAN_HOST"}
    print("granian: " + " ".join(f"{k}={v}" for k, v in sorted(shown.items())))
    for name in servers:
        port = free_port()
        proc = start_server(name, port, env)
        baseline = None
        if args.baseline and name == "granian":
            # The same server from another checkout (an earlier commit), on the same database
            # and shared cache, measured right after this one in every round: before and after
            # in the same run.
            baseline_port = free_port()
            command = server_command(name, baseline_port)
            baseline = subprocess.Popen(command, cwd=args.baseline, env=env)  # noqa: S603
        try:
            wait_up(port)
            if baseline is not None:
                wait_up(baseline_port)
            measure_paths(
                name, port, proc.pid, env, work, args,
                None if baseline is None else (baseline_port, baseline.pid),
            )  # fmt: skip
            print(f"{name:<9} update visible on / after {visibility_seconds(port):.2f} s")
        finally:
            for server in (proc, baseline):
                if server is not None:
                    server.terminate()
                    server.wait(10)
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
