"""Published-copy read benchmark (not a test): how fast nginx serves the published copy, as a
share of plain static nginx serving the same bytes.

Seeds the demo page (with `--history N` past incidents), publishes it to a fresh directory
target, then starts two nginx servers with the same main settings (one worker process):

- "published": deploy/nginx-published.conf as shipped (its port and root replaced), serving
  the target's `current` link, the path mapped to its file by `try_files`, gzip copies by
  `gzip_static`, the origin's headers added;
- "plain": the same files copied into a flat folder, each served by its own exact name
  (`location = /index.html`), with their Content-Type and the headers the published copy adds
  (Cache-Control, and CORS where it sends it): nginx's floor for the same answers.

For each path it loads each server with wrk, one right after the other, `--rounds` times
(alternating which goes first), without and with `Accept-Encoding: gzip`, and prints the
requests per second of each and the published copy's share of the plain server's. Needs
nginx-light and wrk from Debian. E.g.:

    SECRET_KEY=bench .venv/bin/python bench/published_read.py --history 40
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
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "statuspage.settings")
WORK = Path(tempfile.mkdtemp(prefix="published-read-"))
TARGET = WORK / "published"
os.environ["PUBLISH_TARGETS"] = f"file://{TARGET}"
os.environ.setdefault("DATA_DIR", str(WORK / "var"))

NGINX = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")
WRK = shutil.which("wrk")
# Each path a reader asks for, and the file the published copy holds it in.
PATHS = {
    "/": "index.html",
    "/api/v2/summary.json": "api/v2/summary.json",
    "/history?page=2": "history/index@page=2.html",
    "/history.atom": "history.atom",
    "/badge.svg": "badge.svg",
}
CONNECTIONS = 64
# The headers the published copy's configuration adds: the plain server sends them too, so
# that both answers are the same bytes.
ADDED = ("Cache-Control", "Access-Control-Allow-Origin")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_nginx(prefix: Path, site: str, port: int) -> subprocess.Popen:
    """nginx with `site` inside the same main settings for both servers."""
    prefix.mkdir(parents=True)
    (prefix / "site.conf").write_text(site)
    user = "user root;" if os.geteuid() == 0 else ""
    (prefix / "nginx.conf").write_text(
        f"daemon off; {user} worker_processes 1; pid {prefix}/nginx.pid;\n"
        f"error_log {prefix}/error.log warn;\n"
        f"events {{ worker_connections {CONNECTIONS * 4}; }}\n"
        f"http {{ access_log off; client_body_temp_path {prefix}/body;\n"
        f"  include {prefix}/site.conf;\n}}\n"
    )
    proc = subprocess.Popen([NGINX, "-p", str(prefix), "-c", str(prefix / "nginx.conf")])  # noqa: S603
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise SystemExit(f"nginx did not start: {(prefix / 'error.log').read_text()}")


def published_site(port: int, root: Path) -> str:
    site = (ROOT / "deploy" / "nginx-published.conf").read_text()
    for old, new in [
        ("listen 8080;", f"listen 127.0.0.1:{port};"),
        ("root /srv/status/current;", f"root {root};"),
    ]:
        if site.count(old) != 1:
            raise SystemExit(f"deploy/nginx-published.conf no longer has {old!r} once")
        site = site.replace(old, new)
    return site


def plain_site(
    port: int, folder: Path, types: dict[str, str], headers: dict[str, dict[str, str]]
) -> str:
    """Each file under its own exact name, its Content-Type and the headers the published
    copy adds to it (`headers`: name -> header -> value), gzip copies as the other has."""
    locations = ""
    for name, content_type in types.items():
        added = "".join(f"add_header {h} {v!r} always; " for h, v in headers[name].items())
        locations += f"    location = /{name} {{ default_type {content_type!r}; {added}}}\n"
    return (
        f"server {{ listen 127.0.0.1:{port}; root {folder}; types {{ }} charset off;\n"
        f"    gzip_static on;\n{locations}}}\n"
    )


def wrk(url: str, duration: int, gzip: bool) -> float:
    command = [WRK, "-t1", f"-c{CONNECTIONS}", f"-d{duration}s", url]
    if gzip:
        command[1:1] = ["-H", "Accept-Encoding: gzip"]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout  # noqa: S603
    if re.search(r"Non-2xx or 3xx responses", out):
        raise SystemExit(f"{url}: answers other than 2xx/3xx:\n{out}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def seed(history: int) -> None:
    import django

    django.setup()
    from bench.publish import seed_page
    from statuspage.publish.services import publish_site

    seed_page(history)
    publish_site()


def flat_copy(current: Path, folder: Path) -> dict[str, str]:
    """The measured files (and their gzip copies) under flat names; name -> Content-Type."""
    folder.mkdir(parents=True)
    types = {}
    for path, key in PATHS.items():
        name = re.sub(r"[^A-Za-z0-9.]", "_", key)
        shutil.copyfile(current / key, folder / name)
        if (current / f"{key}.gz").exists():
            shutil.copyfile(current / f"{key}.gz", folder / f"{name}.gz")
        types[name] = _content_type(path)
    return types


def _content_type(path: str) -> str:
    if path.endswith(".json"):
        return "application/json"
    if path.endswith(".atom"):
        return "application/atom+xml; charset=utf-8"
    if path.endswith(".svg"):
        return "image/svg+xml; charset=utf-8"
    return "text/html; charset=utf-8"


def added_headers(port: int, path: str) -> dict[str, str]:
    """The headers deploy/nginx-published.conf adds to `path` (beyond a static file's)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path)
        answer = conn.getresponse()
        answer.read()
        return {h: answer.getheader(h) for h in ADDED if answer.getheader(h)}
    finally:
        conn.close()


def start_servers(types: dict[str, str]) -> tuple[list[subprocess.Popen], dict]:
    """Both servers; returns them and, per server, each path's URL."""
    ports = {"published": free_port(), "plain": free_port()}
    published = published_site(ports["published"], TARGET / "current")
    servers = [start_nginx(WORK / "nginx-published", published, ports["published"])]
    names = dict(zip(PATHS, types, strict=True))
    headers = {names[p]: added_headers(ports["published"], p) for p in PATHS}
    plain = plain_site(ports["plain"], WORK / "plain", types, headers)
    servers.append(start_nginx(WORK / "nginx-plain", plain, ports["plain"]))
    urls = {
        "published": {p: f"http://127.0.0.1:{ports['published']}{p}" for p in PATHS},
        "plain": {p: f"http://127.0.0.1:{ports['plain']}/{names[p]}" for p in PATHS},
    }
    return servers, urls


def measure(urls: dict, path: str, gzip: bool, args: argparse.Namespace) -> float:
    """Both servers on one path, alternating which goes first; prints and returns the
    published copy's share of the plain server's rate (medians of the rounds)."""
    rates: dict[str, list[float]] = {"published": [], "plain": []}
    for n in range(args.rounds):
        order = ("plain", "published") if n % 2 == 0 else ("published", "plain")
        for name in order:
            rates[name].append(wrk(urls[name][path], args.duration, gzip))
    mine = statistics.median(rates["published"])
    floor = statistics.median(rates["plain"])
    label = f"{path} ({'gzip' if gzip else 'identity'})"
    rounds = "; ".join(f"{k} {', '.join(f'{r:.0f}' for r in v)}" for k, v in rates.items())
    print(
        f"{label:36} published {mine:>8.0f} req/s  plain {floor:>8.0f} req/s"
        f"  = {100 * mine / floor:3.0f}%  (rounds: {rounds})",
        flush=True,
    )
    return mine / floor


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--history", type=int, default=40, help="past incidents to add")
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if NGINX is None or WRK is None:
        raise SystemExit("needs nginx and wrk (apt-get install nginx-light wrk)")
    seed(args.history)
    types = flat_copy((TARGET / "current").resolve(), WORK / "plain")
    servers, urls = start_servers(types)
    print(f"load average {os.getloadavg()[0]:.2f}; wrk -t1 -c{CONNECTIONS} -d{args.duration}s")
    try:
        shares = [measure(urls, path, gzip, args) for path in PATHS for gzip in (False, True)]
    finally:
        for server in servers:
            server.terminate()
            server.wait(10)
    print(f"median share of plain static nginx: {100 * statistics.median(shares):.0f}%")
    print(f"load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
