"""The publish job: takes the generation whose commit enqueued it."""

from __future__ import annotations

import logging

from django.conf import settings

from incidents import selectors
from statuspage.publish import background
from statuspage.publish.render import PublishError
from statuspage.publish.services import publish_site

log = logging.getLogger(__name__)


def publish_generation(
    generation: int, page_id: int | None = None, *, refresh: bool = False
) -> str:
    """Publish page `page_id` (None: the default page) after the commit of its `generation`.
    A burst of writes enqueues one job each; a job whose generation is no longer the page's
    newest does nothing, since the newest one's job (enqueued by that commit) publishes a
    state that includes it. Only that page's documents are rendered and written. Raises on
    failure, so that RQ retries it (services.RETRY_INTERVALS)."""
    page = selectors.page_get(page_id)
    if page.generation > generation:
        return "superseded"
    try:
        report = publish_site(page=page, refresh=refresh)
    finally:
        if settings.REDIS_URL:
            # In an RQ work horse, which leaves with os._exit once the job returns: the work
            # the publish left for after (background.py) is done first. Without Redis the job
            # runs in the writer's own request, which does not wait for it.
            background.wait()
    if report.errors:
        raise PublishError("; ".join(report.errors))
    if report.current:
        return "current"
    log.info(
        "published page %s generation %s: %s documents (%s rendered), %s objects written",
        page.slug,
        report.generation,
        report.documents,
        len(report.rendered),
        report.written,
    )
    return "published"


def publish_tick() -> str:
    """Every minute, from the scheduler (settings.STATUSPAGE_PERIODIC_JOBS), for every page.
    Publishes what is not yet published: a change whose job was lost (Redis down at its
    commit), and the new day at a page's midnight (documents show "today" without any write);
    withdraws a page no longer published. When every target is current it costs one manifest
    read per target and page, except once an hour: then every document is rendered again and
    what differs written (services.FULL_RENDER_EVERY), the safety net of the publishes that
    render only what a change touched; and, while a component is down, once a minute what
    moves with the clock alone (services.LIVE_EVERY). One page failing does not stop the
    others'."""
    if not settings.PUBLISH_TARGETS:
        return "off"
    outcomes: list[str] = []
    failures: list[str] = []
    for page in selectors.pages_all():
        try:
            outcomes.append(publish_generation(page.generation, page.pk, refresh=True))
        except PublishError as exc:
            failures.append(f"{page.slug}: {exc}")
    if failures:
        raise PublishError("; ".join(failures))
    return "published" if "published" in outcomes else outcomes[0] if outcomes else "current"
