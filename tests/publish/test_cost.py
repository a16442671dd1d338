"""What a publish costs in queries: the documents of one publish read the page, its component
tree and its status once (incidents/selectors/shared.py), not once per document and language;
the bytes are the same as when each document reads them itself; and ordinary requests never
share reads."""

from __future__ import annotations

import contextlib
import copy
import re

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from incidents import selectors, services
from incidents.selectors.shared import active, shared_reads
from statuspage.publish import render
from statuspage.publish.services import publish_site
from statuspage.publish.targets import MANIFEST, DirectoryTarget, parse_target

# Queries of the incremental publish of one incident update on the public-site fixture in two
# languages: 110 with shared reads (the same in four languages: the test below), 309 without
# (each document reading the page, the tree, the status, the lists and the uptime days itself).
MAX_QUERIES = 120


@pytest.fixture
def second(tmp_path) -> DirectoryTarget:
    target = parse_target(f"file://{tmp_path / 'second'}")
    assert isinstance(target, DirectoryTarget)
    return target


def _tree(target: DirectoryTarget) -> dict[str, bytes]:
    root = target.current.resolve()
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != MANIFEST
    }


def _publish_counting(target: DirectoryTarget, *, clockwork: bool = True):
    """The publish's report and its queries; without `clockwork`, less the page generation
    checks the read path makes when its short-lived copy of the generation lapses (on the
    machine's monotonic clock and the shared cache's expiry, which a frozen clock does not
    stop)."""
    with CaptureQueriesContext(connection) as queries:
        report = publish_site(targets=[target])
    captured = queries.captured_queries
    if not clockwork:
        captured = [q for q in captured if not _GENERATION_CHECK.match(q["sql"])]
    return report, len(captured)


# The read path's checks of the page's generation, and of its zone and visibility when the
# generation is read again: each follows the wall clock (a short-lived copy), not the publish.
_GENERATION_CHECK = re.compile(
    r'SELECT "incidents_page"\."(id|time_zone)"( AS "\w+")?, '
    r'"incidents_page"\."(generation|visibility)"( AS "\w+")? FROM "incidents_page"'
)


def test_an_update_publishes_with_shared_reads_the_same_bytes_in_fewer_queries(
    site, directory, second, operator, monkeypatch
):
    # Both targets at one instant: what a document shows of "now" is the same in both.
    with time_machine.travel(timezone.now(), tick=False):
        publish_site(targets=[directory, second])
        services.incident_update_post(
            incident=site["open"], status="identified", body="Still on it.", actor=operator
        )

        report, shared_count = _publish_counting(directory)
        with monkeypatch.context() as m:
            # Each document reads for itself, as ordinary requests do.
            m.setattr(render, "shared_reads", contextlib.nullcontext)
            alone, alone_count = _publish_counting(second)

    assert report.incremental and alone.incremental
    assert report.rendered == alone.rendered
    assert _tree(directory) == _tree(second)
    assert shared_count <= MAX_QUERIES < alone_count, (shared_count, alone_count)


def test_reads_are_shared_only_inside_a_publish(site, directory, operator, client):
    publish_site(targets=[directory])
    assert not active()

    # After the publish every read goes to the database again: a change made now shows at
    # once, in the selectors and in what a reader is served.
    services.component_status_set(component=site["web"], status="major_outage", actor=operator)
    assert selectors.status_summary()[0] == "major"
    tree = selectors.component_tree()
    assert next(c for c in tree.components if c.pk == site["web"].pk).status == "major_outage"
    summary = client.get("/api/v2/summary.json").json()
    web = next(c for c in summary["components"] if c["id"] == site["web"].public_id)
    assert web["status"] == "major_outage"
    assert summary["status"]["indicator"] == "major"


def test_a_shared_read_runs_once_per_arguments_and_only_inside_the_block(
    site, django_assert_num_queries
):
    with django_assert_num_queries(2):
        selectors.page_get()
        selectors.page_get()
    with shared_reads():
        assert active()
        with django_assert_num_queries(1):
            first = selectors.page_get()
            assert selectors.page_get() is first
        with django_assert_num_queries(2):  # the tree: two queries, once
            tree = selectors.component_tree()
            selectors.component_tree()
        # The same rows as arguments, in other objects: the same read.
        with django_assert_num_queries(2):
            selectors.status_summary(tree.components)
            selectors.status_summary(list(selectors.component_tree().components))
    assert not active()
    with django_assert_num_queries(1):
        selectors.page_get()


def test_the_block_ends_even_when_a_render_fails(site):
    with pytest.raises(RuntimeError), shared_reads():
        selectors.page_get()
        raise RuntimeError
    assert not active()


def test_an_updates_publish_reads_as_much_in_four_languages_as_in_two(
    site, tmp_path, operator, settings
):
    # Every language's copy of a page shows the same data at the publish's one instant: the
    # lists, the uptime days and the feeds' entries are read once, whatever the languages.
    counted = {}
    for languages in (["en", "de"], ["en", "de", "fr", "ja"]):
        settings.PUBLIC_LANGUAGES = languages
        target = parse_target(f"file://{tmp_path / '-'.join(languages)}")
        with time_machine.travel(timezone.now(), tick=False):
            publish_site(targets=[target])
            services.incident_update_post(
                incident=site["open"], status="identified", body=f"{languages}", actor=operator
            )
            report, counted[len(languages)] = _publish_counting(target, clockwork=False)
        assert report.incremental
        assert any(key.startswith(f"{languages[-1]}/") for key in report.rendered)
    # The generation checks left out (their number follows the wall clock), the same reads;
    # each language's copy reading for itself would add a dozen.
    assert counted[4] == counted[2], counted


def test_the_uptime_days_a_publish_shares_are_not_changed_by_the_documents_that_read_them(
    site, directory, operator, monkeypatch
):
    # One read of the days serves the front page and /uptime in every language: a document
    # that changed what it was given would change what the next one shows.
    from statuspage.public import uptime

    shared_daily = uptime.daily
    handed_out: dict[int, tuple[object, object]] = {}

    def recording(*args, **kwargs):
        result = shared_daily(*args, **kwargs)
        handed_out.setdefault(id(result), (result, copy.deepcopy(result)))
        return result

    monkeypatch.setattr(uptime, "daily", recording)
    services.component_status_set(component=site["web"], status="major_outage", actor=operator)
    publish_site(targets=[directory])
    assert handed_out
    for result, as_read in handed_out.values():
        assert result == as_read
