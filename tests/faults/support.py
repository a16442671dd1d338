"""Real parts the fault tests break on purpose: an SMTP sink that counts Message-IDs, RQ
workers in their own processes, a private redis-server, and a TCP proxy in front of
PostgreSQL that can be cut. Every wait has a deadline; `stop()`/`kill_tree()` never hang."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import quote

import pytest
from aiosmtpd.controller import Controller

from statuspage.processes import kill_tree as _kill_tree

# aiosmtpd logs every SMTP command at INFO: thousands of records per fan-out.
logging.getLogger("mail.log").setLevel(logging.WARNING)

ROOT = Path(__file__).resolve().parent.parent.parent
MANAGE = str(ROOT / "manage.py")
_MESSAGE_ID = re.compile(rb"^Message-ID:\s*(<[^>\r\n]+>)", re.IGNORECASE | re.MULTILINE)


def real_services_required() -> bool:
    """CI's PostgreSQL + Redis pass sets REQUIRE_REAL_SERVICES=1: there, a test that cannot
    find a real service it needs must fail, or a broken setup would pass by skipping."""
    return os.environ.get("REQUIRE_REAL_SERVICES", "").strip().lower() in ("1", "true", "yes")


def unavailable(reason: str):
    """Skip the test for want of a real service, or fail it when the run requires them."""
    if real_services_required():
        pytest.fail(f"{reason}; REQUIRE_REAL_SERVICES=1 requires it", pytrace=False)
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(predicate, *, timeout: float, interval: float = 0.05, what: str = "condition"):
    """Poll until `predicate()` is truthy and return its value; AssertionError at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


# --- SMTP ---------------------------------------------------------------------------------------


class _Ephemeral(Controller):
    def _trigger_server(self):
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class SmtpSink:
    """Accepts every message; counts each Message-ID it received (a duplicate counts twice).
    `delay` seconds per message make a batch slow enough to interrupt. With `hold_after`, the
    messages after the first `hold_after` get no answer until `release()`, and then a 451:
    not accepted, never counted (a worker can be killed with exactly that many accepted)."""

    def __init__(self, delay: float = 0.0, hold_after: int | None = None):
        self.delay = delay
        self.hold_after = hold_after
        self.held = 0
        self.released = threading.Event()
        self.ids: Counter[str] = Counter()
        self.lock = threading.Lock()
        self.controller = _Ephemeral(self, hostname="127.0.0.1", port=0)

    async def handle_EHLO(self, server, session, envelope, hostname, responses):  # noqa: N802
        # Pipelined, as real servers: a batch's next envelope goes with each message's
        # content, and a killed worker must still re-send at most the message in flight.
        session.host_name = hostname
        return [*responses[:-1], "250-PIPELINING", responses[-1]]

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.hold_after is not None and self.received() >= self.hold_after:
            with self.lock:
                self.held += 1
            while not self.released.is_set():
                await asyncio.sleep(0.05)
            return "451 4.3.0 Try again later"
        match = _MESSAGE_ID.search(envelope.content)
        key = match.group(1).decode() if match else f"<no-id-{id(envelope)}>"
        with self.lock:
            self.ids[key] += 1
        return "250 OK"

    def start(self) -> SmtpSink:
        self.controller.start()
        return self

    def release(self) -> None:
        """Answer the held messages (451) and accept every later one."""
        self.hold_after = None
        self.released.set()

    def stop(self) -> None:
        self.released.set()
        with contextlib.suppress(Exception):
            self.controller.stop()

    @property
    def port(self) -> int:
        return self.controller.port

    def unique(self) -> int:
        with self.lock:
            return len(self.ids)

    def seen(self) -> set[str]:
        with self.lock:
            return set(self.ids)

    def received(self) -> int:
        with self.lock:
            return sum(self.ids.values())

    def duplicates(self) -> int:
        with self.lock:
            return sum(n - 1 for n in self.ids.values())


# --- processes ----------------------------------------------------------------------------------


def kill_tree(proc: subprocess.Popen, sig: int = signal.SIGKILL, *, timeout: float = 10) -> None:
    """statuspage.processes.kill_tree, failing the test if a process outlives `timeout`."""
    assert _kill_tree(proc, sig, timeout=timeout), f"processes of {proc.pid} still running"


def subprocess_env(**extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "SECRET_KEY": "fault-tests-only",
        "DEBUG": "false",
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }
    env.update({k: str(v) for k, v in extra.items()})
    return env


def database_url(settings_dict: dict, *, host: str | None = None, port: int | None = None) -> str:
    """A postgres:// URL for the database the test runs on (pytest-django's test database)."""
    user = quote(settings_dict.get("USER") or "postgres")
    password = settings_dict.get("PASSWORD") or ""
    auth = f"{user}:{quote(password)}" if password else user
    host = host or settings_dict.get("HOST") or "127.0.0.1"
    port = port or settings_dict.get("PORT") or 5432
    return f"postgres://{auth}@{host}:{port}/{settings_dict['NAME']}"


def start_worker(env: dict, log: Path, *, burst: bool = False) -> subprocess.Popen:
    # System checks ran in the test process already; skipping them halves the start-up.
    args = [sys.executable, MANAGE, "rqworker", "notifications", "--skip-checks"]
    if burst:
        args.append("--burst")
    with open(log, "ab") as out:
        return subprocess.Popen(  # noqa: S603 - our own interpreter and manage.py
            args, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


# --- Redis --------------------------------------------------------------------------------------


class PrivateRedis:
    """A throwaway redis-server on a free loopback port, stopped and restarted at will."""

    def __init__(self, workdir: Path):
        self.port = free_port()
        self.workdir = workdir
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> PrivateRedis:
        import redis

        binary = shutil.which("redis-server")
        args = [binary, "--port", str(self.port), "--bind", "127.0.0.1"]
        args += ["--save", "", "--appendonly", "no", "--dir", str(self.workdir)]
        self.proc = subprocess.Popen(  # noqa: S603 - the installed redis-server
            args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        client = redis.Redis(port=self.port, socket_connect_timeout=0.5)

        def up():
            try:
                return client.ping()
            except redis.RedisError:
                return False

        wait_until(up, timeout=10, what="redis-server to answer")
        return self

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self.proc = None


def redis_settings(url: str) -> dict:
    """Settings that point the queues (not the cache) at `url`."""
    return {
        "REDIS_URL": url,
        "RQ_QUEUES": {
            name: {"URL": url, "DEFAULT_TIMEOUT": 300, "SOCKET_CONNECT_TIMEOUT": 1}
            for name in ("default", "notifications")
        },
    }


# --- a TCP proxy that can be cut ----------------------------------------------------------------


class TcpProxy:
    """Forwards 127.0.0.1:<port> to `upstream`. `cut()` closes the listener and every open
    connection, as a database host that drops off the network would look to the app."""

    def __init__(self, upstream: tuple[str, int]):
        self.upstream = upstream
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.sockets: set[socket.socket] = set()
        self.lock = threading.Lock()
        self.open = True
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while self.open:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self.upstream, timeout=5)
                server.settimeout(None)
            except OSError:
                client.close()
                continue
            with self.lock:
                if not self.open:
                    client.close()
                    server.close()
                    return
                self.sockets |= {client, server}
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        with self.lock:
            self.open = False
            sockets, self.sockets = self.sockets, set()
        with contextlib.suppress(OSError):
            self.listener.close()
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()


@contextlib.contextmanager
def killed_on_exit(processes: list):
    """Kill every process in `processes` (it may grow inside the block) on the way out."""
    try:
        yield processes
    finally:
        for proc in processes:
            with contextlib.suppress(Exception):
                kill_tree(proc, signal.SIGKILL, timeout=5)
