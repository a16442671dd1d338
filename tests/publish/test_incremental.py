"""A publish renders only the documents the changes since the previous one touched, and the
result is the very tree a publish from scratch gives: that equality is the guard of the
mapping from changes to documents (statuspage/publish/scope.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.utils import timezone

from incidents import selectors, services
from incidents.models import PublicChange
from statuspage.publish import jobs
from statuspage.publish import services as publish_services
from statuspage.publish.background import wait as background_wait
from statuspage.publish.services import publish_site
from statuspage.publish.targets import MANIFEST, PREPARED, DirectoryTarget, parse_target


@pytest.fixture
def scratch(tmp_path) -> DirectoryTarget:
    """A second directory, rebuilt from scratch (`publish --all`) after every change."""
    target = parse_target(f"file://{tmp_path / 'scratch'}")
    assert isinstance(target, DirectoryTarget)
    return target


@pytest.fixture
def history(site, operator):
    """An incident seven months back: older history pages exist, and must be kept as they
    are while the page's present changes."""
    services.incident_create(
        name="Old outage",
        body="Long ago.",
        actor=operator,
        at=timezone.now() - timedelta(days=210),
    )
    return site


def _tree(target: DirectoryTarget) -> dict[str, bytes]:
    root = target.current.resolve()
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != MANIFEST
    }


def _same_as_from_scratch(
    directory, scratch, label="", *, also: tuple[DirectoryTarget, ...] = ()
) -> publish_services.Report:
    """Publish incrementally to `directory` (and to each of `also`, on its own), from scratch
    to `scratch`; the trees (bytes, gzip copies, names) and the manifests' objects must be
    identical. Returns `directory`'s report; `also`'s must be incremental too."""
    # All at one instant: what a document shows of "now" (today's downtime so far) is the
    # same in each, however long a render takes.
    with time_machine.travel(timezone.now(), tick=False):
        report = publish_site(targets=[directory])
        others = [publish_site(targets=[target]) for target in also]
        publish_site(targets=[scratch], full=True)
    theirs = _tree(scratch)
    for target in (directory, *also):
        mine = _tree(target)
        assert mine.keys() == theirs.keys()
        assert [k for k in mine if mine[k] != theirs[k]] == [], label
        assert target.read_manifest().objects == scratch.read_manifest().objects
    for other in others:
        if report.incremental:
            assert other.incremental, label
    return report


def _changes(site, operator):
    """A day of an incident's life and the page around it, one public write at a time."""
    api, db, web = site["api"], site["db"], site["web"]
    incident = site["open"]
    window = site["maintenance"]
    yield (
        "an update that moves no status",
        lambda: services.incident_update_post(
            incident=incident, status="identified", body="Still on it.", actor=operator
        ),
    )
    yield (
        "an update that moves a component",
        lambda: services.incident_update_post(
            incident=incident,
            status="identified",
            body="Worse now.",
            actor=operator,
            component_statuses={api: "major_outage"},
        ),
    )
    yield (
        "a component set by hand",
        lambda: services.component_status_set(
            component=db, status="degraded_performance", actor=operator
        ),
    )
    yield (
        "a new incident",
        lambda: services.incident_create(
            name="Website slow",
            body="Looking.",
            actor=operator,
            component_statuses={web: "degraded_performance"},
        ),
    )
    yield (
        "an update edited",
        lambda: services.incident_update_edit(
            update=incident.updates.order_by("-id").first(),
            body="Worse, now fixed.",
            actor=operator,
        ),
    )
    yield (
        "a resolution",
        lambda: services.incident_resolve(incident=incident, body="Fixed.", actor=operator),
    )
    yield (
        "a postmortem",
        lambda: (
            services.postmortem_save_draft(incident=incident, body="## Cause\nX.", actor=operator),
            services.postmortem_publish(incident=incident, actor=operator),
        ),
    )
    yield (
        "a window moved",
        lambda: services.maintenance_reschedule(
            maintenance=window,
            scheduled_for=window.scheduled_for + timedelta(days=1),
            scheduled_until=window.scheduled_until + timedelta(days=1),
            actor=operator,
        ),
    )
    yield "a window started", lambda: services.maintenance_start(maintenance=window, actor=operator)
    yield (
        "a component back by hand",
        lambda: services.component_status_set(component=db, status="operational", actor=operator),
    )


def test_after_each_change_the_published_tree_is_the_one_from_scratch(
    history, directory, scratch, operator, clock, tmp_path
):
    """Also a burst: a third target published only before the first change and after the
    last one gets the union of every change at once, and the same tree (it shares the last
    from-scratch build rather than making its own)."""
    burst = parse_target(f"file://{tmp_path / 'burst'}")
    assert isinstance(burst, DirectoryTarget)
    _same_as_from_scratch(directory, scratch, also=(burst,))
    changes = list(_changes(history, operator))
    for n, (label, change) in enumerate(changes, 1):
        # Time passes between changes (within the hour of the last full render): what a
        # document shows of "now" (today's downtime so far) must not go stale in the copy.
        clock.shift(timedelta(minutes=5))
        change()
        last = n == len(changes)
        report = _same_as_from_scratch(directory, scratch, label, also=(burst,) if last else ())
        assert report.incremental, label
        assert len(report.rendered) < report.documents, label
    assert len(burst.read_manifest().paths) == report.documents


def test_an_incident_update_renders_what_shows_it_and_keeps_the_rest(history, directory, operator):
    full = publish_site(targets=[directory])
    assert not full.incremental and len(full.rendered) == full.documents
    site = history
    services.incident_update_post(
        incident=site["open"], status="identified", body="Still on it.", actor=operator
    )

    report = publish_site(targets=[directory])

    assert report.incremental and report.documents == full.documents
    rendered = set(report.rendered)
    open_id = site["open"].public_id
    assert {
        "index.html",
        f"incidents/{open_id}/index.html",
        "history/index.html",
        "history.atom",
        "api/v2/summary.json",
        f"embed/frame/index@id={open_id}.html",
    } <= rendered
    # Page 1 (`?page=1`, as page 2 links it) lists the incident; the older ones do not.
    older = {k for k in full.paths if k.startswith("history/index@page=") and "page=1." not in k}
    assert older, "the fixture has older history pages"
    kept = {
        f"incidents/{site['resolved'].public_id}/index.html",
        f"uptime/index@component={site['db'].public_id}.html",
        f"uptime/index@component={site['web'].public_id}.html",
        "static/public/status.css",
        "brand.css",
        # The maintenance calendar shows windows only.
        "maintenance.ics",
        "de/maintenance.ics",
        *older,
    }
    assert kept <= set(report.paths)
    assert kept & rendered == set()
    # The update moved no status: the badges (statuses only) are kept too.
    badges = {"badge.svg", "badge.json", f"badge/{site['api'].public_id}.svg"}
    assert badges <= set(report.paths)
    assert badges & rendered == set()


def test_calendars_that_move_with_the_clock_are_rendered_again_once_a_minute(
    site, directory, scratch, operator, clock
):
    """A component that is down: `/uptime` and its calendar show today's downtime so far,
    which grows without a write. Updates in quick succession do not render them again each
    time; the first publish LIVE_EVERY or more after they were last rendered does, and the
    tree is then the one from scratch."""
    services.component_status_set(component=site["db"], status="major_outage", actor=operator)
    publish_site(targets=[directory])
    live = {
        "uptime/index.html",
        "de/uptime/index.html",
        f"uptime/index@component={site['db'].public_id}.html",
        f"de/uptime/index@component={site['db'].public_id}.html",
    }
    rendered_at = directory.read_manifest().live_at
    assert rendered_at

    clock.shift(timedelta(seconds=20))
    # Updates that move no status: they touch no calendar (those only follow the clock).
    incident = site["open"]
    incident.refresh_from_db()
    services.incident_update_post(
        incident=incident, status=incident.status, body="Still on it.", actor=operator
    )
    soon = publish_site(targets=[directory])

    assert soon.incremental and "index.html" in soon.rendered
    assert live & set(soon.rendered) == set()
    assert directory.read_manifest().live_at == rendered_at

    clock.shift(publish_services.LIVE_EVERY - timedelta(seconds=20))
    services.incident_update_post(
        incident=incident, status=incident.status, body="Still on it, later.", actor=operator
    )
    later = _same_as_from_scratch(directory, scratch)

    assert later.incremental and live <= set(later.rendered)
    assert directory.read_manifest().live_at > rendered_at


def test_an_update_that_moves_nothing_leaves_the_calendars_naming_its_incident(
    site, directory, scratch, operator
):
    """The calendars name an incident, its impact and span: an update that moves none of them
    renders its permalink and the listings of its updates, not `/uptime`; one that moves its
    status renders the calendars again. Both give the tree from scratch."""
    services.component_status_set(component=site["api"], status="operational", actor=operator)
    # It covers a component it does not take down: the calendars name it, nothing is live.
    quiet = services.incident_create(
        name="Slow logins",
        body="Looking.",
        actor=operator,
        component_statuses={site["web"]: "operational"},
    )
    publish_site(targets=[directory])
    calendars = {"uptime/index.html", "de/uptime/index.html"}

    services.incident_update_post(
        incident=quiet, status=quiet.status, body="Still looking.", actor=operator
    )
    report = _same_as_from_scratch(directory, scratch)

    assert report.incremental and f"incidents/{quiet.public_id}/index.html" in report.rendered
    assert calendars & set(report.rendered) == set()

    services.incident_update_post(
        incident=quiet, status="identified", body="Found it.", actor=operator
    )
    report = _same_as_from_scratch(directory, scratch)

    assert report.incremental and calendars <= set(report.rendered)


def test_a_change_that_does_not_say_what_it_touched_renders_everything(site, directory, operator):
    publish_site(targets=[directory])
    services.component_update(component=site["web"], actor=operator, name="Web site")

    report = publish_site(targets=[directory])

    assert not report.incremental and len(report.rendered) == report.documents


def test_a_gap_in_the_change_log_renders_everything(site, directory, operator):
    publish_site(targets=[directory])
    services.component_status_set(component=site["db"], status="major_outage", actor=operator)
    PublicChange.objects.all().delete()

    report = publish_site(targets=[directory])

    assert not report.incremental


def test_rewritten_history_renders_everything(site, directory, operator):
    publish_site(targets=[directory])
    # An incident's name shows in the finished days it touched: past days change.
    services.incident_edit(incident=site["resolved"], actor=operator, name="Slow site")

    report = publish_site(targets=[directory])

    assert not report.incremental


def test_a_new_day_and_the_hourly_render_render_everything(site, directory, operator, clock):
    publish_site(targets=[directory])
    clock.shift(timedelta(minutes=30))
    services.component_status_set(component=site["db"], status="major_outage", actor=operator)
    assert publish_site(targets=[directory]).incremental

    clock.shift(publish_services.FULL_RENDER_EVERY)
    services.component_status_set(component=site["db"], status="operational", actor=operator)
    assert not publish_site(targets=[directory]).incremental

    clock.shift(timedelta(days=1))
    report = publish_site(targets=[directory])
    assert not report.current and not report.incremental


def test_a_target_missing_a_kept_document_is_rendered_whole_and_repaired(
    site, directory, scratch, operator
):
    publish_site(targets=[directory])
    kept = directory.current.resolve() / "static" / "public" / "status.css"
    assert kept.is_file()
    kept.unlink()
    services.component_status_set(component=site["db"], status="major_outage", actor=operator)

    report = _same_as_from_scratch(directory, scratch)

    assert not report.incremental and not report.errors


def test_targets_at_different_publishes_render_everything(site, directory, scratch, operator):
    publish_site(targets=[directory])
    services.component_status_set(component=site["db"], status="major_outage", actor=operator)

    report = publish_site(targets=[directory, scratch])

    assert not report.incremental
    assert _tree(directory) == _tree(scratch)


def test_rendering_sends_no_request_signals_and_leaves_connection_handling_alone(site, directory):
    """The app's own renders are not requests: no request_started/request_finished (the test
    client's way disconnects close_old_connections from them, for every thread)."""
    sent: list[str] = []

    def started(**kwargs):
        sent.append("started")

    def finished(**kwargs):
        sent.append("finished")

    def connected(done: int, total: int) -> None:
        for signal in (request_started, request_finished):
            receivers = [r[1]() for r in signal.receivers]
            assert close_old_connections in receivers

    request_started.connect(started)
    request_finished.connect(finished)
    try:
        report = publish_site(targets=[directory], on_progress=connected)
    finally:
        request_started.disconnect(started)
        request_finished.disconnect(finished)

    assert report.documents and sent == []


def test_the_tick_renders_everything_once_an_hour_even_without_a_change(
    site, directory, scratch, settings, clock
):
    """The safety net: whatever a publish kept that it should have rendered (and what moves
    with the clock alone: today's downtime of a component that is down) is rendered again
    within the hour."""
    settings.PUBLISH_TARGETS = [directory.url]
    publish_site()
    first = directory.read_manifest()
    assert jobs.publish_tick() == "current"

    clock.shift(publish_services.FULL_RENDER_EVERY + timedelta(minutes=1))
    with time_machine.travel(timezone.now(), tick=False):
        assert jobs.publish_tick() == "published"
        publish_site(targets=[scratch], full=True)

    again = directory.read_manifest()
    assert again.generation == first.generation and again.full_at > first.full_at
    assert _tree(directory) == _tree(scratch)
    assert jobs.publish_tick() == "current"


def test_the_tick_renders_what_moves_with_the_clock_once_a_minute_while_a_component_is_down(
    site, directory, scratch, settings, clock, operator
):
    """Without any write, a component that is down keeps counting downtime: the tick renders
    `/uptime` and its calendars (with the front pages that show today too) once LIVE_EVERY has
    passed, not only at the hourly whole render; with every component operational it does
    nothing."""
    settings.PUBLISH_TARGETS = [directory.url]
    publish_site()
    first = directory.read_manifest()
    clock.shift(timedelta(seconds=30))
    assert jobs.publish_tick() == "current"

    clock.shift(publish_services.LIVE_EVERY)
    with time_machine.travel(timezone.now(), tick=False):
        assert jobs.publish_tick() == "published"
        publish_site(targets=[scratch], full=True)

    again = directory.read_manifest()
    assert _tree(directory) == _tree(scratch)
    assert again.live_at > first.live_at and again.full_at == first.full_at
    assert again.generation == first.generation and 0 < again.rendered < len(again.objects)
    assert jobs.publish_tick() == "current"
    # Where every publish renders everything, only the hourly render remains.
    settings.PUBLISH_INCREMENTAL = False
    clock.shift(publish_services.LIVE_EVERY)
    assert jobs.publish_tick() == "current"
    settings.PUBLISH_INCREMENTAL = True

    services.incident_resolve(incident=site["open"], body="Fixed.", actor=operator)
    assert selectors.components_not_operational() == []
    publish_site()
    clock.shift(publish_services.LIVE_EVERY * 2)
    assert jobs.publish_tick() == "current"


def test_publish_incremental_off_renders_everything(site, directory, settings, operator):
    settings.PUBLISH_INCREMENTAL = False
    publish_site(targets=[directory])
    services.component_status_set(component=site["db"], status="major_outage", actor=operator)

    report = publish_site(targets=[directory])

    assert not report.incremental and len(report.rendered) == report.documents


def test_a_directorys_next_generation_is_begun_while_the_documents_render(
    site, directory, scratch, operator, monkeypatch
):
    """The kept documents are linked into the next generation before the renders end, and
    that generation is the one published: the tree from scratch, unchanged files the very
    inodes of the previous generation's."""
    publish_site(targets=[directory])
    previous = directory.current.resolve()
    begun: list[list[str]] = []
    prepare = DirectoryTarget.prepare

    def watched(self, manifest):
        prepare(self, manifest)
        if self.root == directory.root:
            begun.append([p.name for p in (self.root / "generations").iterdir()])

    monkeypatch.setattr(DirectoryTarget, "prepare", watched)
    services.incident_update_post(
        incident=site["open"], status="identified", body="Still on it.", actor=operator
    )
    report = _same_as_from_scratch(directory, scratch)

    assert report.incremental
    assert any(name.startswith(PREPARED) for name in begun[0])
    current = directory.current.resolve()
    assert [
        p.name for p in (directory.root / "generations").iterdir() if p.name.startswith(PREPARED)
    ] == []
    kept = "static/public/status.css"
    assert kept not in report.rendered
    assert (current / kept).stat().st_ino == (previous / kept).stat().st_ino
    written = "index.html"
    assert (current / written).stat().st_ino != (previous / written).stat().st_ino


def test_a_generation_prepared_from_one_since_replaced_is_not_used(
    site, directory, operator, monkeypatch
):
    """Another publish switched the target between `prepare` and `publish` (and pruned what
    was prepared): the stale preparation is dropped, and the kept documents are linked from
    the generation that is current."""
    publish_site(targets=[directory])
    stale = parse_target(directory.url)
    assert isinstance(stale, DirectoryTarget)
    stale.prepare(stale.read_manifest())
    publish_site(targets=[directory], full=True)  # every file written anew
    replaced = directory.current.resolve()
    services.incident_update_post(
        incident=site["open"], status="identified", body="Still on it.", actor=operator
    )
    # Its own publish must not prepare again: the stale preparation is the one it holds.
    monkeypatch.setattr(stale, "prepare", lambda previous: None)

    report = publish_site(targets=[stale])

    assert report.incremental and not report.errors
    kept = "static/public/status.css"
    assert kept not in report.rendered
    assert (stale.current / kept).stat().st_ino == (replaced / kept).stat().st_ino
    background_wait()
    generations = (directory.root / "generations").iterdir()
    assert [p for p in generations if p.name.startswith(PREPARED)] == []
