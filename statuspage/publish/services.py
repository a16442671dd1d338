"""Publishing: render the page, write what changed to every target, manifest last.

`publish_site` is the one entry point (the job, `manage.py publish`, the bench); the domain's
on-commit generation bump reaches `publish_on_commit` through settings (it imports nothing of
the project), which enqueues the job.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from django.conf import settings

from incidents import selectors
from incidents.models import Page
from incidents.queue import enqueue_now
from statuspage.publish.render import PublishError, render_site
from statuspage.publish.targets import (
    BeforeWrite,
    Manifest,
    Outcome,
    Target,
    configured_targets,
)

log = logging.getLogger(__name__)

JOB = "statuspage.publish.jobs.publish_generation"
# Seconds between a failed publish's retries (RQ's scheduler runs them: --with-scheduler).
RETRY_INTERVALS = (5, 15, 60, 300)
# Longest a publish may hold the lock (a whole-site render of a large page, every target).
LOCK_SECONDS = 600


@dataclass
class Report:
    generation: int = 0
    version: str = ""
    # Every target's manifest already described this version: nothing was rendered.
    current: bool = False
    documents: int = 0
    # key -> the origin's path (and query) of each document published
    paths: dict[str, str] = field(default_factory=dict)
    outcomes: list[Outcome] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def written(self) -> int:
        return sum(len(o.written) for o in self.outcomes)


def publish_on_commit(generation: int) -> None:
    """settings.STATUSPAGE_GENERATION_HANDLER: a change committed; publish it. Never raises:
    the write it follows has committed, and a publish failure must not turn it into an error.
    Without Redis the job runs here and now; with Redis it is queued once per generation."""
    if not settings.PUBLISH_TARGETS:
        return
    try:
        enqueue_now(JOB, generation, job_id=job_id(generation), unique=True, retry=RETRY_INTERVALS)
    except Exception:  # noqa: BLE001 - logged; the next change (or `manage.py publish`) catches up
        log.exception("publish of generation %s failed", generation)


def job_id(generation: int) -> str:
    """One job per generation of this page. The page's public id is part of it: a database
    emptied and seeded again counts its generations from 0 again, and RQ keeps finished jobs'
    ids for a while, so the generation alone would make the new ones look already queued."""
    page_id = Page.objects.values_list("public_id", flat=True).get()
    return f"publish-{page_id}-{generation}"


def publish_site(
    *,
    full: bool = False,
    targets: list[Target] | None = None,
    on_progress: Callable[[int, int], None] | None = None,
    before_write: BeforeWrite | None = None,
) -> Report:
    """Publish the page as it is now to every target. `full` ignores the manifests and
    rewrites every object (`manage.py publish --all`). Raises PublishError when the page
    cannot be rendered whole; a target that fails is reported in `errors` (the others are
    still published)."""
    targets = configured_targets() if targets is None else targets
    if not targets:
        return Report()
    with publish_lock():
        page = selectors.page_get()
        version = f"{page.generation}.{datetime.now(page.tz).date().isoformat()}"
        report = Report(page.generation, version)
        failed: set[str] = set()
        previous = {t.url: None if full else _manifest_of(t, report, failed) for t in targets}
        if not full and all(m is not None and m.version == version for m in previous.values()):
            report.current = True
            return report
        documents = render_site(public_url=page.public_url, on_progress=on_progress)
        report.documents = len(documents)
        report.paths = {key: doc.url_path for key, doc in documents.items()}
        manifest = Manifest(page.generation, version, {k: d.digest for k, d in documents.items()})
        for target in targets:
            if target.url in failed:
                continue
            before = previous[target.url]
            try:
                if before is not None and before.objects == manifest.objects:
                    # Nothing the readers get changed (a write outside every document, a new
                    # day that changed no document): only the manifest's version moves.
                    target.write_manifest(manifest)
                    outcome = Outcome(target.url)
                else:
                    outcome = target.publish(documents, manifest, before, before_write=before_write)
            except PublishError:
                raise
            except Exception as exc:  # noqa: BLE001 - one target down must not stop the others
                log.exception("publish to %s failed", target.url)
                report.errors.append(f"{target.url}: {exc}")
                continue
            report.outcomes.append(outcome)
    return report


def _manifest_of(target: Target, report: Report, failed: set[str]) -> Manifest | None:
    try:
        return target.read_manifest()
    except Exception as exc:  # noqa: BLE001 - reported; the target is skipped this time
        log.exception("reading the manifest of %s failed", target.url)
        report.errors.append(f"{target.url}: {exc}")
        failed.add(target.url)
        return None


@contextlib.contextmanager
def publish_lock() -> Iterator[None]:
    """One publish at a time: across hosts through Redis when there is one, else across the
    processes of this host through a lock file. A publish that waited here usually finds the
    manifests current (the one before it published the newest state) and returns at once."""
    if settings.REDIS_URL:
        import django_rq

        lock = django_rq.get_connection("default").lock(
            "statuspage:publish", timeout=LOCK_SECONDS, blocking_timeout=LOCK_SECONDS
        )
        if not lock.acquire():
            raise PublishError("another publish held the lock too long")
        try:
            yield
        finally:
            with contextlib.suppress(Exception):
                lock.release()
        return
    path = Path(settings.DATA_DIR) / "publish.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
