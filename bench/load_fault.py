#!/usr/bin/env python
"""Load plus faults: the public page under load while an operator posts updates and a worker
is killed. Not a test: it prints figures.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/statuspage_bench_fault \\
    REDIS_URL=redis://127.0.0.1:6379/13 SECRET_KEY=bench \\
    .venv/bin/python bench/load_fault.py [--duration 30] [--subscribers 500]

THE DATABASE IS EMPTIED (flush) first, and the Redis db's queues are emptied: give it its own.

1. Seeds 20 components, 30 past incidents, one open incident and N active email subscribers.
2. Starts the processes as the Procfile does: its `web:` line (granian with
   deploy/granian.env, 2 workers), two `rqworker notifications default --with-scheduler`,
   `notifications_cron`; email goes to a local aiosmtpd sink that counts Message-IDs.
   NOTIFY_LEASE_SECONDS=10, so rows claimed by a killed worker are re-sent by the relay
   (every 30 s) well within the run.
3. Runs wrk (2 threads, 64 connections, gzip) on `/` for --duration seconds (a Python
   client if wrk is absent). Meanwhile every --interval seconds an update is posted through
   the services (each fans out to every subscriber) and `/` is polled until its text shows;
   at 1/3 and 2/3 of the run one worker is SIGKILLed with every process below it (its work
   horse runs in a process group of its own, so a kill of the worker's group would miss it)
   and started again 3 s later.
4. Prints throughput, non-2xx and socket errors, time-to-visible per update, the peak RSS of
   the web and worker processes (sampled from /proc every 0.25 s), whether every delivery
   was sent once the workers caught up, and the messages the SMTP sink received twice
   (re-sent after a kill: delivery is at-least-once).

Exits 1 when there were non-2xx responses or socket errors, or a delivery was not sent.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import logging
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "statuspage.settings")

from public_load import ACCEPT_ENCODING, free_port, seed, wait_up  # noqa: E402
from scaling import add_subscribers, reset  # noqa: E402

from statuspage.processes import kill_tree  # noqa: E402

CONNECTIONS = 64
MESSAGE_ID = re.compile(rb"^Message-ID:\s*(<[^>\r\n]+>)", re.IGNORECASE | re.MULTILINE)


def procfile(name: str) -> list[str]:
    """A Procfile line (one command) as argv, `python` and tools from this virtualenv."""
    line = next(
        line.split(":", 1)[1].strip()
        for line in (ROOT / "Procfile").read_text().splitlines()
        if line.startswith(f"{name}:")
    )
    argv = shlex.split(line)
    if argv[0] == "python":
        argv[0] = sys.executable
    elif (BIN / argv[0]).exists():
        argv[0] = str(BIN / argv[0])
    return argv


class MessageSink:
    """An SMTP sink that counts each Message-ID it receives: a message re-sent after a kill
    counts twice (the id is stable per delivery)."""

    def __init__(self):
        self.ids: Counter[bytes] = Counter()
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd hook
        match = MESSAGE_ID.search(envelope.content)
        key = match.group(1) if match else b"<no-id-%d>" % id(envelope)
        with self.lock:
            self.ids[key] += 1
        return "250 OK"

    def received(self) -> int:
        with self.lock:
            return sum(self.ids.values())

    def duplicates(self) -> int:
        with self.lock:
            return sum(n - 1 for n in self.ids.values())


def start_sink() -> tuple[MessageSink, object]:
    from aiosmtpd.controller import Controller

    # aiosmtpd logs every SMTP command at INFO: thousands of lines per update.
    logging.getLogger("mail.log").setLevel(logging.WARNING)

    class Ephemeral(Controller):
        def _trigger_server(self):
            self.port = self.server.sockets[0].getsockname()[1]
            super()._trigger_server()

    sink = MessageSink()
    controller = Ephemeral(sink, hostname="127.0.0.1", port=0)
    controller.start()
    return sink, controller


def socket_error_count(errors) -> int:
    """wrk prints "connect 0, read 0, write 0, timeout 0"; the Python client counts."""
    if isinstance(errors, int):
        return errors
    return sum(int(n) for n in re.findall(r"\d+", errors))


# --- memory ------------------------------------------------------------------------------------


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        tree.setdefault(ppid, []).append(int(entry))
    return tree


def _rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class MemorySampler(threading.Thread):
    """Peak RSS per role: the largest single process, and the largest sum over the role's
    process trees at one instant (what the machine must hold)."""

    def __init__(self, roles: dict[str, callable]):
        super().__init__(daemon=True)
        self.roles = roles
        self.peak_total: Counter = Counter()
        self.peak_single: Counter = Counter()
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(0.25):
            tree = _children()
            for role, roots in self.roles.items():
                pids, todo = [], list(roots())
                while todo:
                    pid = todo.pop()
                    pids.append(pid)
                    todo.extend(tree.get(pid, []))
                sizes = [_rss_kib(pid) for pid in pids]
                self.peak_total[role] = max(self.peak_total[role], sum(sizes))
                self.peak_single[role] = max(self.peak_single[role], max(sizes, default=0))


# --- load --------------------------------------------------------------------------------------


def start_wrk(port: int, duration: int) -> subprocess.Popen:
    return subprocess.Popen(  # noqa: S603
        [shutil.which("wrk"), "-t2", f"-c{CONNECTIONS}", f"-d{duration}s", "--latency",
         # wrk's default 2 s would count slow answers on a saturated machine as errors.
         "--timeout", "10s",
         "-H", f"Accept-Encoding: {ACCEPT_ENCODING}", f"http://127.0.0.1:{port}/"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip


def wrk_result(proc: subprocess.Popen) -> dict:
    out = proc.communicate()[0]
    total = int(re.search(r"(\d+) requests in", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sockets = re.search(r"Socket errors: (connect \d+, read \d+, write \d+, timeout \d+)", out)
    return {
        "requests": total,
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "non2xx": int(non2xx.group(1)) if non2xx else 0,
        "socket_errors": sockets.group(1) if sockets else 0,
        "p99": re.search(r"99%\s+(\S+)", out).group(1),
    }


class PythonLoad(threading.Thread):
    """The fallback when wrk is absent: the client, not the server, is then the bottleneck."""

    def __init__(self, port: int, duration: int):
        super().__init__(daemon=True)
        self.port, self.duration = port, duration
        self.counts: Counter = Counter()

    def run(self) -> None:
        stop = time.monotonic() + self.duration

        def loop():
            conn = None
            while time.monotonic() < stop:
                try:
                    conn = conn or http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
                    conn.request("GET", "/", headers={"Accept-Encoding": ACCEPT_ENCODING})
                    response = conn.getresponse()
                    response.read()
                    self.counts["ok" if response.status < 400 else "non2xx"] += 1
                except OSError:
                    self.counts["socket_errors"] += 1
                    conn = None

        threads = [threading.Thread(target=loop) for _ in range(16)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    def result(self) -> dict:
        total = sum(self.counts.values())
        return {
            "requests": total, "rps": total / self.duration, "non2xx": self.counts["non2xx"],
            "socket_errors": self.counts["socket_errors"], "p99": "n/a",
        }  # fmt: skip


def time_to_visible(port: int, text: str, began: float, limit: float = 15) -> float:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    while time.monotonic() - began < limit:
        conn.request("GET", "/")
        if text.encode() in conn.getresponse().read():
            return time.monotonic() - began
        time.sleep(0.02)
    return float("inf")


# --- the run -----------------------------------------------------------------------------------


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=30)
    parser.add_argument("--interval", type=float, default=4.0, help="seconds between updates")
    parser.add_argument("--subscribers", type=int, default=500)
    parser.add_argument("--drain", type=int, default=120, help="seconds to wait for delivery")
    return parser.parse_args()


def _seed(subscribers: int):
    """Step 1: the seeded page, empty queues; returns the open incident and its actor."""
    import django_rq
    from django.core.management import call_command

    from incidents import services
    from incidents.models import Component

    call_command("migrate", verbosity=0)
    reset()
    seed(components=20, incidents=30, days=90)
    add_subscribers(0, subscribers)
    for name in ("notifications", "default"):
        django_rq.get_queue(name).empty()
    actor = services.Actor(label="operator", via="automation")
    incident = services.incident_create(
        name="Elevated error rates", body="Investigating.", actor=actor, notify=False,
        component_statuses={Component.objects.first(): "partial_outage"},
    )  # fmt: skip
    return incident, actor


class Processes:
    """Step 2: the Procfile's processes, each in a session of its own (a kill reaches a
    worker and its work horse, as a crash would), logging to one file."""

    def __init__(self, work: Path, smtp_port: int) -> None:
        self.env = {
            **os.environ,
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(smtp_port),
            "NOTIFY_LEASE_SECONDS": "10",
            "LOG_LEVEL": "WARNING",
        }
        self.logs = open(work / "processes.log", "w")  # noqa: SIM115 - closed in stop()
        self.port = free_port()
        self.web_argv = procfile("web")
        web_env = {
            "PORT": str(self.port),
            "WEB_CONCURRENCY": "2",
            "GRANIAN_HOST": "127.0.0.1",
            "PROMETHEUS_MULTIPROC_DIR": str(work / "prometheus"),
        }
        self.web = self.spawn(self.web_argv, web_env)
        self.workers = [self.spawn(procfile("worker")) for _ in range(2)]
        self.scheduler = self.spawn(procfile("scheduler"))

    def spawn(self, argv: list[str], extra: dict[str, str] | None = None) -> subprocess.Popen:
        return subprocess.Popen(  # noqa: S603 - the Procfile's lines
            argv,
            cwd=ROOT,
            env={**self.env, **(extra or {})},
            stdout=self.logs,
            stderr=self.logs,
            start_new_session=True,
        )

    def kill_worker(self, victim: int) -> None:
        if not kill_tree(self.workers[victim], signal.SIGKILL):
            print(f"warning: processes of worker {victim} outlived SIGKILL")

    def restart_worker(self, victim: int) -> None:
        self.workers[victim] = self.spawn(procfile("worker"))

    def stop(self) -> None:
        # SIGTERM first (warm shutdown), then SIGKILL for whatever is left, whole trees.
        for proc in [self.web, self.scheduler, *self.workers]:
            with contextlib.suppress(Exception):
                if not kill_tree(proc, signal.SIGTERM, timeout=15):
                    kill_tree(proc, signal.SIGKILL, timeout=5)
        self.logs.close()


def _start_load(port: int, duration: int):
    """Step 3's load: wrk, or a Python client where wrk is absent; returns (wrk's process
    or None, the Python client or None)."""
    if shutil.which("wrk"):
        return start_wrk(port, duration), None
    print("wrk not installed: Python client (the client is the bottleneck)")
    python_load = PythonLoad(port, duration)
    python_load.start()
    return None, python_load


def _updates_and_kills(procs: Processes, incident, actor, args) -> list[float]:
    """Step 3's updates, one every --interval seconds, each timed until `/` shows it; one
    worker killed at 1/3 and 2/3 of the run and started again 3 s later. Returns each
    update's time to visible."""
    from incidents import services

    began = time.monotonic()
    kills = [began + args.duration / 3, began + 2 * args.duration / 3]
    restarts: list[tuple[float, int]] = []
    visible: list[float] = []
    kills_done = 0
    while time.monotonic() - began < args.duration - 2:
        now = time.monotonic()
        if kills and now >= kills[0]:
            kills.pop(0)
            victim = kills_done % len(procs.workers)
            kills_done += 1
            procs.kill_worker(victim)
            print(f"t={now - began:5.1f}s SIGKILL worker {victim} and its work horse")
            restarts.append((now + 3, victim))
        for at, victim in [r for r in restarts if r[0] <= now]:
            restarts.remove((at, victim))
            procs.restart_worker(victim)
            print(f"t={now - began:5.1f}s worker {victim} started again")
        text = f"Update number {len(visible) + 1} at {time.time_ns()}"
        posted = time.monotonic()
        services.incident_update_post(
            incident=incident, status="identified", body=text, actor=actor
        )
        visible.append(time_to_visible(procs.port, text, posted))
        print(f"t={posted - began:5.1f}s update {len(visible)} visible on / "
              f"after {visible[-1]:.2f} s")  # fmt: skip
        time.sleep(max(0.0, args.interval - (time.monotonic() - posted)))
    for _at, victim in restarts:
        procs.restart_worker(victim)
    return visible


def _drain(expected: int, seconds: int) -> tuple[int, float]:
    """Step 4's wait for the workers to catch up: (deliveries sent, seconds waited)."""
    from notifications.models import Delivery

    began = time.monotonic()
    while time.monotonic() - began < seconds:
        if Delivery.objects.filter(state="sent").count() >= expected:
            break
        time.sleep(1)
    return Delivery.objects.filter(state="sent").count(), time.monotonic() - began


def _report(args, result: dict, visible: list[float], sent: int, expected: int,
            drained: float, sink: MessageSink, sampler: MemorySampler) -> int:  # fmt: skip
    """Step 4's figures; returns the exit status."""
    print()
    print(f"requests: {result['requests']} in {args.duration} s = {result['rps']:.0f} "
          f"req/s, p99 {result['p99']}")  # fmt: skip
    print(f"non-2xx responses: {result['non2xx']}, socket errors: {result['socket_errors']}")
    print(f"updates: {len(visible)}; time to visible on / (s): "
          f"{', '.join(f'{v:.2f}' for v in visible)}; max {max(visible):.2f}")  # fmt: skip
    print(f"deliveries sent: {sent}/{expected} ({drained:.0f} s after the load ended); "
          f"messages received by the SMTP sink: {sink.received()}, "
          f"of them received twice (re-sent after a kill): {sink.duplicates()}")  # fmt: skip
    for role in ("web", "worker"):
        single, total = sampler.peak_single[role] / 1024, sampler.peak_total[role] / 1024
        print(f"peak RSS {role}: largest process {single:.0f} MiB, "
              f"all {role} processes together {total:.0f} MiB")  # fmt: skip
    failures = []
    if result["non2xx"]:
        failures.append(f"{result['non2xx']} non-2xx responses")
    if socket_error_count(result["socket_errors"]):
        failures.append(f"socket errors ({result['socket_errors']})")
    if sent < expected:
        failures.append(f"{expected - sent} deliveries not sent")
    if failures:
        print(f"FAILED: {'; '.join(failures)}")
        return 1
    return 0


def main() -> int:
    args = _arguments()
    if not os.environ.get("REDIS_URL") or not os.environ.get("DATABASE_URL"):
        sys.exit("Set DATABASE_URL and REDIS_URL (a database and Redis db of their own).")
    work = Path(tempfile.mkdtemp(prefix="load-fault-"))
    os.environ.setdefault("DATA_DIR", str(work))
    import django

    django.setup()
    incident, actor = _seed(args.subscribers)
    sink, controller = start_sink()
    procs = Processes(work, controller.port)
    sampler = MemorySampler(
        {"web": lambda: [procs.web.pid], "worker": lambda: [w.pid for w in procs.workers]}
    )
    try:
        wait_up(procs.port)
        print(f"web: {' '.join(procs.web_argv[1:])} (deploy/granian.env), 2 workers")
        print(f"subscribers: {args.subscribers}; update every {args.interval:.0f} s; "
              f"load {args.duration} s on / with {CONNECTIONS} connections")  # fmt: skip
        sampler.start()
        wrk, python_load = _start_load(procs.port, args.duration)
        visible = _updates_and_kills(procs, incident, actor, args)
        if python_load is not None:
            python_load.join()
            result = python_load.result()
        else:
            result = wrk_result(wrk)
        expected = len(visible) * args.subscribers
        sent, drained = _drain(expected, args.drain)
        sampler.stopped.set()
        sampler.join()
        return _report(args, result, visible, sent, expected, drained, sink, sampler)
    finally:
        sampler.stopped.set()
        procs.stop()
        controller.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
