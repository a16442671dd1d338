"""The public URL is right out of the box: while no operator has set one, links follow the
address the site is reached at (the request's origin, else `PORT`), so `PORT=18300 make run`
sends confirmation links that work. A URL the operator sets always wins."""

from __future__ import annotations

import importlib
import re

import pytest
from django.test import override_settings

from incidents.models import Page
from incidents.origin import request_origin
from notifications import links
from notifications.models import Subscriber

pytestmark = pytest.mark.django_db


@pytest.fixture
def unset(page):
    Page.objects.update(url="")
    page.refresh_from_db()
    return page


def test_migration_clears_the_port_8000_placeholder_and_keeps_a_chosen_url(page):
    from django.apps import apps

    migration = importlib.import_module("incidents.migrations.0008_page_url_optional")
    Page.objects.update(url="http://127.0.0.1:8000")
    migration.clear_placeholder(apps, None)
    assert Page.objects.get().url == ""
    Page.objects.update(url="https://status.example.com")
    migration.clear_placeholder(apps, None)
    assert Page.objects.get().url == "https://status.example.com"


@override_settings(PUBLIC_URL_DEFAULT="http://127.0.0.1:18300")
def test_outside_a_request_links_use_the_port(unset):
    sub = Subscriber.objects.create(channel="email", address="ann@example.test")
    assert links.manage_url(sub).startswith("http://127.0.0.1:18300/manage/")


def test_inside_a_request_links_use_its_origin(unset):
    sub = Subscriber.objects.create(channel="email", address="ann@example.test")
    token = request_origin.set("http://status.local:18300")
    try:
        assert links.confirm_url(sub).startswith("http://status.local:18300/subscribe/confirm/")
    finally:
        request_origin.reset(token)


def test_a_configured_url_wins_over_the_request(unset):
    Page.objects.update(url="https://status.example.com/")
    sub = Subscriber.objects.create(channel="email", address="ann@example.test")
    token = request_origin.set("http://127.0.0.1:18300")
    try:
        assert links.manage_url(sub).startswith("https://status.example.com/manage/")
    finally:
        request_origin.reset(token)


@override_settings(PUBLIC_URL_DEFAULT="http://127.0.0.1:18300")
def test_confirmation_email_link_works_on_another_port(client, unset, smtp_sink, run_jobs):
    response = run_jobs(
        client.post,
        "/subscribe",
        {"channel": "email", "address_email": "ann@example.test"},
        HTTP_HOST="127.0.0.1:18300",
        REMOTE_ADDR="203.0.113.5",
    )
    assert response.status_code == 200
    [mail] = smtp_sink.messages
    link = re.search(r"http://\S+/subscribe/confirm/\S+", mail.get_content()).group(0)
    assert link.startswith("http://127.0.0.1:18300/subscribe/confirm/")
    # It opens the confirm page on this site.
    assert client.get(link.removeprefix("http://127.0.0.1:18300")).status_code == 200


def test_status_frame_links_to_where_it_was_reached(client, unset, settings):
    settings.ALLOWED_HOSTS = ["status.local"]
    html = client.get("/embed/status", HTTP_HOST="status.local:18300").content.decode()
    assert 'href="http://status.local:18300"' in html
