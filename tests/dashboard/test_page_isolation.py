"""An operator working on page A never reaches page B from the dashboard. Every dashboard URL
name, enumerated from the URLconf (a view added later fails the sweep until it is listed
here), is called with GET and POST naming page B's objects: 404, never B's data, and nothing
written. Every list on page A shows none of B's names. Two personas: an admin of page A only,
and an install-wide admin (who may switch to B) while the session works on A."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import URLPattern, get_resolver, reverse

from incidents.models import Audience, AuditEntry, Component, Incident, IncidentTemplate, Page
from incidents.services import Actor
from notifications.models import Delivery, Subscriber
from statuspage.access.models import Membership, PageMembership, Role
from statuspage.access.services import api_key_create
from statuspage.automation.models import AlertRoute
from statuspage.dashboard.permissions import PAGE_SESSION_KEY
from statuspage.monitors.models import Monitor
from statuspage.readers.models import FeedSecret
from statuspage.upstream.models import Provider
from tests.dashboard_objects import dashboard_objects, url_kwargs

pytestmark = pytest.mark.django_db

SECRET = "bsecret"  # in every name on page B: it must never appear in an answer on page A


# Names whose arguments name no page's object: the install's users and keys (their views need
# an install-wide role, test_install_wide_views_refuse_an_admin_of_one_page) and the password
# reset link.
NOT_PAGE_OBJECTS = {
    "dashboard-operator-role",
    "dashboard-apikey-revoke",
    "dashboard-password-reset-confirm",
}


def _dashboard_patterns() -> list[URLPattern]:
    dashboard = next(p for p in get_resolver().url_patterns if str(p.pattern) == "dashboard/")
    return [p for p in dashboard.url_patterns if isinstance(p, URLPattern)]


def _with_arguments() -> set[str]:
    return {p.name for p in _dashboard_patterns() if p.pattern.regex.groupindex}


def _without_arguments() -> set[str]:
    return {p.name for p in _dashboard_patterns() if not p.pattern.regex.groupindex}


@pytest.fixture
def pages(page):
    page_b = Page.objects.create(name=f"{SECRET} page", slug="b", time_zone="Etc/UTC")
    a = dashboard_objects(page, "alpha")
    b = dashboard_objects(page_b, SECRET)
    return page, page_b, a, b


def _client(user, page_id: int | None = None) -> Client:
    client = Client()
    client.force_login(user)
    if page_id is not None:
        session = client.session
        session[PAGE_SESSION_KEY] = page_id
        session.save()
    return client


@pytest.fixture
def admin_of_a(pages):
    """An admin of page A only: no install-wide role."""
    user = get_user_model().objects.create_user("anna", "anna@example.com", "pw")
    PageMembership.objects.create(user=user, page=pages[0], role=Role.ADMIN)
    return _client(user)


@pytest.fixture
def install_admin_on_a(pages):
    """An install-wide admin (an owner: admin on every page), working on page A."""
    user = get_user_model().objects.create_user("olga", "olga@example.com", "pw")
    Membership.objects.create(user=user, role=Role.ADMIN, owner=True)
    return _client(user, pages[0].pk)


def _written() -> tuple:
    return (
        AuditEntry.objects.count(),
        sorted(Component.objects.values_list("name", "status", "page_id", "group_id")),
        sorted(Incident.objects.values_list("name", "status", "page_id")),
        sorted(Subscriber.objects.values_list("address", "state", "page_id")),
        sorted(IncidentTemplate.objects.values_list("name", "page_id")),
        sorted(Monitor.objects.values_list("name", "heartbeat_token")),
        sorted(AlertRoute.objects.values_list("name", "position")),
        sorted(Provider.objects.values_list("name", "enabled")),
        Delivery.objects.filter(state="pending").count(),
        FeedSecret.objects.filter(revoked_at__isnull=True).count(),
        sorted(Audience.objects.values_list("name", "page_id")),
    )


# A body the write views would act on if they got that far.
BODY = {
    "name": "x",
    "status": "resolved",
    "body": "x",
    "title": "x",
    "component_status": "major_outage",
    "confirmed": "1",
    "scheduled_for": "2030-01-01T10:00",
    "scheduled_until": "2030-01-01T11:00",
}


@pytest.mark.parametrize("persona", ["admin_of_a", "install_admin_on_a"])
def test_every_url_naming_page_b_s_objects_is_404(pages, persona, request):
    client = request.getfixturevalue(persona)
    _, _, _, b = pages
    table = url_kwargs(b)
    assert _with_arguments() - NOT_PAGE_OBJECTS == set(table), "list the new URL here"
    before = _written()
    swept = 0
    for name, variants in table.items():
        for kwargs in variants:
            url = reverse(name, kwargs=kwargs)
            for method in ("get", "post"):
                response = getattr(client, method)(url, BODY if method == "post" else None)
                where = f"{method.upper()} {url}"
                # 405: the view takes no such method, the same answer for every object.
                assert response.status_code in (404, 405), (where, response.status_code)
                assert SECRET not in response.content.decode(), where
                swept += 1
    assert swept > 70
    assert _written() == before


def _text(response) -> str:
    if response.streaming:
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


def _main(response) -> str:
    html = _text(response)
    if "<main" not in html:
        return html  # CSV, JSON
    return re.split(r"<main\b[^>]*>", html, maxsplit=1)[1].split("</main>", 1)[0]


@pytest.mark.parametrize("persona", ["admin_of_a", "install_admin_on_a"])
def test_lists_on_page_a_show_none_of_page_b(pages, persona, request):
    """Every view without arguments, read on page A: A's names, never B's. (The install-wide
    admin's page switcher in the header names page B, which they may switch to: <main> only.)"""
    client = request.getfixturevalue(persona)
    seen_alpha = 0
    for name in sorted(_without_arguments()):
        url = reverse(name)
        response = client.get(url)
        if response.status_code in (302, 405):
            continue  # sign-in pages, and views that only take a POST
        assert response.status_code in (200, 400, 403), (url, response.status_code)
        text = _text(response) if persona == "admin_of_a" else _main(response)
        assert SECRET not in text, url
        seen_alpha += "alpha" in text
    # The lists do show page A's objects (the sweep did not read empty pages).
    assert seen_alpha >= 10


@pytest.mark.parametrize("persona", ["admin_of_a", "install_admin_on_a"])
def test_query_string_lookups_of_page_b_are_404(pages, persona, request):
    client = request.getfixturevalue(persona)
    _, _, _, b = pages
    asks = [
        f"{reverse('dashboard-status-preview')}?incident={b['incident']}",
        f"{reverse('dashboard-reach')}?kind=incident.updated&incident={b['incident']}",
        f"{reverse('dashboard-incident-new')}?template={b['template']}",
    ]
    for url in asks:
        response = client.get(url)
        assert response.status_code == 404, url
        assert SECRET not in response.content.decode(), url
    # B's components are not among A's choices: the reach figures refuse them.
    response = client.get(
        reverse("dashboard-reach"), {"kind": "incident.created", "components": b["component"]}
    )
    assert response.status_code == 400


def test_forms_on_page_a_refuse_page_b_s_components(pages, admin_of_a):
    _, _, _, b = pages
    before = _written()
    posts = {
        "dashboard-component-new": {"name": "x", "group": b["group"]},
        "dashboard-template-new": {**BODY, "components": [b["component"]]},
        "dashboard-maintenance-new": {**BODY, "components": [b["component"]]},
        "dashboard-alert-route-new": {"name": "x", "components": [b["component"]]},
        "dashboard-subscriber-new": {
            "channel": "email",
            "address": "new@example.test",
            "components": [b["component"]],
        },
    }
    for name, body in posts.items():
        response = admin_of_a.post(reverse(name), body)
        assert response.status_code == 400, name
    assert _written() == before


def test_switching_pages_changes_what_every_list_shows(pages, install_admin_on_a):
    page_a, page_b, _, _ = pages
    client = install_admin_on_a
    assert "alpha component" in client.get(reverse("dashboard-component-list")).content.decode()
    response = client.post(reverse("dashboard-page-switch"), {"page": page_b.public_id})
    assert response.status_code == 302
    html = client.get(reverse("dashboard-component-list")).content.decode()
    assert f"{SECRET} component" in html
    assert "alpha component" not in html
    assert client.session[PAGE_SESSION_KEY] == page_b.pk


def test_the_switcher_offers_only_pages_with_a_role_and_refuses_others(pages, admin_of_a):
    page_a, page_b, _, _ = pages
    html = admin_of_a.get(reverse("dashboard-overview")).content.decode()
    assert SECRET not in html  # B is not offered
    response = admin_of_a.post(reverse("dashboard-page-switch"), {"page": page_b.public_id})
    assert response.status_code == 404
    assert PAGE_SESSION_KEY not in admin_of_a.session


def test_a_page_the_operator_lost_falls_back_to_their_first_page(pages, django_user_model):
    page_a, page_b, _, _ = pages
    user = django_user_model.objects.create_user("bea", "bea@example.com", "pw")
    PageMembership.objects.create(user=user, page=page_a, role=Role.VIEWER)
    client = _client(user, page_b.pk)  # chosen while they were on B, say
    html = client.get(reverse("dashboard-component-list")).content.decode()
    assert "alpha component" in html
    assert SECRET not in html


def test_the_role_checked_is_the_role_on_the_page_worked_on(pages, django_user_model):
    """Admin on A, viewer on B: admin views open on A, refuse on B."""
    page_a, page_b, _, _ = pages
    user = django_user_model.objects.create_user("cy", "cy@example.com", "pw")
    PageMembership.objects.create(user=user, page=page_a, role=Role.ADMIN)
    PageMembership.objects.create(user=user, page=page_b, role=Role.VIEWER)
    on_a = _client(user, page_a.pk)
    assert on_a.get(reverse("dashboard-component-new")).status_code == 200
    on_b = _client(user, page_b.pk)
    assert on_b.get(reverse("dashboard-component-new")).status_code == 403
    assert on_b.get(reverse("dashboard-component-list")).status_code == 200


def test_install_wide_views_refuse_an_admin_of_one_page(pages, admin_of_a, django_user_model):
    """Operators and API keys belong to no page: an admin of one page may not change them."""
    other = django_user_model.objects.create_user("dan", "dan@example.com", "pw")
    for url in (
        reverse("dashboard-operators"),
        reverse("dashboard-operator-role", args=[other.pk]),
        reverse("dashboard-apikey-list"),
    ):
        assert admin_of_a.post(url, {"role": "admin"}).status_code == 403, url
    assert not Membership.objects.filter(user=other).exists()


def test_new_objects_land_on_the_page_worked_on(pages, install_admin_on_a):
    page_a, page_b, _, _ = pages
    client = install_admin_on_a
    client.post(reverse("dashboard-page-switch"), {"page": page_b.public_id})
    client.post(reverse("dashboard-component-new"), {"name": "made on b"})
    client.post(
        reverse("dashboard-subscriber-new"),
        {"channel": "email", "address": "new@example.test", "skip_confirmation": "on"},
    )
    assert Component.objects.get(name="made on b").page_id == page_b.pk
    assert Subscriber.objects.get(address="new@example.test").page_id == page_b.pk


def test_only_owners_create_pages(pages, admin_of_a, install_admin_on_a):
    body = {"name": "Shop", "slug": "shop", "hosts": "status.shop.example"}
    assert admin_of_a.post(reverse("dashboard-page-new"), body).status_code == 403
    assert not Page.objects.filter(slug="shop").exists()
    response = install_admin_on_a.post(reverse("dashboard-page-new"), body)
    assert response.status_code == 302
    shop = Page.objects.get(slug="shop")
    assert list(shop.hosts.values_list("host", flat=True)) == ["status.shop.example"]
    assert install_admin_on_a.session[PAGE_SESSION_KEY] == shop.pk
    # A taken slug is a form error, not a second page.
    again = install_admin_on_a.post(reverse("dashboard-page-new"), {**body, "hosts": ""})
    assert again.status_code == 400
    assert Page.objects.filter(slug="shop").count() == 1


def test_audit_entries_of_no_page_are_for_install_wide_operators_only(
    pages, admin_of_a, install_admin_on_a, django_user_model
):
    """An API key belongs to no page: its audit entry names it, and an admin of one page
    does not see it (the overview's recent entries and the audit log alike)."""
    owner = django_user_model.objects.create_user("kim", "kim@example.com", "pw")
    Membership.objects.create(user=owner, role=Role.ADMIN)
    api_key_create(
        actor=Actor(label="t", via="test"), owner=owner, name="nopage key", scopes=["read"]
    )
    for url in (reverse("dashboard-audit"), reverse("dashboard-overview")):
        assert "nopage key" not in admin_of_a.get(url).content.decode(), url
        assert "nopage key" in install_admin_on_a.get(url).content.decode(), url


def test_the_public_page_link_leads_to_the_page_worked_on(pages, install_admin_on_a):
    page_a, page_b, _, _ = pages
    client = install_admin_on_a
    html = client.get(reverse("dashboard-overview")).content.decode()
    assert f'<a href="{page_a.url}">Public page</a>' in html
    client.post(reverse("dashboard-page-switch"), {"page": page_b.public_id})
    html = client.get(reverse("dashboard-overview")).content.decode()
    assert '<a href="/p/b/">Public page</a>' in html
