"""Every dashboard view enforces its role: viewers read everything (settings, operators, API
key prefixes, automation and imports too), responders run incidents and maintenance, admins
change components, groups, settings, operators, keys, routes and subscribers. Reading and
writing the same URL are separate rows. Anonymous visitors are sent to sign in; signed-in users
without a role get 403."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import URLPattern, get_resolver, resolve

from statuspage.access.models import Membership

VIEWER, RESPONDER, ADMIN = "viewer", "responder", "admin"
# Owners (install-wide, beyond admin): only they create pages.
OWNER = "owner"
RANK = {VIEWER: 0, RESPONDER: 1, ADMIN: 2, OWNER: 3}


def cases(w):
    """(method, path, minimum role) for every dashboard view; a page viewers may read but only
    admins change has a "get" row and a "post" row."""
    inc, mnt = w["incident"], w["maintenance"]
    return [
        ("get", "/dashboard/", VIEWER),
        ("get", "/dashboard/incidents/", VIEWER),
        ("get", f"/dashboard/incidents/{inc}/", VIEWER),
        ("get", "/dashboard/maintenance/", VIEWER),
        ("get", f"/dashboard/maintenance/{mnt}/", VIEWER),
        ("get", "/dashboard/components/", VIEWER),
        ("get", "/dashboard/audit/", VIEWER),
        ("post", "/dashboard/pages/switch/", VIEWER),
        ("get", "/dashboard/pages/new/", OWNER),
        ("post", "/dashboard/pages/new/", OWNER),
        ("get", "/dashboard/2fa/setup/", VIEWER),
        ("post", "/dashboard/preview/", VIEWER),
        ("get", "/dashboard/preview/status/", VIEWER),
        ("post", f"/dashboard/components/{w['component']}/status/", RESPONDER),
        ("post", f"/dashboard/components/{w['component']}/maintenance/end/", RESPONDER),
        ("get", "/dashboard/incidents/new/", RESPONDER),
        ("post", "/dashboard/incidents/new/", RESPONDER),
        ("post", f"/dashboard/incidents/{inc}/update/", RESPONDER),
        ("post", f"/dashboard/incidents/{inc}/resolve/", RESPONDER),
        ("post", f"/dashboard/incidents/{inc}/reopen/", RESPONDER),
        ("get", f"/dashboard/incidents/updates/{w['update']}/edit/", RESPONDER),
        ("post", f"/dashboard/incidents/updates/{w['update']}/edit/", RESPONDER),
        ("get", f"/dashboard/incidents/updates/{w['update']}/translate/", RESPONDER),
        ("post", f"/dashboard/incidents/updates/{w['update']}/translate/", RESPONDER),
        ("get", "/dashboard/settings/notifications/", ADMIN),
        ("post", "/dashboard/settings/notifications/", ADMIN),
        ("get", "/dashboard/settings/sign-in/", ADMIN),
        ("post", "/dashboard/settings/sign-in/", ADMIN),
        ("get", "/dashboard/settings/readers/", ADMIN),
        ("post", "/dashboard/settings/readers/", ADMIN),
        ("post", "/dashboard/settings/readers/sign-out/", ADMIN),
        ("post", f"/dashboard/settings/readers/feeds/{w['feed_secret']}/revoke/", ADMIN),
        ("post", f"/dashboard/incidents/{inc}/postmortem/", RESPONDER),
        ("post", f"/dashboard/incidents/{inc}/postmortem/preview/", RESPONDER),
        ("get", f"/dashboard/incidents/{inc}/postmortem/preview/email/", RESPONDER),
        ("get", "/dashboard/maintenance/new/", RESPONDER),
        ("post", "/dashboard/maintenance/new/", RESPONDER),
        ("post", f"/dashboard/maintenance/{mnt}/reschedule/", RESPONDER),
        ("post", f"/dashboard/maintenance/{mnt}/cancel/", RESPONDER),
        ("get", f"/dashboard/maintenance/updates/{w['maintenance_update']}/translate/", RESPONDER),
        ("post", f"/dashboard/maintenance/updates/{w['maintenance_update']}/translate/", RESPONDER),
        ("get", "/dashboard/components/new/", ADMIN),
        ("post", "/dashboard/components/new/", ADMIN),
        ("get", f"/dashboard/components/{w['component']}/edit/", ADMIN),
        ("post", f"/dashboard/components/{w['component']}/edit/", ADMIN),
        ("get", "/dashboard/groups/new/", ADMIN),
        ("post", f"/dashboard/groups/{w['group']}/edit/", ADMIN),
        ("post", f"/dashboard/order/component/{w['component']}/up/", ADMIN),
        ("get", "/dashboard/templates/", VIEWER),
        ("get", "/dashboard/templates/new/", ADMIN),
        ("post", "/dashboard/templates/new/", ADMIN),
        ("get", f"/dashboard/templates/{w['template']}/edit/", ADMIN),
        ("post", f"/dashboard/templates/{w['template']}/delete/", ADMIN),
        ("get", "/dashboard/audiences/", VIEWER),
        ("get", "/dashboard/audiences/new/", ADMIN),
        ("post", "/dashboard/audiences/new/", ADMIN),
        ("get", f"/dashboard/audiences/{w['audience']}/edit/", ADMIN),
        ("post", f"/dashboard/audiences/{w['audience']}/edit/", ADMIN),
        ("post", f"/dashboard/audiences/{w['audience']}/delete/", ADMIN),
        ("get", "/dashboard/settings/", VIEWER),
        ("post", "/dashboard/settings/", ADMIN),
        # The preview shows unsaved values: admins only, even to read.
        ("get", "/dashboard/settings/preview/", ADMIN),
        ("post", "/dashboard/settings/preview/", ADMIN),
        ("get", "/dashboard/settings/preview.css", ADMIN),
        ("get", "/dashboard/operators/", VIEWER),
        ("post", "/dashboard/operators/", ADMIN),
        ("post", f"/dashboard/operators/{w['user']}/role/", ADMIN),
        ("get", "/dashboard/subscribers/", VIEWER),
        ("get", "/dashboard/subscribers/export.csv", VIEWER),
        ("get", "/dashboard/deliveries/", VIEWER),
        ("get", f"/dashboard/deliveries/{w['delivery']}/", VIEWER),
        ("get", "/dashboard/reach/", VIEWER),
        ("get", "/dashboard/subscribers/new/", ADMIN),
        ("post", "/dashboard/subscribers/new/", ADMIN),
        ("get", "/dashboard/subscribers/import/", VIEWER),
        ("post", "/dashboard/subscribers/import/", ADMIN),
        ("get", f"/dashboard/subscribers/import/{w['import']}/", VIEWER),
        ("get", f"/dashboard/subscribers/{w['subscriber']}/remove/", ADMIN),
        ("post", f"/dashboard/subscribers/{w['subscriber']}/remove/", ADMIN),
        ("get", f"/dashboard/subscribers/{w['subscriber']}/audience/", ADMIN),
        ("post", f"/dashboard/subscribers/{w['subscriber']}/audience/", ADMIN),
        ("post", f"/dashboard/subscribers/{w['subscriber']}/resend/", ADMIN),
        ("post", "/dashboard/deliveries/replay/", ADMIN),
        ("get", "/dashboard/automation/", VIEWER),
        ("get", "/dashboard/automation/routes/new/", ADMIN),
        ("post", "/dashboard/automation/routes/new/", ADMIN),
        ("get", f"/dashboard/automation/routes/{w['alert_route']}/edit/", ADMIN),
        ("post", f"/dashboard/automation/routes/{w['alert_route']}/up/", ADMIN),
        ("post", f"/dashboard/automation/routes/{w['alert_route']}/delete/", ADMIN),
        ("get", "/dashboard/uptime-report/", VIEWER),
        ("get", "/dashboard/uptime-report/print/", VIEWER),
        ("get", "/dashboard/uptime-report.csv", VIEWER),
        ("get", "/dashboard/monitors/", VIEWER),
        ("get", f"/dashboard/monitors/{w['monitor']}/", VIEWER),
        ("get", "/dashboard/monitors/new/", ADMIN),
        ("post", "/dashboard/monitors/new/", ADMIN),
        ("get", f"/dashboard/monitors/{w['monitor']}/edit/", ADMIN),
        ("post", f"/dashboard/monitors/{w['monitor']}/edit/", ADMIN),
        ("post", f"/dashboard/monitors/{w['monitor']}/token/", ADMIN),
        ("post", f"/dashboard/monitors/{w['monitor']}/delete/", ADMIN),
        ("get", "/dashboard/api-keys/", VIEWER),
        ("post", "/dashboard/api-keys/", ADMIN),
        ("get", "/dashboard/api-keys/created/", ADMIN),
        ("post", f"/dashboard/api-keys/{w['apikey']}/revoke/", ADMIN),
        ("get", "/dashboard/upstream/", VIEWER),
        ("post", "/dashboard/upstream/", ADMIN),
        ("get", f"/dashboard/upstream/{w['provider']}/", VIEWER),
        ("post", f"/dashboard/upstream/{w['provider']}/", ADMIN),
        ("post", f"/dashboard/upstream/{w['provider']}/poll/", ADMIN),
        ("post", f"/dashboard/upstream/{w['provider']}/delete/", ADMIN),
    ]


@pytest.mark.parametrize("role", [VIEWER, RESPONDER, ADMIN])
def test_each_role_reaches_exactly_the_views_of_its_rank(
    role, world, viewer_client, responder_client, admin_client
):
    client = {VIEWER: viewer_client, RESPONDER: responder_client, ADMIN: admin_client}[role]
    for method, path, needed in cases(world):
        response = getattr(client, method)(path)
        if RANK[role] >= RANK[needed]:
            assert response.status_code in (200, 302, 400), (role, method, path)
        else:
            assert response.status_code == 403, (role, method, path)


READ_ONLY_FOR_OTHERS = [
    "/dashboard/settings/",
    "/dashboard/operators/",
    "/dashboard/api-keys/",
    "/dashboard/automation/",
    "/dashboard/subscribers/import/",
    "/dashboard/upstream/",
]


def _main(html: str) -> str:
    return re.split(r"<main\b[^>]*>", html, maxsplit=1)[1].split("</main>", 1)[0]


def _write_controls(html: str) -> list[str]:
    """Submit buttons, and form fields one could type into, inside <main>."""
    main = _main(html)
    controls = re.findall(r"<button\b[^>]*>", main)
    fields = re.findall(r"<(?:input|select|textarea)\b[^>]*>", main)
    controls += [f for f in fields if 'type="hidden"' not in f and " disabled" not in f]
    return controls


@pytest.mark.parametrize("role", [VIEWER, RESPONDER])
def test_viewers_and_responders_read_admin_pages_without_write_controls(
    role, world, viewer_client, responder_client
):
    client = {VIEWER: viewer_client, RESPONDER: responder_client}[role]
    paths = [
        *READ_ONLY_FOR_OTHERS,
        f"/dashboard/subscribers/import/{world['import']}/",
        f"/dashboard/upstream/{world['provider']}/",
    ]
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, path
        assert _write_controls(response.content.decode()) == [], path


def test_admins_get_the_write_controls_on_the_same_pages(world, admin_client):
    for path in READ_ONLY_FOR_OTHERS:
        assert _write_controls(admin_client.get(path).content.decode()) != [], path


def test_viewers_see_the_page_settings_values_in_disabled_fields(world, viewer_client, page):
    html = viewer_client.get("/dashboard/settings/").content.decode()
    assert f'value="{page.name}"' in html
    assert re.search(r'<input[^>]*name="name"[^>]*disabled', html)
    assert "Read only" in html


def test_read_only_pages_still_refuse_viewer_posts_and_change_nothing(world, viewer_client, page):
    name = page.name
    response = viewer_client.post("/dashboard/settings/", {"name": "Taken over"})
    assert response.status_code == 403
    assert "needs the <strong>admin</strong> role" in response.content.decode()
    page.refresh_from_db()
    assert page.name == name


def test_viewer_cannot_change_a_component_status(world, viewer_client, api):
    response = viewer_client.post(
        f"/dashboard/components/{api.pk}/status/", {"status": "operational"}
    )
    assert response.status_code == 403
    api.refresh_from_db()
    assert api.status == "major_outage"


def test_403_page_names_the_missing_role(world, viewer_client):
    response = viewer_client.get("/dashboard/incidents/new/")
    assert response.status_code == 403
    assert "needs the <strong>responder</strong> role" in response.content.decode()


def test_user_without_a_role_gets_403_everywhere(world, outsider):
    client = Client()
    client.force_login(outsider)
    for method, path, _ in cases(world):
        assert getattr(client, method)(path).status_code == 403, path


def test_anonymous_visitor_is_sent_to_login_from_every_view(world, anon_client):
    for method, path, _ in cases(world):
        response = getattr(anon_client, method)(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/dashboard/login/")


def test_superuser_is_an_admin_without_a_membership(world, page, django_user_model):
    boss = django_user_model.objects.create_superuser("boss", "b@example.com", "pw-long-enough-1")
    client = Client()
    client.force_login(boss)
    assert client.get("/dashboard/components/new/").status_code == 200


def test_owners_reach_every_view(world, admin_user):
    Membership.objects.filter(user=admin_user).update(owner=True)
    client = Client()
    client.force_login(admin_user)
    for method, path, _ in cases(world):
        response = getattr(client, method)(path)
        assert response.status_code in (200, 302, 400), (method, path)


def _dashboard_patterns():
    dashboard = next(p for p in get_resolver().url_patterns if str(p.pattern) == "dashboard/")
    return [p for p in dashboard.url_patterns if isinstance(p, URLPattern)]


# Sign-in and password reset are open by nature; verify and recovery codes are in test_twofactor.
NOT_IN_TABLE = {
    "dashboard-login",
    "dashboard-logout",
    "dashboard-password-reset",
    "dashboard-password-reset-done",
    "dashboard-password-reset-confirm",
    "dashboard-password-reset-complete",
    "dashboard-2fa-verify",
    "dashboard-2fa-recovery-codes",
}


def test_every_dashboard_url_is_in_the_role_table(world):
    """A new view must be added to cases() above, so its role is tested."""
    covered = {resolve(path).url_name for _, path, _ in cases(world)}
    names = {p.name for p in _dashboard_patterns()}
    assert names - NOT_IN_TABLE - covered == set()


def test_every_non_auth_view_is_wrapped_in_operator_required():
    for pattern in _dashboard_patterns():
        if pattern.name.startswith(("dashboard-login", "dashboard-logout", "dashboard-password")):
            continue
        assert hasattr(pattern.callback, "dashboard_role"), pattern.name


GARBAGE = [
    {},
    {
        "name": "a" * 5000,
        "title": "{{",
        "body": "nul \x00 byte",
        "status": "exploded",
        "impact_override": "maintenance",
        "scheduled_for": "soon",
        "scheduled_until": "2030-02-30T25:61",
        "components": ["abc", "-1"],
        "remind_before_minutes": "-5",
        "role": "emperor",
        "start_date": "2020-02-30",
        "group": "nope",
        "time_zone": "Mars/Olympus",
        "url": "javascript:alert(1)",
        "partial_outage_weight": "NaN",
        "uptime_thresholds": "a,b",
        "username": "bad name!",
        "email": "not-an-email",
        "token": "x" * 100,
        "notify": "maybe",
    },
]


@pytest.mark.parametrize("payload", GARBAGE, ids=["empty", "garbage"])
def test_garbage_posts_never_cause_a_server_error(world, admin_client, payload):
    for method, path, _ in cases(world):
        if method == "post":
            response = admin_client.post(path, payload)
            assert response.status_code < 500, path
