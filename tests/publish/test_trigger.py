"""Every committed change is published after its commit; a failing publish never fails the
write; a burst of changes is published once, by the newest change's job."""

from __future__ import annotations

import re

import pytest
from django.conf import settings as live_settings
from django.core.management import call_command

from incidents import services
from incidents.models import Page
from statuspage.publish import jobs
from statuspage.publish.services import RETRY_INTERVALS, job_id


@pytest.fixture
def published(settings, directory):
    settings.REDIS_URL = None  # the embedded default: the job runs in-process after commit
    settings.PUBLISH_TARGETS = [directory.url]
    return directory


def test_a_committed_change_is_published_after_its_commit(
    site, published, operator, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        incident = services.incident_create(name="Queue backlog", body="Slow.", actor=operator)
    assert not published.current.exists()  # nothing is published before the commit

    for callback in callbacks:
        callback()

    key = f"incidents/{incident.public_id}/index.html"
    assert b"Queue backlog" in (published.current / key).read_bytes()
    assert b"Queue backlog" in (published.current / "index.html").read_bytes()
    assert published.read_manifest().generation == Page.objects.get().generation


def test_a_failing_publish_is_logged_and_the_write_stands(
    site, settings, tmp_path, operator, django_capture_on_commit_callbacks, caplog
):
    settings.REDIS_URL = None
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the target's folder should be")
    settings.PUBLISH_TARGETS = [f"file://{blocker}"]

    with django_capture_on_commit_callbacks(execute=True):
        incident = services.incident_create(name="Disk full", body="x", actor=operator)

    assert incident.pk is not None and incident.updates.count() == 1
    assert "publish of generation" in caplog.text
    assert str(blocker) in caplog.text


def test_an_older_generations_job_is_a_no_op_once_a_newer_one_exists(site, published, operator):
    older = Page.objects.get().generation
    services.incident_create(name="Newer change", body="x", actor=operator)

    assert jobs.publish_generation(older) == "superseded"
    assert not published.current.exists()
    newest = Page.objects.get().generation
    assert jobs.publish_generation(newest) == "published"
    assert jobs.publish_generation(newest) == "current"  # a retry rewrites nothing


def test_manage_publish_all_rewrites_every_object_with_a_progress_bar(site, published, capsys):
    call_command("publish")
    first = published.read_manifest()

    call_command("publish", "--all")

    out, err = capsys.readouterr()
    assert f"{len(first.objects)} written" in out.splitlines()[-2]
    # Not a terminal: plain lines, the last one full (every document asked for, out of all
    # there were to ask for), with the time it took.
    assert "\r" not in err
    assert re.search(r"^rendering: (\d+)/\1 \(100%\), took \d+:\d\d\n$", err, re.M), err[-200:]
    assert "rendered all" in out
    assert published.read_manifest().objects == first.objects


@pytest.mark.redis
@pytest.mark.skipif(not live_settings.REDIS_URL, reason="needs REDIS_URL (CI sets it)")
def test_with_redis_each_generation_is_queued_once_with_retries(
    site, settings, directory, operator, django_capture_on_commit_callbacks
):
    import django_rq
    from rq import SimpleWorker

    settings.PUBLISH_TARGETS = [directory.url]
    q = django_rq.get_queue("default")
    q.empty()
    with django_capture_on_commit_callbacks(execute=True):
        services.incident_create(name="Queued", body="x", actor=operator)
    generation = Page.objects.get().generation
    job = q.fetch_job(job_id(generation))
    assert job is not None and job.retries_left == len(RETRY_INTERVALS)
    assert not directory.current.exists()  # queued, not run

    SimpleWorker([q], connection=q.connection).work(burst=True)

    job.refresh()
    assert job.get_status() == "finished" and job.return_value() == "published"
    assert directory.read_manifest().generation == generation


def test_the_scheduler_runs_the_publish_tick_every_minute():
    from notifications.cron import schedule

    assert (jobs.publish_tick, "default", 60) in schedule()


@pytest.mark.frozen_at("2026-11-18T23:59:30+00:00")
def test_the_tick_publishes_the_new_day_and_is_a_no_op_otherwise(site, published, settings, clock):
    assert jobs.publish_tick() == "published"
    assert jobs.publish_tick() == "current"
    before = published.read_manifest()

    clock.move_to("2026-11-19T00:00:30+00:00")  # the page's midnight (Etc/UTC): no write

    assert jobs.publish_tick() == "published"
    after = published.read_manifest()
    assert after.generation == before.generation and after.version != before.version
    assert after.objects["index.html"] != before.objects["index.html"]  # a new last day
    settings.PUBLISH_TARGETS = []
    assert jobs.publish_tick() == "off"


def broken_handler(generation, page_id=None):
    raise RuntimeError(f"handler down at {generation}")


def test_whatever_follows_a_commit_cannot_fail_the_write(
    site, settings, operator, django_capture_on_commit_callbacks, caplog
):
    settings.STATUSPAGE_GENERATION_HANDLER = "tests.publish.test_trigger.broken_handler"

    with django_capture_on_commit_callbacks(execute=True):
        incident = services.incident_create(name="Still written", body="x", actor=operator)

    assert Page.objects.get().generation > 0 and incident.pk is not None
    assert "handler down at" in caplog.text


def test_without_a_handler_nothing_follows_the_commit(
    site, settings, operator, django_capture_on_commit_callbacks, directory
):
    settings.STATUSPAGE_GENERATION_HANDLER = ""
    settings.PUBLISH_TARGETS = [directory.url]

    with django_capture_on_commit_callbacks(execute=True):
        services.incident_create(name="Not published", body="x", actor=operator)

    assert not directory.current.exists()
