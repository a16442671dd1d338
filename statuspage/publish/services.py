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
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.http.request import split_domain_port
from django.utils import timezone

from incidents import selectors
from incidents.models import Page, Visibility
from incidents.queue import enqueue_now
from statuspage import public_cache
from statuspage.publish import background
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


def publish_on_commit(generation: int, page_id: int | None = None) -> None:
    """settings.STATUSPAGE_GENERATION_HANDLER: a change to page `page_id` (None: the default
    page) committed as its `generation`; publish it. Never raises: the write it follows has
    committed, and a publish failure must not turn it into an error. Without Redis the job
    runs here and now; with Redis it is queued once per page and generation."""
    if not settings.PUBLISH_TARGETS:
        return
    try:
        # The default page's job names no page, as it did when it was the only one.
        args = (generation,) if page_id is None else (generation, page_id)
        enqueue_now(
            JOB,
            *args,
            job_id=job_id(generation, page_id),
            unique=True,
            retry=RETRY_INTERVALS,
        )
    except Exception:  # noqa: BLE001 - logged; the next change (or `manage.py publish`) catches up
        log.exception("publish of generation %s failed", generation)


def job_id(generation: int, page_id: int | None = None) -> str:
    """One job per generation of one page. The page's public id is part of it: a database
    emptied and seeded again counts its generations from 0 again, and RQ keeps finished jobs'
    ids for a while, so the generation alone would make the new ones look already queued."""
    public_id = selectors.page_get(page_id).public_id
    return f"publish-{public_id}-{generation}"


def published(page: Page) -> bool:
    """Whether a page's documents may leave the origin: the one place that decides which
    pages are published. Only public pages; a private or audience page is never rendered for
    a target, and what an earlier publish left of it is withdrawn (publish_site)."""
    return page.visibility == Visibility.PUBLIC


@dataclass(frozen=True)
class Placement:
    """Where one page's documents go: the address they are rendered at (its links follow
    it) and the targets (or the part of each target) that receive them."""

    public_url: str
    targets: list[Target]
    # The default page: its reads name no page (the same queries as a one-page install).
    default: bool = False


def placements(page: Page, targets: list[Target]) -> list[Placement]:
    """The locations page `page`'s readers use, in the targets (docs/publishing.md, "Several
    pages"): a shared target (no `page=`) holds the default page at its root and every other
    page under `p/<slug>/`, rendered as the origin serves `/p/<slug>/` on the default page's
    address; a target with `page=<slug>` holds that page alone at its root, rendered at the
    page's own URL (one of its host names)."""
    default = selectors.page_default()
    shared = [t for t in targets if not t.page]
    own = [t for t in targets if t.page and t.page == page.slug]
    out: list[Placement] = []
    is_default = page.pk == default.pk
    if shared and is_default:
        out.append(Placement(page.public_url, shared, default=True))
    elif shared:
        base = default.public_url
        host = (split_domain_port(urlsplit(base).netloc)[0] or "").lower()
        if host and selectors.page_by_host(host) is not None:
            # The origin serves no `/p/<slug>/` on a page's own host, so neither may its copy.
            log.warning(
                "%s is a page's own host: page %s is not published under p/%s/ (give it a "
                "target with page=%s)",
                host,
                page.slug,
                page.slug,
                page.slug,
            )
        else:
            out.append(Placement(f"{base}/p/{page.slug}", [t.under(page.slug) for t in shared]))
    if own:
        out.append(Placement(page.public_url, own, default=is_default))
    return out


def publish_all(
    *,
    full: bool = False,
    refresh: bool = False,
    targets: list[Target] | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> list[Report]:
    """Publish every page (withdraw every page that is not published): `manage.py publish`
    and the periodic tick. One report per page, oldest page first."""
    targets = configured_targets() if targets is None else targets
    if not targets:
        return []
    return [
        publish_site(
            page=page, full=full, refresh=refresh, targets=targets, on_progress=on_progress
        )
        for page in selectors.pages_all()
    ]


def publish_site(
    *,
    page: Page | int | None = None,
    full: bool = False,
    render_all: bool = False,
    refresh: bool = False,
    targets: list[Target] | None = None,
    on_progress: Callable[[int, int], None] | None = None,
    before_write: BeforeWrite | None = None,
) -> Report:
    """Publish one page (None: the default page) as it is now to every target, at each of its
    placements. `full` ignores the manifests and rewrites every object (`manage.py publish
    --all`); `render_all` renders every document but writes only what changed (otherwise
    only the documents the changes since the previous publish touched are rendered, when
    that can be told: plan_for). `refresh` (the periodic tick) renders everything when the
    targets are current but were last rendered whole more than FULL_RENDER_EVERY ago. A page
    that is not `published` is withdrawn (its previous documents deleted) instead. Raises
    PublishError when the page cannot be rendered whole; a target that fails is reported in
    `errors` (the others are still published). The report's documents are those of the
    page's first placement; its outcomes and errors those of all."""
    targets = configured_targets() if targets is None else targets
    if not targets:
        return Report()
    with publish_lock():
        page = selectors.page_get(page)
        report = Report(page.generation)
        # Current only if every placement is.
        report.current = True
        for placement in placements(page, targets):
            one = _publish_placement(
                page,
                placement,
                full=full,
                render_all=render_all,
                refresh=refresh,
                on_progress=on_progress,
                before_write=before_write,
            )
            if not report.version:
                report.version = one.version
                report.documents, report.rendered = one.documents, one.rendered
                report.incremental, report.paths = one.incremental, one.paths
            report.current = report.current and one.current
            report.outcomes += one.outcomes
            report.errors += one.errors
        if not report.version:
            report.current = False
    return report


def _withdraw(
    page: Page,
    live: list[Target],
    previous: dict[str, Manifest | None],
    report: Report,
    before_write: BeforeWrite | None,
    *,
    now: datetime,
    any_failed: bool,
) -> Report:
    """A page that is not public: nothing of it is rendered, and an empty site deletes what an
    earlier publish left. A page's own place that holds nothing is not even created (its name
    is the page's); a shared target's root is, so that the other pages' `p/` is reachable."""
    live = [t for t in live if previous[t.url] is not None or not t.page]
    if not live and not any_failed:
        report.current = True
        return report
    withdrawn = Manifest(page.generation, report.version, full_at=now.isoformat())
    _publish_to(live, Site(), withdrawn, previous, report, before_write)
    return report


def _publish_placement(
    page: Page,
    placement: Placement,
    *,
    full: bool,
    render_all: bool,
    refresh: bool,
    on_progress: Callable[[int, int], None] | None,
    before_write: BeforeWrite | None,
) -> Report:
    targets = placement.targets
    now = timezone.now()
    version = f"{page.generation}.{now.astimezone(page.tz).date().isoformat()}"
    if not published(page):
        version = f"withdrawn.{page.generation}"
    report = Report(page.generation, version)
    failed: set[str] = set()
    previous = {t.url: None if full else _manifest_of(t, report, failed) for t in targets}
    if not full and all(m is not None and m.version == version for m in previous.values()):
        if not (published(page) and refresh and _refresh_due(page, previous.values(), now)):
            report.current = True
            return report
        # Current, but not rendered whole for an hour: render everything, write what
        # differs (what moved with the clock alone, or a change's documents mapped wrong).
        # Else what moves with the clock alone is a minute old: only that is rendered.
        render_all = render_all or _full_render_due(previous.values(), now)
    live = [t for t in targets if t.url not in failed]
    if not published(page):
        return _withdraw(
            page, live, previous, report, before_write, now=now, any_failed=bool(failed)
        )
    # Read before rendering: a write committing meanwhile can only make the next publish
    # render more, never less.
    status = "|".join(selectors.status_summary(page=page))
    manifests = [previous[t.url] for t in live]
    incremental = settings.PUBLISH_INCREMENTAL and not (full or render_all)
    base = plan_for(page, status, manifests, now=now) if incremental else None
    # A target may begin what does not depend on the renders (a directory links the kept
    # documents) while they run.
    for target in live:
        target.prepare(previous[target.url])
    args = (page, placement, version, now, status)
    # The renders' last-good snapshots (public_cache) are written once the documents are
    # visible, on the background thread: they are the origin's, not the readers' wait.
    try:
        with public_cache.snapshots_deferred() as snapshots:
            site, manifest = _render(*args, base, on_progress, report)
    except BaseException:
        for target in live:  # nothing is written: what they began goes
            target.prepare(None)
        raise
    retry = _publish_to(live, site, manifest, previous, report, before_write)
    if retry:
        # A kept document was missing from a target: render everything for those.
        with public_cache.snapshots_deferred() as again:
            site, manifest = _render(*args, None, on_progress, report)
        snapshots += again
        _publish_to(retry, site, manifest, previous, report, before_write)
    background.run(lambda: public_cache.snapshots_write(snapshots))
    return report


# The hourly safety net: even when every change said what it touched, a publish renders
# every document at least this often (publish_tick runs every minute).
FULL_RENDER_EVERY = timedelta(hours=1)
# The calendars of components that are down show today's downtime, which grows with the clock
# alone: a publish renders them again when they are at least this old, not at every change. An
# incident's updates in quick succession (13 languages: 39 documents, a fifth of an update's
# renders) then wait for nothing that their change did not move; the figures are at most this
# stale, as on the origin between its own cache's renders.
LIVE_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class Base:
    """The previous publish an incremental render starts from, and what to render again."""

    manifest: Manifest
    plan: Plan
    # Whether the calendars that move with the clock alone are rendered again (LIVE_EVERY).
    live: bool = True


def _full_render_due(manifests: Iterable[Manifest | None], now: datetime) -> bool:
    for manifest in manifests:
        try:
            full_at = datetime.fromisoformat(manifest.full_at) if manifest else None
        except ValueError:
            full_at = None
        if full_at is None or not timedelta(0) <= now - full_at < FULL_RENDER_EVERY:
            return True
    return False


def _refresh_due(page: Page, manifests: Iterable[Manifest | None], now: datetime) -> bool:
    """Whether the every-minute tick publishes targets that are current: the hourly whole
    render, or the calendars of components that are down (today's downtime grows without a
    write) last rendered LIVE_EVERY or more ago. Without this, a quiet page in an outage would
    show its published downtime an hour old."""
    manifests = list(manifests)
    if _full_render_due(manifests, now):
        return True
    if not settings.PUBLISH_INCREMENTAL:
        # Every publish would render everything: once a minute through an outage is too much.
        return False
    due = all(m is not None and _live_due(m, now) for m in manifests)
    return due and bool(selectors.components_not_operational(page))


def _live_due(manifest: Manifest, now: datetime) -> bool:
    try:
        live_at = datetime.fromisoformat(manifest.live_at or manifest.full_at)
    except ValueError:
        return True
    return not timedelta(0) <= now - live_at < LIVE_EVERY


def plan_for(
    page: Page, status: str, manifests: list[Manifest | None], *, now: datetime | None = None
) -> Base | None:
    """The incremental render from the targets' previous publish, or None (render
    everything) when what changed since cannot be told: a target without a manifest (or one
    from before manifests held the links), targets at different publishes, history rewritten
    (a backdated change, an edit, a restore: Page.history_version), a new day at the page,
    the hourly full render due, or a change in between that did not say what it touched."""
    now = now or timezone.now()
    if not manifests or any(m is None for m in manifests):
        return None
    first = manifests[0]
    assert first is not None
    if any(m != first for m in manifests[1:]) or not first.paths or not first.full_at:
        return None
    today = now.astimezone(page.tz).date().isoformat()
    if first.version.partition(".")[2] != today or first.history_version != page.history_version:
        return None
    if _full_render_due([first], now):
        return None
    records = selectors.public_changes(first.generation, page.generation, page)
    if records is None:
        return None
    changes = Changes.union(records)
    changes.status = first.status != status
    live = _live_due(first, now)
    if live:
        changes.live = set(selectors.components_not_operational(page))
    covering = selectors.public_ids_covering(changes.moved, page)
    touched = touched_by(changes, first.paths, first.links, covering)
    return Base(first, Plan(first.paths, first.links, touched), live)


def _render(
    page: Page,
    placement: Placement,
    version: str,
    now: datetime,
    status: str,
    base: Base | None,
    on_progress: Callable[[int, int], None] | None,
    report: Report,
) -> tuple[Site, Manifest]:
    site = render_site(
        public_url=placement.public_url,
        on_progress=on_progress,
        plan=None if base is None else base.plan,
        page=None if placement.default else page.pk,
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
        live_at=before.live_at if base is not None and not base.live else now.isoformat(),
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
    """Publish to each target, side by side (a bucket's uploads wait on the network, a
    directory's writes on the disk: neither needs the other); returns the targets that lacked
    a kept document."""

    def one(target: Target) -> Outcome | Exception:
        before = previous[target.url]
        try:
            if before is not None and before.objects == manifest.objects:
                # Nothing the readers get changed (a write outside every document, a new
                # day that changed no document): only the manifest moves.
                target.write_manifest(manifest)
                return Outcome(target.url)
            return target.publish(site.rendered, manifest, before, before_write=before_write)
        except PublishError:
            raise
        except Exception as exc:  # noqa: BLE001 - one target down must not stop the others
            return exc

    if len(targets) > 1:
        with ThreadPoolExecutor(len(targets), thread_name_prefix="publish-target") as pool:
            results = list(pool.map(one, targets))
    else:
        results = [one(target) for target in targets]
    retry: list[Target] = []
    for target, result in zip(targets, results, strict=True):
        if isinstance(result, KeptMissing):
            log.warning("%s lacks documents its manifest lists: rendering everything", target.url)
            retry.append(target)
        elif isinstance(result, Exception):
            log.error("publish to %s failed", target.url, exc_info=result)
            report.errors.append(f"{target.url}: {result}")
        else:
            report.outcomes.append(result)
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
