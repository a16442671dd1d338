"""The subscriber pages as pages: channel-specific fields, grouped components with "select
group", errors tied to their field, and a styled 503 (never a 500) without a database."""

from __future__ import annotations

import pytest
from django.db import OperationalError, connections
from django.test import Client
from django.utils import timezone

from incidents import services
from notifications import links
from notifications.models import Channel, Subscriber, SubscriberState

pytestmark = pytest.mark.django_db


@pytest.fixture
def grouped(page, operator, make_component):
    core = services.component_group_create(name="Core", actor=operator)
    api = make_component("API", group=core)
    db = make_component("Database", group=core)
    web = make_component("Website")
    return {"core": core, "api": api, "db": db, "web": web}


def _post(client, **data):
    return client.post("/subscribe", data, REMOTE_ADDR="203.0.113.7")


def test_each_channel_has_its_own_field_with_the_right_type(client, grouped):
    html = client.get("/subscribe").content.decode()
    assert 'type="email" id="f-address_email" name="address_email" autocomplete="email"' in html
    assert 'type="tel" id="f-address_sms" name="address_sms" autocomplete="tel"' in html
    assert 'type="url" id="f-address_webhook" name="address_webhook"' in html
    assert 'type="email" id="f-contact_email" name="contact_email" autocomplete="email"' in html
    # The contact email belongs to the webhook's fields only.
    webhook = html[html.index('data-channel="webhook"') : html.index('data-channel="slack"')]
    assert 'name="contact_email"' in webhook
    assert html.count('name="contact_email"') == 1
    assert "Email address, phone number" not in html


def test_components_are_listed_under_their_group_with_select_group(client, grouped):
    html = client.get("/subscribe").content.decode()
    group = html[html.index('class="group-choice"') :]
    group = group[: group.index("</div>\n  </div>")]
    assert f'name="groups" value="{grouped["core"].id}"' in group
    assert "Core" in group and "(select group)" in group
    assert "API" in group and "Database" in group and "Website" not in group
    assert f'name="components" value="{grouped["web"].id}"' in html


def test_choosing_a_group_subscribes_to_its_components(client, grouped):
    response = _post(
        client,
        channel="email",
        address_email="ann@example.test",
        groups=[grouped["core"].id],
        components=[grouped["api"].id],  # ticked as well: counted once
    )
    assert response.status_code == 200
    sub = Subscriber.objects.get()
    assert set(sub.components.all()) == {grouped["api"], grouped["db"]}


def test_unknown_group_is_a_400_on_the_form(client, grouped):
    response = _post(client, channel="email", address_email="ann@example.test", groups=[999999])
    assert response.status_code == 400
    assert "Choose components from the list." in response.content.decode()
    assert not Subscriber.objects.exists()


def test_the_chosen_channels_field_is_used_and_the_others_ignored(client, grouped):
    response = _post(
        client,
        channel="sms",
        address_email="ann@example.test",
        address_sms="not a number",
    )
    assert response.status_code == 400
    html = response.content.decode()
    # The error sits on the phone field, which keeps what was typed.
    field = html[html.index('id="f-address_sms"') :]
    field = field[: field.index(">")]
    assert 'aria-invalid="true"' in field and 'value="not a number"' in field
    assert 'class="alert" role="alert"' in html


def test_webhook_contact_error_is_on_the_contact_field(client, grouped):
    response = _post(
        client, channel="webhook", address_webhook="https://hooks.example.com/x", contact_email=""
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="err-contact_email"' in html
    assert 'value="https://hooks.example.com/x"' in html


def test_subscriber_pages_wear_the_site_frame(client, grouped):
    sub = Subscriber.objects.create(
        channel=Channel.EMAIL,
        address="ann@example.test",
        state=SubscriberState.ACTIVE,
        confirmed_at=timezone.now(),
    )
    paths = [
        "/subscribe",
        links.confirm_url(sub).split("/", 3)[3],
        links.manage_url(sub).split("/", 3)[3],
        links.unsubscribe_url(sub).split("/", 3)[3],
    ]
    for path in paths:
        html = client.get("/" + path.lstrip("/")).content.decode()
        assert '<link rel="stylesheet" href="/static/public/status.css">' in html, path
        assert '<header class="site">' in html and '<footer class="site">' in html, path
        assert "<style>" not in html, path  # nothing inline besides operator branding


def test_manage_page_groups_components_and_keeps_the_choice(client, grouped):
    sub = Subscriber.objects.create(
        channel=Channel.EMAIL,
        address="ann@example.test",
        state=SubscriberState.ACTIVE,
        confirmed_at=timezone.now(),
    )
    path = "/" + links.manage_url(sub).split("/", 3)[3]
    response = client.post(path, {"groups": [grouped["core"].id]})
    assert response.status_code == 200
    assert set(sub.components.all()) == {grouped["api"], grouped["db"]}
    html = response.content.decode()
    assert f'name="components" value="{grouped["api"].id}" checked' in html
    assert f'name="components" value="{grouped["web"].id}">' in html


@pytest.fixture
def database_down(monkeypatch):
    def refuse(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(connections["default"], "ensure_connection", refuse)
    yield
    monkeypatch.undo()


@pytest.mark.parametrize("debug", [False, True], ids=["production", "make-run-debug"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_without_a_database_the_form_is_a_styled_503_with_retry_after(
    page, database_down, method, debug, settings
):
    settings.DEBUG = debug  # make run's DEBUG would otherwise answer Django's 500 page
    client = Client(raise_request_exception=False)
    data = {"channel": "email", "address_email": "ann@example.test"}
    response = getattr(client, method)("/subscribe", data if method == "post" else None)
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert response["Cache-Control"] == "no-store"
    html = response.content.decode()
    assert '<link rel="stylesheet" href="/static/public/status.css">' in html
    assert "try again in 30 seconds" in html
    assert "Traceback" not in html


def test_without_a_database_the_manage_link_is_a_503_too(page, database_down):
    response = Client(raise_request_exception=False).get("/manage/whatever")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
