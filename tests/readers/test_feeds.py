"""Secret feed addresses of a private page: made by a signed-in reader, listed for them, they
serve the feeds and /api/v2 without a session, and stop (404) once revoked by the reader or by
a page admin."""

from __future__ import annotations

import re

import pytest

from incidents.models import AuditEntry
from statuspage.readers import services as reader_services
from statuspage.readers.models import FeedSecret
from tests.dashboard.conftest import admin_client, admin_user
from tests.readers.conftest import PRIVATE_HOST, leaks, sign_in

__all__ = ["admin_client", "admin_user"]

pytestmark = pytest.mark.django_db


def _make(client) -> dict[str, str]:
    response = client.post("/readers/feeds", HTTP_HOST=PRIVATE_HOST)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    found = re.findall(r"(\w+): <code class=\"address\">http://private\.test(/[^<]+)</code>",
                       response.content.decode())  # fmt: skip
    return dict(found)


def test_a_reader_makes_a_secret_address_that_serves_without_a_session(client, private):
    assert client.get("/readers/feeds", HTTP_HOST=PRIVATE_HOST).status_code == 302
    sign_in(client)
    assert b"/readers/feeds" in client.get("/", HTTP_HOST=PRIVATE_HOST).content
    urls = _make(client)
    assert set(urls) == {"Atom", "RSS", "iCal", "JSON"}
    row = FeedSecret.objects.get()
    token = urls["Atom"].split("/")[3]
    assert token not in row.token_hash and row.identity == "password"

    machine = client.__class__()  # a feed reader: no cookie
    for label, path in urls.items():
        response = machine.get(path, HTTP_HOST=PRIVATE_HOST)
        assert response.status_code == 200, label
        assert "private" in response["Cache-Control"] and "no-store" in response["Cache-Control"]
        assert not response.cookies
    assert b"Wombat meltdown" in machine.get(urls["Atom"], HTTP_HOST=PRIVATE_HOST).content
    assert b"Platypus window" in machine.get(urls["iCal"], HTTP_HOST=PRIVATE_HOST).content
    other = urls["JSON"].replace("summary.json", "components.json")
    assert b"Quokka backend" in machine.get(other, HTTP_HOST=PRIVATE_HOST).content
    # The secret reaches the feeds and the JSON only, not the HTML page.
    html = machine.get(urls["Atom"].replace("history.atom", ""), HTTP_HOST=PRIVATE_HOST)
    assert html.status_code == 404 and not leaks(html.content)
    # Another page's host does not take it.
    assert machine.get(urls["Atom"]).status_code == 404

    listing = client.get("/readers/feeds", HTTP_HOST=PRIVATE_HOST).content
    assert row.prefix.encode() in listing and token.encode() not in listing


def test_the_reader_revokes_their_address(client, private):
    sign_in(client)
    urls = _make(client)
    row = FeedSecret.objects.get()
    response = client.post(f"/readers/feeds/{row.pk}/revoke", HTTP_HOST=PRIVATE_HOST)
    assert response.status_code == 302
    machine = client.__class__()
    for path in urls.values():
        response = machine.get(path, HTTP_HOST=PRIVATE_HOST)
        assert response.status_code == 404 and not leaks(response.content)


def test_a_page_admin_revokes_a_readers_address(client, admin_client, page, operator):
    # The dashboard works on the default page (until its page switcher chooses another).
    page.visibility = "private"
    page.save()
    reader_services.settings_save(
        page=page, actor=operator, password="default secret", magic_link_allowed="",
        ip_allowlist="",
    )  # fmt: skip
    client.post("/readers/password", {"password": "default secret"})
    response = client.post("/readers/feeds")
    path = re.findall(r"Atom: <code class=\"address\">http://testserver(/[^<]+)</code>",
                      response.content.decode())[0]  # fmt: skip
    machine = client.__class__()
    assert machine.get(path).status_code == 200
    row = FeedSecret.objects.get()
    listing = admin_client.get("/dashboard/settings/readers/").content
    assert row.prefix.encode() in listing
    revoked = admin_client.post(f"/dashboard/settings/readers/feeds/{row.pk}/revoke/")
    assert revoked.status_code == 302
    assert machine.get(path).status_code == 404
    assert AuditEntry.objects.filter(action="page.feed_secret_revoked").exists()


def test_a_made_up_secret_is_a_404(client, private):
    response = client.get("/readers/feed/" + "a" * 32 + "/history.atom", HTTP_HOST=PRIVATE_HOST)
    assert response.status_code == 404 and not leaks(response.content)
