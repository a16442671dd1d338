"""The publish job: takes the generation whose commit enqueued it."""

from __future__ import annotations

import logging

from django.conf import settings

from incidents import selectors
from statuspage.publish.render import PublishError
from statuspage.publish.services import publish_site

log = logging.getLogger(__name__)


def publish_generation(generation: int, *, refresh: bool = False) -> str:
    """Publish after the commit of `generation`. A burst of writes enqueues one job each; a
    job whose generation is no longer the newest does nothing, since the newest one's job
    (enqueued by that commit) publishes a state that includes it. Raises on failure, so
    that RQ retries it (services.RETRY_INTERVALS)."""
    newest = selectors.page_get().generation
    if newest > generation:
        return "superseded"
    report = publish_site(refresh=refresh)
    if report.errors:
        raise PublishError("; ".join(report.errors))
    if report.private:
        return "private"
    if report.current:
        return "current"
    log.info(
        "published generation %s: %s documents (%s rendered), %s objects written",
        report.generation,
        report.documents,
        len(report.rendered),
        report.written,
    )
    return "published"


def publish_tick() -> str:
    """Every minute, from the scheduler (settings.STATUSPAGE_PERIODIC_JOBS). Publishes what is
    not yet published: a change whose job was lost (Redis down at its commit), and the new day
    at the page's midnight (documents show "today" without any write). When every target is
    current it costs one manifest read per target, except once an hour: then every document is
    rendered again and what differs written (services.FULL_RENDER_EVERY), the safety net of
    the publishes that render only what a change touched."""
    if not settings.PUBLISH_TARGETS:
        return "off"
    newest = selectors.page_get().generation
    return publish_generation(newest, refresh=True)
