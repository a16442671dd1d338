"""PUBLISH_TARGETS: read strictly, and a bad entry stops start-up with its name."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from statuspage.publish.checks import BAD_TARGET, publish_targets
from statuspage.publish.layout import LayoutError, object_key
from statuspage.publish.targets import DirectoryTarget, S3Target, TargetError, parse_target


@pytest.mark.parametrize(
    "url",
    [
        "ftp://host/dir",
        "file://otherhost/srv/status",
        "file:///",
        "file:relative/dir",
        "s3://Bad_Bucket/prefix",
        "s3:///prefix",
        "s3://bucket/a//b",
        "s3://bucket/../up",
        "file:///srv/status?x=1",
        "s3://bucket/site?colour=red",
        "s3://bucket/site?region=a&region=b",
        "s3://bucket/site?endpoint=ftp://host",
        "s3://bucket/site?endpoint=minio:9000",
        "s3://bucket/site?addressing=sideways",
        "s3://bucket/site?credentials=r2-keys",
        "s3://bucket/site?endpoint",
        "/srv/status",
    ],
)
def test_a_bad_target_is_refused_with_its_value_named(url):
    with pytest.raises(TargetError, match="'" + url[:5]):
        parse_target(url)


def test_good_targets_are_read_as_directories_and_buckets():
    directory = parse_target("file:///srv/status")
    assert isinstance(directory, DirectoryTarget) and str(directory.root) == "/srv/status"
    bucket = parse_target("s3://status.example.com/site/v1/")
    assert isinstance(bucket, S3Target)
    assert (bucket.bucket, bucket.name("index.html")) == (
        "status.example.com",
        "site/v1/index.html",
    )
    assert parse_target("s3://status-bucket").name("index.html") == "index.html"


def test_the_system_check_stops_start_up_on_a_bad_target(settings):
    settings.PUBLISH_TARGETS = ["file:///srv/status", "ftp://host/x"]

    errors = publish_targets()

    assert [e.id for e in errors] == [BAD_TARGET]
    assert "ftp://host/x" in errors[0].msg
    with pytest.raises(SystemCheckError, match="ftp://host/x"):
        call_command("check")


def test_good_targets_pass_the_check(settings):
    settings.PUBLISH_TARGETS = ["file:///srv/status", "s3://bucket/prefix"]
    assert publish_targets() == []


@pytest.mark.parametrize(
    ("path", "query", "key"),
    [
        ("/", "", "index.html"),
        ("/history", "", "history/index.html"),
        ("/history", "page=2", "history/index@page=2.html"),
        ("/history", "page=2&from=25", "history/index@page=2&from=25.html"),
        ("/history.atom", "", "history.atom"),
        ("/incidents/abc123def456", "", "incidents/abc123def456/index.html"),
        ("/api/v2/summary.json", "", "api/v2/summary.json"),
        ("/api/v2/incidents.json", "page=2", "api/v2/incidents@page=2.json"),
        ("/embed/status", "theme=dark", "embed/status/index@theme=dark.html"),
        ("/static/public/status.css", "", "static/public/status.css"),
    ],
)
def test_layout_mirrors_the_origins_paths(path, query, key):
    assert object_key(path, query) == key


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("history", ""),
        ("/a/../b", ""),
        ("/history", "q=a/b"),
        ("/history", "q=%2e%2e"),
        ("/x y", ""),
    ],
)
def test_paths_with_no_safe_place_are_refused(path, query):
    with pytest.raises(LayoutError):
        object_key(path, query)
