"""The publish job: takes the generation whose commit enqueued it."""

from __future__ import annotations

import logging

from incidents.models import Page
from statuspage.publish.render import PublishError
from statuspage.publish.services import publish_site

log = logging.getLogger(__name__)


def publish_generation(generation: int) -> str:
    """Publish after the commit of `generation`. A burst of writes enqueues one job each; a
    job whose generation is no longer the newest does nothing, since the newest one's job
    (enqueued by that commit) publishes a state that includes it. Raises on failure, so
    that RQ retries it (services.RETRY_INTERVALS)."""
    newest = Page.objects.values_list("generation", flat=True).get()
    if newest > generation:
        return "superseded"
    report = publish_site()
    if report.errors:
        raise PublishError("; ".join(report.errors))
    if report.current:
        return "current"
    log.info(
        "published generation %s: %s documents, %s objects written",
        report.generation,
        report.documents,
        report.written,
    )
    return "published"
