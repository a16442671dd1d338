"""Publishing benchmark (not a test): commit-to-visible latency of the published copy.

Seeds the demo page, publishes it once to a fresh directory target, then makes N changes (an
update posted to an open incident, each with its own text) one after the other. For each it
measures the time from the commit to the moment the change is in the published copy (the
front page and the incident's permalink under `current/` both hold the text), how many
documents the publish rendered (the manifest's `rendered`), and what it wrote: objects (and
their gzip copies) and bytes, from the manifests before and after.

By default a publish renders only what the change touched (docs/publishing.md); with
`--render-all` (PUBLISH_INCREMENTAL=false) every publish renders every document, as before.
`--history N` first adds N resolved incidents over the past 90 days, a page with a longer
past (more permalinks, history pages and calendar cells), created before the first publish.

With REDIS_URL set, the publish job goes through a real RQ queue to a worker process started
here (`manage.py rqworker default`), as deployed; without it, the job runs in-process after
the commit (the embedded default). Use its own database, e.g.:

    createdb -h 127.0.0.1 -U postgres statuspage_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/statuspage_bench \\
    REDIS_URL=redis://127.0.0.1:6379/9 SECRET_KEY=bench \\
    .venv/bin/python bench/publish.py --changes 50

The database is flushed and seeded; the Redis db's default queue is emptied.

`--compare-json ROUNDS` measures instead, in this one process, rendering every incident's
`/api/v2/incidents/<id>.json` one request each through the app (as publishes did before)
against the publisher's bulk render of them (statuspage/publish/documents.py), alternately,
ROUNDS times, and checks that both give the same bytes.

`--s3` adds a second target, an S3 bucket on moto's server (started here, in its own process):
a change counts as visible once both the directory and the bucket (read over its S3 API) hold
it.

`--profile ROUNDS` measures instead, in this one process, the incremental publish of one
incident update, ROUNDS times: SQL queries per publish (and the reads that run them most),
documents rendered, and the time per document by kind (the path without its language
prefix and ids). `--no-shared` runs the publishes with every document reading for itself
(without incidents/selectors/shared.py), for comparison.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "statuspage.settings")
WORK = Path(tempfile.mkdtemp(prefix="publish-bench-"))
TARGET = WORK / "published"
os.environ["PUBLISH_TARGETS"] = f"file://{TARGET}"
os.environ.setdefault("DATA_DIR", str(WORK / "var"))


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def start_worker() -> subprocess.Popen:
    return subprocess.Popen(  # noqa: S603 - our own command line
        [sys.executable, str(ROOT / "manage.py"), "rqworker", "default"],
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def wait_visible(
    marker: bytes, readers: list[Callable[[], bytes]], deadline: float
) -> float | None:
    """The moment every reader's bytes hold `marker` (a file of the directory target, an
    object of the bucket), or None at the deadline."""
    while time.perf_counter() < deadline:
        try:
            if all(marker in read() for read in readers):
                return time.perf_counter()
        except Exception:  # noqa: BLE001, S110 - not there yet (a file, an object)
            pass
        time.sleep(0.002)
    return None


BUCKET = "bench-status"


def start_s3() -> subprocess.Popen:
    """moto's S3 server in a process of its own, a bucket on it, and the settings that add it
    as a second target (read before Django starts)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(  # noqa: S603 - our own interpreter
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    os.environ.update(
        PUBLISH_TARGETS=f"{os.environ['PUBLISH_TARGETS']},s3://{BUCKET}/site",
        PUBLISH_S3_ENDPOINT_URL=endpoint,
        PUBLISH_S3_REGION="us-east-1",
        PUBLISH_S3_ADDRESSING_STYLE="path",
        AWS_ACCESS_KEY_ID="bench",
        AWS_SECRET_ACCESS_KEY="bench",  # noqa: S106 - moto's, not a secret
    )
    for _ in range(300):
        try:
            s3_client().create_bucket(Bucket=BUCKET)
            return server
        except Exception:  # noqa: BLE001 - not listening yet
            time.sleep(0.05)
    server.kill()
    raise SystemExit("moto's S3 server did not start")


def s3_client():  # noqa: ANN201 - boto3's client
    import boto3

    return boto3.client(
        "s3", endpoint_url=os.environ["PUBLISH_S3_ENDPOINT_URL"], region_name="us-east-1"
    )


def s3_reader(client, key: str) -> Callable[[], bytes]:  # noqa: ANN001
    return lambda: client.get_object(Bucket=BUCKET, Key=f"site/{key}")["Body"].read()


def written(before, after) -> tuple[int, int]:
    """Objects whose digest changed or that are new, and their bytes (with gzip copies)."""
    keys = [k for k, d in after.objects.items() if before.objects.get(k) != d]
    size = 0
    for key in keys:
        for name in (key, key + ".gz"):
            path = TARGET / "current" / name
            if path.exists():
                size += path.stat().st_size
    return len(keys), size


def seed_page(history: int) -> None:
    """A fresh database: the demo page, and `history` past incidents (add_history). Needs
    Django set up; bench/published_read.py seeds its page with it too."""
    from django.core.management import call_command

    from incidents.models import Page

    call_command("migrate", verbosity=0)
    call_command("flush", interactive=False, verbosity=0)
    Page.objects.create(name="Status", url="http://127.0.0.1:8000", time_zone="Etc/UTC")
    with open(os.devnull, "w") as quiet:
        call_command("seed_demo", stdout=quiet)
    add_history(history)


def add_history(count: int) -> None:
    """`count` resolved incidents spread over the past 90 days (on no component: the status
    log's order is the seed's), published once afterwards, not one by one."""
    if not count:
        return
    from datetime import timedelta

    from django.conf import settings
    from django.utils import timezone

    from incidents import services
    from incidents.services import SYSTEM

    targets, settings.PUBLISH_TARGETS = settings.PUBLISH_TARGETS, []
    now = timezone.now()
    for n in range(count):
        start = now - timedelta(days=90) + timedelta(minutes=int(n * 89 * 24 * 60 / count))
        incident = services.incident_create(
            name=f"Past incident {n}",
            body="Looking into it.",
            actor=SYSTEM,
            at=start,
            notify=False,
            backfilled=True,
        )
        services.incident_resolve(
            incident=incident,
            body="Fixed.",
            actor=SYSTEM,
            at=start + timedelta(minutes=30),
            notify=False,
        )
    settings.PUBLISH_TARGETS = targets


def compare_json(rounds: int) -> None:
    """Every incident's JSON one request each through the app, then in bulk: seconds per
    round, and the bytes compared."""
    from incidents import selectors
    from incidents.models import Page
    from statuspage.metrics import RENDER_ONLY
    from statuspage.public_cache import local
    from statuspage.publish.documents import incident_json
    from statuspage.publish.handler import Renderer

    ids = selectors.public_ids()
    every = [*ids.incidents, *ids.maintenance]
    url = Page.objects.get().url
    renderer = Renderer(host=url.split("://")[1], secure=False, extra={RENDER_ONLY: "1"})
    print(f"{len(every)} incident documents")
    for n in range(rounds):
        local.clear()
        started = time.perf_counter()
        one_by_one = {i: renderer.get(f"/api/v2/incidents/{i}.json").body for i in every}
        requests = time.perf_counter() - started
        local.clear()
        started = time.perf_counter()
        bulk = incident_json(every)
        together = time.perf_counter() - started
        same = "same bytes" if bulk == one_by_one else "DIFFERENT BYTES"
        print(
            f"round {n + 1}: one request each {requests * 1000:.0f} ms, "
            f"in bulk {together * 1000:.0f} ms ({same}), load {os.getloadavg()[0]:.2f}"
        )


def _kind(path: str) -> str:
    """/de/incidents/abc -> /incidents/<id>: one line per kind of document."""
    from incidents import languages

    head, slash, rest = path[1:].partition("/")
    if head in languages.CODES:
        path = "/" + rest if slash else "/"
    parts = path.split("/")
    if len(parts) > 2 and parts[1] in ("incidents", "maintenance", "badge"):
        parts[2] = "<id>" + ("." + parts[2].rsplit(".", 1)[1] if "." in parts[2] else "")
    return "/".join(parts)


def profile(rounds: int, *, shared: bool) -> None:
    """The incremental publish of one incident update, in this process: queries and time."""
    import collections
    import contextlib
    import traceback

    from django.conf import settings
    from django.db import connection

    from incidents import selectors, services
    from incidents.services import SYSTEM
    from statuspage.publish import render
    from statuspage.publish import services as publish_services
    from statuspage.publish.handler import Renderer
    from statuspage.publish.services import publish_site

    if not shared:
        render.shared_reads = contextlib.nullcontext  # type: ignore[assignment]
    incident = next(iter(selectors.incidents_unresolved()))
    times: dict[str, list[float]] = collections.defaultdict(list)
    plain_get = Renderer.get

    def timed_get(self, path: str, query: str = ""):
        started = time.perf_counter()
        try:
            return plain_get(self, path, query)
        finally:
            times[_kind(path)].append(time.perf_counter() - started)

    Renderer.get = timed_get  # type: ignore[method-assign]
    plain_publish_to = publish_services._publish_to
    writing: list[float] = []

    def timed_publish_to(*args, **kwargs):
        started = time.perf_counter()
        try:
            return plain_publish_to(*args, **kwargs)
        finally:
            writing.append(time.perf_counter() - started)

    publish_services._publish_to = timed_publish_to  # type: ignore[assignment]
    here = str(ROOT)
    readers: collections.Counter[str] = collections.Counter()
    for n in range(rounds):
        targets, settings.PUBLISH_TARGETS = settings.PUBLISH_TARGETS, []
        services.incident_update_post(
            incident=incident,
            status=incident.status,
            body=f"profile {n}",
            actor=SYSTEM,
            notify=False,
        )
        settings.PUBLISH_TARGETS = targets
        times.clear()
        readers.clear()
        writing.clear()

        def count(execute, sql, params, many, context):
            frames = [
                f.name
                for f in traceback.extract_stack()
                if f.filename.startswith(here)
                and "/.venv/" not in f.filename
                and "/publish/" not in f.filename
                and "/bench/" not in f.filename
            ]
            readers[" < ".join(reversed(frames[-2:])) or "?"] += 1
            return execute(sql, params, many, context)

        started, cpu = time.perf_counter(), time.process_time()
        with connection.execute_wrapper(count):
            report = publish_site()
        took, cpu = time.perf_counter() - started, time.process_time() - cpu
        requests = sum(len(v) for v in times.values())
        asked = sum(sum(v) for v in times.values())
        print(
            f"round {n + 1}: {sum(readers.values())} queries, {len(report.rendered)} documents "
            f"rendered ({requests} requests through the app, {asked * 1000:.0f} ms, "
            f"{asked * 1000 / max(requests, 1):.1f} ms each), writing {sum(writing) * 1000:.0f} "
            f"ms, publish {took * 1000:.0f} ms ({cpu * 1000:.0f} ms CPU), "
            f"load {os.getloadavg()[0]:.2f}"
        )
    print("time by kind of document (last round): requests, total ms, ms each")
    for kind, values in sorted(times.items(), key=lambda kv: -sum(kv[1]))[:15]:
        total, each = sum(values) * 1000, statistics.mean(values) * 1000
        print(f"  {kind:48} {len(values):4} {total:8.0f} {each:6.1f}")
    print("queries by read (last round):")
    for reader, number in readers.most_common(15):
        print(f"  {number:5}  {reader}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=50)
    parser.add_argument("--render-all", action="store_true", help="PUBLISH_INCREMENTAL=false")
    parser.add_argument("--history", type=int, default=0, help="past incidents to add")
    parser.add_argument("--compare-json", type=int, default=0, metavar="ROUNDS")
    parser.add_argument("--profile", type=int, default=0, metavar="ROUNDS")
    parser.add_argument("--no-shared", action="store_true", help="with --profile: no shared reads")
    parser.add_argument(
        "--s3", action="store_true", help="also publish to moto's S3 server (a second target)"
    )
    args = parser.parse_args()
    os.environ["PUBLISH_INCREMENTAL"] = "false" if args.render_all else "true"
    s3 = start_s3() if args.s3 else None
    try:
        run(args)
    finally:
        if s3 is not None:
            s3.kill()


def run(args: argparse.Namespace) -> None:

    import django

    django.setup()
    from django.conf import settings
    from django.db import transaction

    from incidents import selectors, services
    from incidents.services import SYSTEM
    from statuspage.publish.services import publish_site
    from statuspage.publish.targets import configured_targets

    seed_page(args.history)
    if args.compare_json:
        compare_json(args.compare_json)
        return
    if args.profile:
        publish_site()
        profile(args.profile, shared=not args.no_shared)
        return
    target = configured_targets()[0]
    publish_site()  # usually current already: seeding published on its commits
    total = len(target.read_manifest().objects)
    print(f"target {target.url}: {total} documents")

    worker = None
    if settings.REDIS_URL:
        import django_rq

        django_rq.get_queue("default").empty()
        worker = start_worker()
        time.sleep(2)  # the worker loads the app before its first job
    mode = "RQ worker process" if worker else "in-process after commit"
    incident = next(iter(selectors.incidents_unresolved()))
    keys = ["index.html", f"incidents/{incident.public_id}/index.html"]
    readers = [lambda p=TARGET / "current" / key: p.read_bytes() for key in keys]
    if args.s3:
        # Visible on every target: the bucket's objects too, read as a reader would.
        client = s3_client()
        readers += [s3_reader(client, key) for key in keys]
    latencies: list[float] = []
    objects: list[int] = []
    sizes: list[int] = []
    rendered: list[int] = []
    cpu: list[float] = []
    missed = 0
    try:
        for n in range(args.changes):
            before = target.read_manifest()
            marker = f"bench change {n} {time.time_ns()}"
            committed: list[float] = []
            cpu_started = time.process_time()
            with transaction.atomic():
                # Registered first, so it runs first at the commit: the clock starts there.
                transaction.on_commit(lambda into=committed: into.append(time.perf_counter()))
                services.incident_update_post(
                    incident=incident,
                    status=incident.status,
                    body=marker,
                    actor=SYSTEM,
                    notify=False,
                )
            started = committed[0]
            # Without Redis the publish ran in that commit's callbacks, before we got here.
            seen = wait_visible(marker.encode(), readers, started + 30)
            if seen is None:
                missed += 1
                continue
            latencies.append(seen - started)
            # This process's CPU for the change: without Redis the whole publish (and what it
            # left on its background thread so far); with a worker, only the write.
            cpu.append(time.process_time() - cpu_started)
            after = target.read_manifest()
            while after.generation < before.generation + 1:  # the swap, then the manifest read
                after = target.read_manifest()
            count, size = written(before, after)
            rendered.append(after.rendered)
            objects.append(count)
            sizes.append(size)
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(10)
    ms = [x * 1000 for x in latencies]
    how = "every document" if args.render_all else "what the change touched"
    where = "the directory and the S3 bucket" if args.s3 else "the directory"
    print(
        f"mode: {mode}, rendering {how}, visible on {where}; {args.changes} changes, "
        f"{missed} not visible in 30 s"
    )
    print(
        f"commit to visible: p50 {percentile(ms, 0.5):.0f} ms, p99 {percentile(ms, 0.99):.0f} ms, "
        f"max {max(ms):.0f} ms"
    )
    print(f"rendered per change: {statistics.median(rendered):.0f} documents (median, of {total})")
    cpu_ms = [x * 1000 for x in cpu]
    print(
        f"CPU of this process per change: p50 {percentile(cpu_ms, 0.5):.0f} ms, "
        f"p99 {percentile(cpu_ms, 0.99):.0f} ms"
    )
    print(
        f"written per change: {statistics.median(objects):.0f} objects (median, of "
        f"{total}), {statistics.median(sizes) / 1024:.0f} KiB (median)"
    )


if __name__ == "__main__":
    main()
