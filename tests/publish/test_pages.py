"""Every public page is published, each where its readers find it; a private or audience page
never is (statuspage/publish/services.py: `published`, `placements`).

Against the real S3 protocol (moto's standalone server, through the production client) and a
directory target: the default page at the root, the other public pages under `p/<slug>/`,
a page with `page=<slug>` in its own target at that target's root.
"""

from __future__ import annotations

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from incidents import page_routes, services
from incidents.models import Page, PageHost, Visibility
from statuspage.publish import jobs
from statuspage.publish.services import publish_all, publish_site
from statuspage.publish.targets import MANIFEST, parse_target
from tests.public.conftest import reset_read_path
from tests.publish.conftest import count_puts, http_get, object_url

ORIGIN = "127.0.0.1:8000"
# Words only one page shows: a published object holding another page's word is a leak.
WORDS = {"main": b"Alphawords", "bee": b"Bravowords", "zed": b"Zuluwords"}


def _objects(page, operator, word: str) -> dict:
    component = services.component_create(name=f"{word} engine", actor=operator, page=page)
    incident = services.incident_create(
        name=f"{word} outage",
        body=f"{word} is down.",
        actor=operator,
        component_statuses={component: "major_outage"},
    )
    return {"component": component, "incident": incident}


@pytest.fixture
def pages(page, operator, settings):
    """The default page and page `bee`, public; page `zed`, private; each with a component
    and an open incident named by its own word."""
    settings.ALLOWED_HOSTS = ["127.0.0.1", "status.bee.test", "testserver"]
    bee = Page.objects.create(name="Bee page", slug="bee", time_zone="Etc/UTC")
    zed = Page.objects.create(
        name="Zed page", slug="zed", time_zone="Etc/UTC", visibility=Visibility.PRIVATE
    )
    objects = {
        "main": _objects(page, operator, WORDS["main"].decode()),
        "bee": _objects(bee, operator, WORDS["bee"].decode()),
        "zed": _objects(zed, operator, WORDS["zed"].decode()),
    }
    page_routes.forget()
    reset_read_path()
    return {"main": page, "bee": bee, "zed": zed, "objects": objects}


def _bucket_objects(target) -> dict[str, bytes]:
    """Every object in the target's bucket, by name, as stored."""
    client = target.client()
    names = [
        item["Key"]
        for listing in client.get_paginator("list_objects_v2").paginate(Bucket=target.bucket)
        for item in listing.get("Contents", [])
    ]
    return {n: client.get_object(Bucket=target.bucket, Key=n)["Body"].read() for n in names}


def _assert_private_nowhere(objects: dict[str, bytes]) -> None:
    for name, body in objects.items():
        assert "zed" not in name.split("/"), name
        assert WORDS["zed"] not in body, name
        assert b"Zed page" not in body, name


def test_every_public_page_is_published_and_the_private_one_nowhere(
    pages, bucket, s3_server, client
):
    # One instant for the publish and the origin's answers (uptime figures move with time).
    with time_machine.travel(timezone.now(), tick=False):
        reports = publish_all(targets=[bucket])
        origin = {p: Client().get(p, HTTP_HOST=ORIGIN).content for p in ("/p/bee/",)}

    objects = _bucket_objects(bucket)
    _assert_private_nowhere(objects)
    assert [r.documents > 0 for r in reports] == [True, True, False]
    # The default page at the root, page bee under p/bee/, each with its own words only.
    root = objects["site/index.html"]
    assert WORDS["main"] in root and WORDS["bee"] not in root
    bee = objects["site/p/bee/index.html"]
    assert WORDS["bee"] in bee and WORDS["main"] not in bee
    # The bytes the origin serves at /p/bee/, whose links carry the prefix, and the objects
    # those links name are published where the links lead.
    assert origin["/p/bee/"] == bee
    assert b'href="/p/bee/history"' in bee
    assert "site/p/bee/history/index.html" in objects
    assert "site/p/bee/api/v2/summary.json" in objects
    incident = pages["objects"]["bee"]["incident"].public_id
    assert f"site/p/bee/incidents/{incident}/index.html" in objects
    # Read back anonymously over HTTP, as a reader (or a CDN) does.
    status, headers, body = http_get(object_url(s3_server, bucket, "p/bee/api/v2/summary.json"))
    assert status == 200 and headers["content-type"].startswith("application/json")
    assert WORDS["bee"] in body
    # Each page keeps its own manifest; the root's lists none of page bee's objects.
    assert not any(k.startswith("p/") for k in bucket.read_manifest().objects)
    assert bucket.under("bee").read_manifest().objects.keys() == {
        k.removeprefix("site/p/bee/")
        for k in objects
        if k.startswith("site/p/bee/") and not k.endswith(MANIFEST)
    }


def test_a_change_on_one_page_republishes_only_that_page(pages, bucket, operator, settings):
    publish_all(targets=[bucket])
    root_manifest = bucket.read_manifest()
    bucket.client()  # page bee's part of the bucket speaks through the same client
    puts = count_puts(bucket)

    services.incident_update_post(
        incident=pages["objects"]["bee"]["incident"],
        status="identified",
        body="Bravowords found the cause.",
        actor=operator,
    )
    reports = publish_all(targets=[bucket])

    assert reports[0].current and reports[2].current
    assert not reports[1].current and reports[1].incremental
    assert puts and all(k.startswith("site/p/bee/") for k in puts), puts
    assert "site/p/bee/index.html" in puts
    assert bucket.read_manifest() == root_manifest
    assert b"found the cause" in _bucket_objects(bucket)["site/p/bee/index.html"]


def test_the_commit_publishes_its_own_page(
    pages, bucket, operator, settings, django_capture_on_commit_callbacks
):
    publish_all(targets=[bucket])
    root_manifest = bucket.read_manifest()
    bee_before = bucket.under("bee").read_manifest()
    settings.PUBLISH_TARGETS = [bucket.url]
    # Without Redis the job runs at the commit (with it, a worker would run the same call).
    settings.REDIS_URL = ""

    with django_capture_on_commit_callbacks(execute=True):
        services.incident_update_post(
            incident=pages["objects"]["bee"]["incident"],
            status="identified",
            body="Bravowords found it.",
            actor=operator,
        )

    bee_after = bucket.under("bee").read_manifest()
    assert bee_after.generation > bee_before.generation
    assert bucket.read_manifest() == root_manifest
    assert jobs.publish_generation(bee_after.generation, pages["bee"].pk) == "current"


def test_a_page_made_private_is_withdrawn(pages, bucket, directory, operator):
    zed = pages["zed"]
    Page.objects.filter(pk=zed.pk).update(visibility=Visibility.PUBLIC)
    page_routes.changed()  # update() skips the save signal that reloads the routes
    publish_all(targets=[bucket, directory])
    assert "site/p/zed/index.html" in _bucket_objects(bucket)
    assert (directory.current / "p" / "zed" / "index.html").is_file()

    services.page_update(zed, visibility=Visibility.PRIVATE, actor=operator)
    reports = publish_all(targets=[bucket, directory])

    assert reports[2].documents == 0
    assert all(o.deleted for o in reports[2].outcomes)
    # What is left of it is the manifest that says so (the name was public before).
    left = _bucket_objects(bucket)
    assert [n for n in left if n.startswith("site/p/zed/")] == [f"site/p/zed/{MANIFEST}"]
    _assert_private_nowhere({n: b for n, b in left.items() if not n.startswith("site/p/zed/")})
    assert WORDS["zed"] not in left[f"site/p/zed/{MANIFEST}"]
    files = [p for p in (directory.current / "p" / "zed").rglob("*") if p.is_file()]
    assert [p.name for p in files] == [MANIFEST]


def test_directory_target_serves_every_page_from_current(pages, directory, operator):
    publish_all(targets=[directory])

    current = directory.current
    assert WORDS["main"] in (current / "index.html").read_bytes()
    bee = current / "p" / "bee" / "index.html"
    assert WORDS["bee"] in bee.read_bytes()
    assert not (current / "p" / "zed").exists()
    assert not (directory.root / "pages" / "zed").exists()
    for path in directory.root.rglob("*"):
        if path.is_file():
            assert WORDS["zed"] not in path.read_bytes(), path
    # Page bee switches on its own: a change there leaves the root's generation as it was.
    root_generation = current.resolve()
    services.page_update(pages["bee"], name="Bee page renamed", actor=operator)
    publish_site(page=pages["bee"], targets=[directory])
    assert current.resolve() == root_generation
    assert b"Bee page renamed" in (current / "p" / "bee" / "index.html").read_bytes()


def test_a_page_with_its_own_target_is_published_there_at_the_root(pages, tmp_path, settings):
    bee = pages["bee"]
    PageHost.objects.create(page=bee, host="status.bee.test")
    Page.objects.filter(pk=bee.pk).update(url="https://status.bee.test")
    page_routes.forget()
    own = parse_target(f"file://{tmp_path / 'bee'}?page=bee")
    zed_own = parse_target(f"file://{tmp_path / 'zed'}?page=zed")

    with time_machine.travel(timezone.now(), tick=False):
        reports = publish_all(targets=[own, zed_own])
        origin = Client().get("/", HTTP_HOST="status.bee.test", secure=True)

    # Only page bee, at the root, rendered at its own host: links without the prefix.
    assert [bool(r.version) for r in reports] == [False, True, True]
    front = (own.current / "index.html").read_bytes()
    assert WORDS["bee"] in front and WORDS["main"] not in front
    assert b'href="/history"' in front and b"/p/bee/" not in front
    assert front == origin.content
    # The private page's own target is never created.
    assert not (tmp_path / "zed").exists()
