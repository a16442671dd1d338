"""Publishing: render the page, write what changed to every target, manifest last.

`publish_site` is the one entry point (the job, `manage.py publish`, the bench); the domain's
on-commit generation bump reaches `publish_on_commit` through settings (it imports nothing of
the project), which enqueues the job.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from incidents import selectors
from incidents.models import Page
from incidents.queue import enqueue_now
from statuspage.publish.render import Plan, PublishError, Site, render_site
from statuspage.publish.scope import Changes, touched_by
from statuspage.publish.targets import (
    BeforeWrite,
    KeptMissing,
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
    # The page requires a signed-in reader: nothing was rendered or written.
    private: bool = False
    # Documents published (rendered now or kept as published)...
    documents: int = 0
    # ...the keys of those rendered by this publish (all of them unless it was incremental).
    rendered: list[str] = field(default_factory=list)
    incremental: bool = False
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
    # The publisher publishes the default page (docs/pages.md).
    page_id = selectors.page_get().public_id
    return f"publish-{page_id}-{generation}"


def publish_site(
    *,
    full: bool = False,
    render_all: bool = False,
    refresh: bool = False,
    targets: list[Target] | None = None,
    on_progress: Callable[[int, int], None] | None = None,
    before_write: BeforeWrite | None = None,
) -> Report:
    """Publish the page as it is now to every target. `full` ignores the manifests and
    rewrites every object (`manage.py publish --all`); `render_all` renders every document
    but writes only what changed (otherwise only the documents the changes since the previous
    publish touched are rendered, when that can be told: plan_for). `refresh` (the periodic
    tick) renders everything when the targets are current but were last rendered whole more
    than FULL_RENDER_EVERY ago. Raises PublishError when the page cannot be rendered whole; a
    target that fails is reported in `errors` (the others are still published)."""
    targets = configured_targets() if targets is None else targets
    if not targets:
        return Report()
    with publish_lock():
        page = selectors.page_get()
        now = timezone.now()
        version = f"{page.generation}.{now.astimezone(page.tz).date().isoformat()}"
        report = Report(page.generation, version)
        if page.visibility != "public":
            # Only pages that serve everyone are published: a static copy cannot ask who
            # reads it (statuspage/readers).
            report.private = True
            return report
        failed: set[str] = set()
        previous = {t.url: None if full else _manifest_of(t, report, failed) for t in targets}
        if not full and all(m is not None and m.version == version for m in previous.values()):
            if not (refresh and _full_render_due(previous.values(), now)):
                report.current = True
                return report
            # Current, but not rendered whole for an hour: render everything, write what
            # differs (what moved with the clock alone, or a change's documents mapped wrong).
            render_all = True
        live = [t for t in targets if t.url not in failed]
        # Read before rendering: a write committing meanwhile can only make the next publish
        # render more, never less.
        status = "|".join(selectors.status_summary())
        manifests = [previous[t.url] for t in live]
        incremental = settings.PUBLISH_INCREMENTAL and not (full or render_all)
        base = plan_for(page, status, manifests) if incremental else None
        site, manifest = _render(page, version, now, status, base, on_progress, report)
        retry = _publish_to(live, site, manifest, previous, report, before_write)
        if retry:
            # A kept document was missing from a target: render everything for those.
            site, manifest = _render(page, version, now, status, None, on_progress, report)
            _publish_to(retry, site, manifest, previous, report, before_write)
    return report


# The hourly safety net: even when every change said what it touched, a publish renders
# every document at least this often (publish_tick runs every minute).
FULL_RENDER_EVERY = timedelta(hours=1)


@dataclass(frozen=True)
class Base:
    """The previous publish an incremental render starts from, and what to render again."""

    manifest: Manifest
    plan: Plan


def _full_render_due(manifests: Iterable[Manifest | None], now: datetime) -> bool:
    for manifest in manifests:
        try:
            full_at = datetime.fromisoformat(manifest.full_at) if manifest else None
        except ValueError:
            full_at = None
        if full_at is None or not timedelta(0) <= now - full_at < FULL_RENDER_EVERY:
            return True
    return False


def plan_for(page: Page, status: str, manifests: list[Manifest | None]) -> Base | None:
    """The incremental render from the targets' previous publish, or None (render
    everything) when what changed since cannot be told: a target without a manifest (or one
    from before manifests held the links), targets at different publishes, history rewritten
    (a backdated change, an edit, a restore: Page.history_version), a new day at the page,
    the hourly full render due, or a change in between that did not say what it touched."""
    if not manifests or any(m is None for m in manifests):
        return None
    first = manifests[0]
    assert first is not None
    if any(m != first for m in manifests[1:]) or not first.paths or not first.full_at:
        return None
    today = timezone.now().astimezone(page.tz).date().isoformat()
    if first.version.partition(".")[2] != today or first.history_version != page.history_version:
        return None
    if _full_render_due([first], timezone.now()):
        return None
    records = selectors.public_changes(first.generation, page.generation)
    if records is None:
        return None
    changes = Changes.union(records)
    changes.status = first.status != status
    changes.live = set(selectors.components_not_operational())
    covering = selectors.public_ids_covering(changes.moved)
    touched = touched_by(changes, first.paths, first.links, covering)
    return Base(first, Plan(first.paths, first.links, touched))


def _render(
    page: Page,
    version: str,
    now: datetime,
    status: str,
    base: Base | None,
    on_progress: Callable[[int, int], None] | None,
    report: Report,
) -> tuple[Site, Manifest]:
    site = render_site(
        public_url=page.public_url,
        on_progress=on_progress,
        plan=None if base is None else base.plan,
    )
    before = base.manifest if base is not None else Manifest(0, "")
    objects = {k: before.objects[k] for k in site.kept}
    objects.update((k, d.digest) for k, d in site.rendered.items())
    paths = {k: before.paths[k] for k in site.kept}
    paths.update((k, d.url_path) for k, d in site.rendered.items())
    report.documents = len(site)
    report.rendered = sorted(site.rendered)
    report.incremental = base is not None
    report.paths = paths
    manifest = Manifest(
        page.generation,
        version,
        objects,
        paths=paths,
        links=site.links,
        history_version=page.history_version,
        full_at=before.full_at if base is not None else now.isoformat(),
        status=status,
        rendered=len(site.rendered),
    )
    return site, manifest


def _publish_to(
    targets: list[Target],
    site: Site,
    manifest: Manifest,
    previous: dict[str, Manifest | None],
    report: Report,
    before_write: BeforeWrite | None,
) -> list[Target]:
    """Publish to each target; returns the targets that lacked a kept document."""
    retry: list[Target] = []
    for target in targets:
        before = previous[target.url]
        try:
            if before is not None and before.objects == manifest.objects:
                # Nothing the readers get changed (a write outside every document, a new
                # day that changed no document): only the manifest moves.
                target.write_manifest(manifest)
                outcome = Outcome(target.url)
            else:
                outcome = target.publish(site.rendered, manifest, before, before_write=before_write)
        except PublishError:
            raise
        except KeptMissing:
            log.warning("%s lacks documents its manifest lists: rendering everything", target.url)
            retry.append(target)
            continue
        except Exception as exc:  # noqa: BLE001 - one target down must not stop the others
            log.exception("publish to %s failed", target.url)
            report.errors.append(f"{target.url}: {exc}")
            continue
        report.outcomes.append(outcome)
    return retry


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
