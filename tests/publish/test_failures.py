"""What stops a publish, and what only skips one target."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import F

from incidents.models import Page
from statuspage.publish import jobs
from statuspage.publish.render import PublishError
from statuspage.publish.services import publish_site
from statuspage.publish.targets import MANIFEST, parse_target


def _bump():
    Page.objects.update(generation=F("generation") + 1)


@pytest.mark.parametrize(("failure", "message"), [("500", "answered 500"), ("stale", "stale")])
def test_a_document_that_cannot_be_rendered_stops_the_publish_and_writes_nothing(
    site, directory, settings, failure, message
):
    first = publish_site(targets=[directory])
    settings.ROOT_URLCONF = "tests.publish.failing_urls"
    settings.PUBLISH_TEST_FAILURE = failure
    _bump()

    with pytest.raises(PublishError, match=message):
        publish_site(targets=[directory])

    assert directory.read_manifest().generation == first.generation
    assert len(list((directory.root / "generations").iterdir())) == 1


def test_one_target_down_does_not_stop_the_others_and_the_job_is_retried(
    site, directory, bucket, settings
):
    missing = parse_target("s3://no-such-bucket/site")
    settings.PUBLISH_TARGETS = [missing.url, directory.url]

    report = publish_site()

    assert [o.target for o in report.outcomes] == [directory.url]
    assert report.errors and report.errors[0].startswith(missing.url)
    assert directory.read_manifest().generation == report.generation
    _bump()
    with pytest.raises(PublishError, match="no-such-bucket"):
        jobs.publish_generation(Page.objects.get().generation)


def test_a_damaged_manifest_means_every_object_is_written_again(site, directory):
    first = publish_site(targets=[directory])
    (directory.current / MANIFEST).write_text("{not json")
    assert directory.read_manifest() is None

    again = publish_site(targets=[directory])

    assert sorted(again.outcomes[0].written) == sorted(first.paths)


def test_a_host_the_app_does_not_answer_for_is_a_clear_error(site, directory, settings):
    Page.objects.update(url="https://status.example.com")

    with pytest.raises(PublishError, match="status.example.com.*ALLOWED_HOSTS"):
        publish_site(targets=[directory])


def test_the_command_says_what_it_did_and_fails_loudly(site, directory, settings, capsys):
    with pytest.raises(CommandError, match="PUBLISH_TARGETS is empty"):
        call_command("publish")
    settings.PUBLISH_TARGETS = [directory.url]
    call_command("publish")
    call_command("publish")
    assert "every target is current" in capsys.readouterr().out

    settings.PUBLISH_TARGETS = ["ftp://nowhere"]
    with pytest.raises(CommandError, match="ftp://nowhere"):
        call_command("publish")
    settings.PUBLISH_TARGETS = ["s3://no-such-bucket", directory.url]
    _bump()
    with pytest.raises(CommandError, match="Some targets were not published"):
        call_command("publish")
    assert "no-such-bucket" in capsys.readouterr().err


def test_links_that_never_end_stop_the_publish(site, directory, monkeypatch):
    from statuspage.publish import render

    monkeypatch.setattr(render, "MAX_DOCUMENTS", 10)

    with pytest.raises(PublishError, match="more than 10 documents"):
        publish_site(targets=[directory])
    assert not directory.current.exists()


def test_a_front_page_that_redirects_stops_the_publish_and_withdraws_nothing(
    site, directory, settings
):
    first = publish_site(targets=[directory])
    settings.SECURE_SSL_REDIRECT = True  # the page's URL is still http://: every answer a 301
    _bump()

    with pytest.raises(PublishError, match="front page answered 301"):
        publish_site(targets=[directory])
    assert directory.read_manifest().objects.keys() == first.paths.keys()


def test_an_https_page_is_rendered_as_served_over_https(site, directory, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    Page.objects.update(url="https://127.0.0.1")

    report = publish_site(targets=[directory])

    assert report.documents > 40
    assert b"https://127.0.0.1/incidents/" in (directory.current / "history.atom").read_bytes()
