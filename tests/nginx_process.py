"""A real nginx for the tests that put a shipped configuration in front of something
(tests/statuspage/test_nginx.py: the app; tests/publish/test_nginx.py: a published folder):
the main file around the site's, started in the foreground under a temporary prefix."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

NGINX = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")


def start(prefix: Path, port: int, *, connections: int = 64, http: str = "") -> subprocess.Popen:
    """Start nginx with `prefix`/site.conf (already written) listening on `port`; returns once
    the port accepts connections. `http` adds directives to the http block."""
    assert NGINX is not None
    (prefix / "temp").mkdir(exist_ok=True)
    # As root nginx's workers would switch to "nobody", who cannot use the tmp folders.
    user = "user root;" if os.geteuid() == 0 else ""
    (prefix / "nginx.conf").write_text(
        f"""
        daemon off; {user}
        worker_processes 1;
        pid {prefix}/nginx.pid;
        error_log stderr warn;
        events {{ worker_connections {connections}; }}
        http {{
            {http}
            access_log off;
            client_body_temp_path {prefix}/temp/body;
            proxy_temp_path {prefix}/temp/proxy;
            fastcgi_temp_path {prefix}/temp/fastcgi;
            uwsgi_temp_path {prefix}/temp/uwsgi;
            scgi_temp_path {prefix}/temp/scgi;
            include {prefix}/site.conf;
        }}
        """
    )
    proc = subprocess.Popen(  # noqa: S603 - our own command line
        [NGINX, "-p", str(prefix), "-e", "stderr", "-c", str(prefix / "nginx.conf")],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else ""
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise AssertionError("nginx did not start")


def stop(proc: subprocess.Popen) -> None:
    """A graceful stop (SIGQUIT), then a kill if it takes more than 10 s."""
    proc.send_signal(signal.SIGQUIT)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
