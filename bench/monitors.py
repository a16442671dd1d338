"""Monitors benchmark (not a test): N HTTP monitors at one interval against a local target,
checked by ONE worker (this process running the worker's loop: the scheduler's tick every
MONITOR_TICK_SECONDS, then `run_due` for the home region, as `monitors_run_region` does).

Prints the worker's CPU share (its user + system CPU time over the wall time; the target
server and the database run in other processes), check-slot misses (every slot of every
monitor that ended inside the measured window must have exactly one result), and detection
latency: the target turns every answer into a 500 halfway through; for each monitor, the
time from that moment to its first failed result being kept (p50 and p99).

Use its own database (it is flushed), e.g.:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/statuspage_bench SECRET_KEY=bench \\
    flock /tmp/bench.lock .venv/bin/python bench/monitors.py --monitors 1000 --interval 30

Without Redis: the loop runs the checks in-process, as a worker would.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "statuspage.settings")
# The target is on loopback: allowed for this process only (never a default).
os.environ["MONITOR_ALLOWED_NETWORKS"] = "127.0.0.0/8"
os.environ.pop("REDIS_URL", None)

TARGET = r"""
import sys, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
state = {"status": 200}
class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        body = b"ok" if state["status"] == 200 else b"down"
        self.send_response(state["status"])
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
ThreadingHTTPServer.request_queue_size = 2048
server = ThreadingHTTPServer(("127.0.0.1", 0), H)
server.daemon_threads = True
print(server.server_address[1], flush=True)
threading.Thread(target=server.serve_forever, daemon=True).start()
for line in sys.stdin:
    state["status"] = int(line)
"""


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--monitors", type=int, default=1000)
    parser.add_argument("--interval", type=int, default=30)
    parser.add_argument("--seconds", type=int, default=180, help="measured wall time")
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    from incidents.models import Component, Page
    from statuspage.monitors.models import Kind, Monitor, MonitorResult
    from statuspage.monitors.runner import run_due

    call_command("migrate", verbosity=0)
    call_command("flush", interactive=False, verbosity=0)
    # The page row a migration creates (flushed above), as the tests' page fixture makes it.
    Page.objects.create(name="Bench", time_zone="Etc/UTC")

    target = subprocess.Popen(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", TARGET], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert target.stdout is not None and target.stdin is not None
    port = int(target.stdout.readline())
    components = [Component.objects.create(name=f"Service {n:02d}") for n in range(50)]
    Monitor.objects.bulk_create(
        Monitor(
            name=f"check {n:04d}",
            component=components[n % len(components)],
            kind=Kind.HTTP,
            url=f"http://127.0.0.1:{port}/health/{n}",
            interval_seconds=args.interval,
            timeout_seconds=10,
            failures_before_down=1,
            successes_before_up=1,
        )
        for n in range(args.monitors)
    )
    tick = settings.MONITOR_TICK_SECONDS
    print(
        f"{args.monitors} HTTP monitors, interval {args.interval} s, tick {tick} s, "
        f"concurrency {settings.MONITOR_CONCURRENCY}, {args.seconds} s measured, "
        f"database {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}"
    )
    # Start on a slot boundary so the first and last slots are whole.
    time.sleep(args.interval - time.time() % args.interval)
    started = datetime.now(UTC)
    outage_at: datetime | None = None
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    wall0 = time.monotonic()
    busiest = 0.0
    while time.monotonic() - wall0 < args.seconds:
        if outage_at is None and time.monotonic() - wall0 >= args.seconds / 2:
            target.stdin.write("500\n")
            target.stdin.flush()
            outage_at = datetime.now(UTC)
        began = time.monotonic()
        run_due()
        busiest = max(busiest, time.monotonic() - began)
        # The scheduler's tick: the next multiple of MONITOR_TICK_SECONDS.
        time.sleep(max(0.0, tick - time.time() % tick))
    wall = time.monotonic() - wall0
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    ended = datetime.now(UTC)
    target.kill()

    first_slot = int(started.timestamp()) // args.interval
    last_slot = int(ended.timestamp()) // args.interval - 1  # the last slot that ended
    slots = range(first_slot, last_slot + 1)
    kept = set(
        MonitorResult.objects.filter(slot__gte=first_slot, slot__lte=last_slot).values_list(
            "monitor_id", "slot"
        )
    )
    monitor_ids = list(Monitor.objects.values_list("pk", flat=True))
    misses = sum(1 for m in monitor_ids for s in slots if (m, s) not in kept)
    assert outage_at is not None
    latencies = []
    undetected = 0
    for monitor_id in monitor_ids:
        first_failure = (
            MonitorResult.objects.filter(monitor_id=monitor_id, ok=False, checked_at__gte=outage_at)
            .order_by("checked_at")
            .values_list("checked_at", flat=True)
            .first()
        )
        if first_failure is None:
            undetected += 1
        else:
            latencies.append((first_failure - outage_at) / timedelta(seconds=1))
    print(f"worker CPU: {cpu:.1f} s over {wall:.0f} s wall = {100 * cpu / wall:.1f}% of one core")
    print(f"longest run of due checks: {busiest:.1f} s")
    print(
        f"check slots: {len(monitor_ids) * len(slots)} expected "
        f"({len(slots)} whole slots x {len(monitor_ids)}), {misses} missed"
    )
    print(
        f"detection latency: p50 {statistics.median(latencies):.1f} s, "
        f"p99 {percentile(latencies, 0.99):.1f} s, max {max(latencies):.1f} s "
        f"({len(latencies)} monitors; {undetected} not detected before the end)"
    )
    print("load average:", " ".join(f"{x:.2f}" for x in os.getloadavg()))


if __name__ == "__main__":
    main()
