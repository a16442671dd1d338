"""A publish writes what changed and nothing else, deletes what is gone, and switches
readers over only once everything is in place (the manifest last)."""

from __future__ import annotations

from django.db.models import F

from incidents import services
from incidents.models import Page
from statuspage.publish.services import publish_site
from statuspage.publish.targets import MANIFEST
from tests.publish.conftest import count_puts, http_get, object_url


def _post_update(site, operator):
    """An update that leaves every status as it was: the page's indicator (in every page's
    title and favicon) does not move."""
    services.incident_update_post(
        incident=site["open"], status="identified", body="Still on it.", actor=operator
    )


def test_a_second_publish_without_a_change_writes_nothing(site, directory, bucket):
    publish_site(targets=[directory, bucket])
    puts = count_puts(bucket)
    files = {p: p.stat().st_ino for p in directory.current.rglob("*") if p.is_file()}

    report = publish_site(targets=[directory, bucket])

    assert report.current and report.written == 0
    assert puts == []
    assert {p: p.stat().st_ino for p in directory.current.rglob("*") if p.is_file()} == files


def test_a_new_generation_with_the_same_documents_moves_only_the_manifest(site, directory, bucket):
    first = publish_site(targets=[directory, bucket])
    puts = count_puts(bucket)
    # A new generation that changed nothing a reader gets (as a restore of the same data).
    Page.objects.update(generation=F("generation") + 1)

    report = publish_site(targets=[directory, bucket])

    assert not report.current and report.written == 0
    assert puts == [bucket.name(MANIFEST)]
    assert directory.read_manifest().generation == first.generation + 1
    assert bucket.read_manifest().generation == first.generation + 1


def test_an_incident_update_rewrites_only_the_documents_it_touches(
    site, directory, bucket, operator
):
    publish_site(targets=[directory, bucket])
    puts = count_puts(bucket)
    before = {p.relative_to(directory.current): p.stat().st_ino for p in _files(directory)}
    _post_update(site, operator)

    report = publish_site(targets=[directory, bucket])

    written = {o.target: set(o.written) for o in report.outcomes}
    on_disk, in_bucket = written[directory.url], written[bucket.url]
    assert on_disk == in_bucket
    assert {bucket.name(k) for k in in_bucket} | {bucket.name(MANIFEST)} == set(puts)
    open_id = site["open"].public_id
    touched = {
        "index.html",
        f"incidents/{open_id}/index.html",
        "history/index.html",
        "history.atom",
        "history.rss",
        "api/v2/summary.json",
        "api/v2/incidents.json",
        "api/v2/incidents/unresolved.json",
        f"api/v2/incidents/{open_id}.json",
        "embed/state.json",
        f"embed/frame/index@id={open_id}.html",
    }
    assert touched <= on_disk
    untouched = {
        f"incidents/{site['resolved'].public_id}/index.html",
        f"maintenance/{site['maintenance'].public_id}/index.html",
        "uptime/index.html",
        f"uptime/index@component={site['api'].public_id}.html",
        f"badge/{site['api'].public_id}.svg",
        "badge.svg",
        "maintenance.ics",
        "static/public/status.css",
        "embed/script.js",
    }
    assert not untouched & on_disk
    # Unchanged files are the previous generation's, linked, not copied.
    after = {p.relative_to(directory.current): p.stat().st_ino for p in _files(directory)}
    for name in untouched:
        assert after[_rel(name)] == before[_rel(name)], name


def _files(target):
    return [p for p in target.current.rglob("*") if p.is_file()]


def _rel(key):
    from pathlib import PurePath

    return PurePath(key)


def test_a_deleted_incident_leaves_both_targets(site, directory, bucket, s3_server, operator):
    publish_site(targets=[directory, bucket])
    gone = site["resolved"].public_id
    keys = (f"incidents/{gone}/index.html", f"api/v2/incidents/{gone}.json")
    for key in keys:
        assert (directory.current / key).is_file()
        assert http_get(object_url(s3_server, bucket, key))[0] == 200

    services.incident_delete(incident=site["resolved"], actor=operator)
    report = publish_site(targets=[directory, bucket])

    for outcome in report.outcomes:
        assert set(keys) <= set(outcome.deleted)
    for key in keys:
        assert not (directory.current / key).exists()
        assert not (directory.current / (key + ".gz")).exists()
        assert http_get(object_url(s3_server, bucket, key))[0] in (403, 404)
        assert key not in directory.read_manifest().objects
        assert key not in bucket.read_manifest().objects


class Stop(Exception):
    pass


def _stop_after(count: int):
    seen = []

    def before_write(key: str) -> None:
        seen.append(key)
        if len(seen) > count:
            raise Stop(key)

    return before_write


def test_a_publish_stopped_half_way_leaves_readers_the_previous_one_whole(
    site, directory, operator
):
    first = publish_site(targets=[directory])
    old = {key: (directory.current / key).read_bytes() for key in first.paths}
    _post_update(site, operator)

    stopped = publish_site(targets=[directory], before_write=_stop_after(3))

    assert stopped.outcomes == [] and directory.url in stopped.errors[0]

    # `current` still names the previous generation, whole: every file it lists, as it was.
    manifest = directory.read_manifest()
    assert manifest.generation == first.generation
    assert set(manifest.objects) == set(old)
    for key, body in old.items():
        assert (directory.current / key).read_bytes() == body, key
    # The half-built generation was removed.
    assert len(list((directory.root / "generations").iterdir())) == 1

    # A publish killed half-way (no chance to clean up) leaves its folder behind, unlinked.
    killed = directory.root / "generations" / "g999-killed"
    (killed / "incidents").mkdir(parents=True)
    retry = publish_site(targets=[directory])
    assert directory.read_manifest().generation == retry.generation > first.generation
    assert f"incidents/{site['open'].public_id}/index.html" in retry.outcomes[0].written
    # The new generation and the one before it stay; the killed one's leftovers go.
    assert not killed.exists()
    assert len(list((directory.root / "generations").iterdir())) == 2


def test_an_s3_publish_stopped_half_way_keeps_the_manifest_of_the_last_whole_one(
    site, bucket, operator
):
    first = publish_site(targets=[bucket])
    _post_update(site, operator)

    stopped = publish_site(targets=[bucket], before_write=_stop_after(3))

    assert stopped.outcomes == [] and bucket.url in stopped.errors[0]

    assert bucket.read_manifest().generation == first.generation
    retry = publish_site(targets=[bucket])
    assert bucket.read_manifest().generation == retry.generation > first.generation
    assert len(retry.outcomes[0].written) > 3  # the retry finished what the first began
