"""The Procfile's `web:` command as a process manager runs it (`sh -c`, PORT and
WEB_CONCURRENCY from the platform): granian configured by deploy/granian.env, two worker
processes, metrics added up across them. Its own SQLite database in a temporary folder."""

from __future__ import annotations

import http.client
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings
from prometheus_client.parser import text_string_to_metric_families

from statuspage import serve
from statuspage.processes import kill_tree

ROOT = Path(settings.BASE_DIR)
BIN = Path(sys.executable).parent


# The web process runs on the machine's clock: so do these tests.
pytestmark = pytest.mark.real_clock


def procfile_command(name: str) -> str:
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.startswith(f"{name}:"):
            return line.split(":", 1)[1].strip()
    raise AssertionError(f"no {name}: line in the Procfile")


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Web:
    def __init__(self, port: int, metrics_dir: Path, log: Path):
        self.port = port
        self.metrics_dir = metrics_dir
        self.log = log
        self.sent: Counter[str] = Counter()  # requests the tests made, by path

    def connect(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=15)

    def get(self, path: str, conn: http.client.HTTPConnection | None = None, **headers):
        own = conn is None
        conn = conn or self.connect()
        try:
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            body = response.read()
            self.sent[path] += 1
            return response.status, response.headers, body
        finally:
            if own:
                conn.close()

    def metric(self, name: str, **labels) -> float:
        status, _, body = self.get("/metrics")
        assert status == 200, body[:500]
        total = 0.0
        for family in text_string_to_metric_families(body.decode()):
            for s in family.samples:
                if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                    total += s.value
        return total


def _stale_metrics(metrics_dir: Path, env: dict) -> None:
    """Counter files as an earlier run of the server would have left them."""
    script = (
        "import django; django.setup()\n"
        "from statuspage import metrics\n"
        "metrics.REQUESTS.labels('healthz', 'GET', '200').inc(1000)\n"
    )
    subprocess.run(  # noqa: S603 - our own interpreter
        [sys.executable, "-c", script],
        env={**env, "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)},
        cwd=ROOT,
        check=True,
        timeout=60,
    )
    assert list(metrics_dir.glob("counter_*.db"))


@pytest.fixture(scope="module")
def web(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("procfile-web")
    metrics_dir = tmp / "prometheus"
    metrics_dir.mkdir()
    port = free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "REDIS_URL") and not k.startswith("GRANIAN_")
    }
    env.update(
        PATH=f"{BIN}:{env.get('PATH', '/usr/bin:/bin')}",
        DJANGO_SETTINGS_MODULE="statuspage.settings",
        SECRET_KEY="procfile-test-only",
        DEBUG="false",
        DATA_DIR=str(tmp),
        LOG_LEVEL="WARNING",
        PORT=str(port),
        WEB_CONCURRENCY="2",
        PROMETHEUS_MULTIPROC_DIR=str(metrics_dir),
    )
    subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        [sys.executable, "manage.py", "migrate", "--no-input", "--skip-checks"],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=120,
    )
    _stale_metrics(metrics_dir, env)
    log = tmp / "web.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(  # noqa: S603 - the Procfile line, as a process manager runs it
            ["/bin/sh", "-c", procfile_command("web")],
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Web(port, metrics_dir, log)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, log.read_text(errors="replace")
            try:
                if server.get("/readyz")[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, log.read_text(errors="replace")
            time.sleep(0.2)
        yield server
    finally:
        if not kill_tree(proc, signal.SIGTERM, timeout=15):
            kill_tree(proc, signal.SIGKILL, timeout=10)


def test_procfile_web_starts_granian_with_two_workers_from_its_config_file(web):
    status, _, body = web.get("/healthz")
    assert status == 200 and body == b'{"status": "ok"}'
    log = web.log.read_text(errors="replace")
    assert f"Listening at: http://0.0.0.0:{web.port}" in log
    assert len(set(re.findall(r"Spawning worker-\d+ with PID: (\d+)", log))) == 2, log


def test_procfile_web_serves_the_front_page_and_then_from_memory(web):
    fast_before = web.metric("statuspage_http_fast_path_responses_total")
    front_before = web.metric("statuspage_http_requests_total", route="/", status="200")
    # One keep-alive connection stays with one worker process: the one that rendered it.
    conn = web.connect()
    try:
        status, first, body = web.get("/", conn)
        assert status == 200 and b"<html" in body
        status, again, same = web.get("/", conn, **{"X-Request-ID": "lb-42"})
    finally:
        conn.close()
    assert status == 200 and same == body and again["ETag"] == first["ETag"]
    assert again["X-Request-ID"] == "lb-42" and len(first["X-Request-ID"]) == 32
    # The fast path's answer reaches the metric files with its worker's next flush (once a
    # second); the scrape may be answered by the other worker before that.
    fast = _eventually(
        lambda: web.metric("statuspage_http_fast_path_responses_total"), fast_before + 1
    )
    assert fast == fast_before + 1
    front = _eventually(
        lambda: web.metric("statuspage_http_requests_total", route="/", status="200"),
        front_before + 2,
    )
    assert front == front_before + 2


def _eventually(read, expected: float, seconds: float = 10) -> float:
    """`read()` once it returns `expected`, or its last value after `seconds`."""
    deadline = time.monotonic() + seconds
    value = read()
    while value != expected and time.monotonic() < deadline:
        time.sleep(0.2)
        value = read()
    return value


def test_procfile_web_metrics_add_up_both_workers_and_start_from_zero(web):
    for _ in range(40):
        assert web.get("/healthz")[0] == 200  # a new connection each: either worker answers
    healthz = web.metric("statuspage_http_requests_total", route="healthz", status="200")
    # Every request the tests made, whichever worker answered it, and not the 1000 left in
    # the directory before the server started.
    assert healthz == web.sent["/healthz"]
    # One file per worker process, and none of the earlier run's.
    pids = {p.stem.rsplit("_", 1)[1] for p in web.metrics_dir.glob("counter_*.db")}
    assert len(pids) == 2, pids


# --- statuspage.serve's precedence ---------------------------------------------------------


def test_granian_env_file_holds_the_production_options():
    config = serve.read_config(serve.CONFIG)
    assert config["GRANIAN_INTERFACE"] == "wsgi"
    assert config["GRANIAN_WORKERS"] == "2" and config["GRANIAN_BLOCKING_THREADS"] == "4"
    assert config["GRANIAN_BACKLOG"] == "2048"
    assert config["GRANIAN_RESPAWN_FAILED_WORKERS"] == "true"
    assert config["PROMETHEUS_MULTIPROC_DIR"]


def test_environment_beats_platform_variables_which_beat_the_file():
    config = {"GRANIAN_PORT": "8000", "GRANIAN_WORKERS": "2", "GRANIAN_BACKLOG": "2048"}
    env = serve.environment({"PORT": "5000", "WEB_CONCURRENCY": "8"}, config)
    assert env["GRANIAN_PORT"] == "5000" and env["GRANIAN_WORKERS"] == "8"
    assert env["GRANIAN_BACKLOG"] == "2048"
    env = serve.environment({"PORT": "5000", "GRANIAN_PORT": "6000"}, config)
    assert env["GRANIAN_PORT"] == "6000"


def test_a_relative_metrics_dir_is_under_the_checkout():
    env = serve.environment({}, {"PROMETHEUS_MULTIPROC_DIR": "var/prometheus"})
    assert env["PROMETHEUS_MULTIPROC_DIR"] == str(ROOT / "var" / "prometheus")
    env = serve.environment({"PROMETHEUS_MULTIPROC_DIR": "/run/metrics"}, {})
    assert env["PROMETHEUS_MULTIPROC_DIR"] == "/run/metrics"


def test_starting_empties_only_the_metric_files(tmp_path):
    (tmp_path / "counter_123.db").write_bytes(b"x")
    (tmp_path / "histogram_123.db").write_bytes(b"x")
    (tmp_path / "keep.txt").write_text("not ours")
    serve.empty_metrics_dir(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.txt"]
    serve.empty_metrics_dir(tmp_path / "new")
    assert (tmp_path / "new").is_dir()


def test_a_malformed_config_line_is_refused(tmp_path):
    bad = tmp_path / "granian.env"
    bad.write_text("GRANIAN_WORKERS=2\nworkers 4\n")
    with pytest.raises(serve.ConfigError, match="granian.env:2"):
        serve.read_config(bad)
