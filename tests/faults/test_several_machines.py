"""The scale-out shape (docs/deployment.md, "Several machines"): two web nodes (the app's own
server, `python -m statuspage.serve`, each a process of its own with its own memory and
snapshot folder) and two RQ workers, on one PostgreSQL (with DATABASE_REPLICA_URL set) and
one Redis, behind nginx with deploy/nginx-cluster.conf's upstream block.

A change made through the management API on node A is served by node B, on `/` and on
`/api/v2/summary.json`, within a second of the write returning, although node B had both
documents in its process memory. Through nginx, the change is served too, and still when
node A is killed. The two workers deliver the change's emails exactly once between them."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection

from statuspage.access.models import Membership, Role, Scope
from statuspage.access.services import api_key_create
from tests import nginx_process
from tests.faults.support import (
    ROOT,
    database_url,
    free_port,
    kill_tree,
    killed_on_exit,
    start_worker,
    subprocess_env,
    unavailable,
    wait_until,
)

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.real_clock,
    pytest.mark.django_db(transaction=True),
]

TIME_BOUND_SECONDS = 120
SUBSCRIBERS = 12
CLUSTER_CONF = ROOT / "deploy" / "nginx-cluster.conf"
SITE_CONF = ROOT / "deploy" / "nginx.conf"


def fetch(url: str, *, data: bytes | None = None, headers: dict | None = None):
    request = urllib.request.Request(url, data=data, headers=headers or {})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def _up(base: str) -> bool:
    try:
        return fetch(base + "/healthz")[0] == 200
    except OSError:
        return False


def start_node(env: dict, port: int, workdir: Path) -> subprocess.Popen:
    """One web node as the Procfile starts it, with its own metrics and snapshot folders."""
    workdir.mkdir()
    node_env = env | {
        "PORT": str(port),
        "GRANIAN_HOST": "127.0.0.1",
        "WEB_CONCURRENCY": "1",
        "WEB_THREADS": "4",
        "PROMETHEUS_MULTIPROC_DIR": str(workdir / "prometheus"),
        "PUBLIC_SNAPSHOT_DIR": str(workdir / "snapshots"),
    }
    with open(workdir / "web.log", "wb") as out:
        return subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "statuspage.serve"],
            env=node_env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def cluster_site_conf(node_ports: list[int], listen_port: int, tmp: Path) -> str:
    """deploy/nginx.conf with its upstream block replaced by deploy/nginx-cluster.conf's, whose
    example nodes become the test's, and the other "site:" values replaced."""
    upstream = re.compile(r"^upstream statuspage_app \{.*?^\}", re.MULTILINE | re.DOTALL)
    cluster = upstream.search(CLUSTER_CONF.read_text())
    assert cluster is not None
    block = cluster.group(0)
    for example, port in zip(("10.0.0.11:8000", "10.0.0.12:8000"), node_ports, strict=True):
        assert block.count(example) == 1, example
        block = block.replace(example, f"127.0.0.1:{port}")
    text, count = upstream.subn(lambda _: block, SITE_CONF.read_text())
    assert count == 1
    for old, new in [
        ("listen 80;", f"listen 127.0.0.1:{listen_port};"),
        ("/var/cache/nginx/statuspage ", f"{tmp / 'cache'} "),
        ("alias /srv/statuspage/staticfiles/;", f"alias {tmp / 'static'}/;"),
    ]:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text


@pytest.fixture
def api_key(page, operator) -> str:
    user = get_user_model().objects.create_user("ada", "ada@example.test", "pw")
    Membership.objects.create(user=user, role=Role.RESPONDER)
    _key, raw = api_key_create(
        actor=operator, owner=user, name="on-call", scopes=[Scope.READ, Scope.INCIDENTS]
    )
    return raw


def _shows(base: str, path: str, text: bytes) -> bool:
    status, body = fetch(base + path)
    return status == 200 and text in body


def test_a_change_made_on_one_node_is_served_by_the_other_within_a_second(
    private_redis, sink, email_subscribers, api_key, page, tmp_path
):
    if nginx_process.NGINX is None:
        unavailable("nginx is not installed")
    email_subscribers(SUBSCRIBERS)
    env = subprocess_env(
        DATABASE_URL=database_url(connection.settings_dict),
        # A replica with no lag (the same database under the `replica` alias): the nodes run
        # with the router's replica path on. Which database serves what, and a lagging
        # replica, are tested in tests/statuspage/test_replica.py.
        DATABASE_REPLICA_URL=database_url(connection.settings_dict),
        REDIS_URL=private_redis.url,
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=sink.port,
        NOTIFY_BATCH_SIZE=3,  # several jobs, for the two workers to share
        # API keys are checked against hashes made here.
        SECRET_KEY=settings.SECRET_KEY,
    )
    ports = [free_port(), free_port()]
    node_a, node_b = (f"http://127.0.0.1:{port}" for port in ports)
    with killed_on_exit([]) as processes:
        processes += [start_node(env, port, tmp_path / f"node-{n}") for n, port in enumerate(ports)]
        processes += [start_worker(env, tmp_path / f"worker-{n}.log") for n in range(2)]
        for base in (node_a, node_b):
            wait_until(lambda b=base: _up(b), timeout=30, interval=0.2, what=f"{base} to answer")
            # Both nodes hold both documents in process memory before the change.
            for path in ("/", "/api/v2/summary.json", "/", "/api/v2/summary.json"):
                status, body = fetch(base + path)
                assert status == 200, (base, path, body[:300])
                assert b"Queue stuck" not in body

        status, body = fetch(
            f"{node_a}/api/v1/pages/{page.public_id}/incidents",
            data=json.dumps({"incident": {"name": "Queue stuck", "body": "Looking."}}).encode(),
            headers={"Authorization": f"OAuth {api_key}", "Content-Type": "application/json"},
        )
        written = time.monotonic()
        assert status == 201, body[:500]
        # Node B serves the change within a second of the write returning on node A.
        wait_until(
            lambda: (
                _shows(node_b, "/", b"Queue stuck")
                and _shows(node_b, "/api/v2/summary.json", b"Queue stuck")
            ),
            timeout=max(0.0, written + 1.0 - time.monotonic()),
            interval=0.02,
            what="node B to serve the change",
        )

        nginx = _start_nginx(ports, tmp_path / "nginx")
        try:
            front = f"http://127.0.0.1:{nginx.port}"
            assert _shows(front, "/api/v2/summary.json", b"Queue stuck")
            kill_tree(processes[0], signal.SIGKILL)
            # Each path new to nginx's cache, so each goes to a node: node A refuses, nginx
            # passes the request to node B (unknown query parameters do not change the
            # document, see @public_document).
            for n in range(4):
                assert _shows(front, f"/api/v2/summary.json?n={n}", b"Queue stuck")
                assert _shows(front, f"/?n={n}", b"Queue stuck")
        finally:
            nginx_process.stop(nginx.proc)

        # The replica answered every render's question (a failure is logged as a warning).
        assert "read replica not used" not in (tmp_path / "node-1" / "web.log").read_text()
        wait_until(lambda: sink.received() >= SUBSCRIBERS, timeout=60, what="every email")
        assert sink.unique() == SUBSCRIBERS
        assert sink.duplicates() == 0


class _Nginx:
    def __init__(self, port: int, proc: subprocess.Popen):
        self.port = port
        self.proc = proc


def _start_nginx(node_ports: list[int], prefix: Path) -> _Nginx:
    prefix.mkdir()
    for sub in ("cache", "static"):
        (prefix / sub).mkdir()
    port = free_port()
    (prefix / "site.conf").write_text(cluster_site_conf(node_ports, port, prefix))
    return _Nginx(port, nginx_process.start(prefix, port, connections=128))
