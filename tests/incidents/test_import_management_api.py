"""import_statuspage --api-key: the postmortem text read from a management API (/v1), served by
a local HTTP server that speaks Statuspage's shapes: the public /api/v2/ without any postmortem
text (as Statuspage's), and /v1/pages/{page_id}/incidents behind `Authorization: OAuth <key>`,
paged by `page` and at most `limit` (fewer than asked, so that more than one page is read)."""

import contextlib
import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.management import CommandError, call_command

from incidents.management.commands import _management_api as management_api
from incidents.management.commands.import_statuspage import Command
from incidents.models import Incident
from tests.conftest import RECORDED_EVENTS
from tests.incidents.test_import_statuspage import (
    T0,
    _nothing_written,
    incident,
    serving,
    source_page,
    ts,
    update,
)

KEY = "k3y-s3cr3t-0123456789"
V1_PAGE_SIZE = 20  # the fake's own cap, below the 100 asked: 60+ incidents make 4 pages
MARKDOWN = "## Root cause\n\nA *bad* deploy of:\n\n- the API\n- [the DB](https://db.test)\n"


def public_and_managed():
    """The public documents with no postmortem text, and the management API's incidents:
    every public incident plus its postmortem fields (and maintenance windows, which it lists
    too), the ones on later pages included."""
    data = source_page()
    public = data["incidents.json"]
    resolved = [
        incident(
            "inc000draft1",
            "With a draft",
            "resolved",
            [
                update("upd00draft02", "resolved", T0 + timedelta(hours=5), "Fixed"),
                update("upd00draft01", "investigating", T0 + timedelta(hours=4), "Slow"),
            ],
        ),
        incident(
            "inc00nofield",
            "Management API lists it without postmortem fields",
            "resolved",
            [
                update("upd0nofield2", "resolved", T0 + timedelta(hours=7), "Fixed"),
                update("upd0nofield1", "investigating", T0 + timedelta(hours=6), "Slow"),
            ],
        ),
    ]
    public += resolved
    managed = []
    for item in public:
        managed.append(
            item
            | {
                "postmortem_body": None,
                "postmortem_published_at": None,
                "postmortem_notify_subscribers": False,
                "postmortem_notify_twitter": False,
            }
        )
    by_id = {item["id"]: item for item in managed}
    by_id["inc00000pm01"] |= {
        "postmortem_body": MARKDOWN,
        "postmortem_published_at": ts(T0 + timedelta(days=1)),
        "postmortem_notify_subscribers": True,
    }
    by_id["inc000draft1"] |= {"postmortem_body": "Draft: *not yet* reviewed."}
    for name in (
        "postmortem_body",
        "postmortem_published_at",
        "postmortem_notify_subscribers",
        "postmortem_notify_twitter",
    ):
        del by_id["inc00nofield"][name]
    # An old incident, listed on a later page of the management API than the first.
    by_id["old000000003"] |= {
        "postmortem_body": "Old *cause*.",
        "postmortem_published_at": ts(T0 - timedelta(days=50)),
    }
    # The public API carries a postmortem's status, never its text or publication time.
    for item in public:
        item.pop("postmortem_body", None)
        item.pop("postmortem_published_at", None)
    # Newest first, as both APIs list; maintenance windows are listed by the management API too.
    managed.sort(key=lambda item: item["created_at"], reverse=True)
    managed += data["scheduled-maintenances.json"]
    return data, managed


@contextlib.contextmanager
def management_api_serving(managed, key=KEY, status=None, throttle=None):
    """/v1/pages/pagepagepage/incidents behind the key; `status` forces an error answer;
    `throttle` maps a page number to the Retry-After values of the 429s it gets first.
    Yields (base URL, the requests it received as (path+query, Authorization header))."""
    received = []
    throttle = throttle or {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            parts = urlsplit(self.path)
            received.append((self.path, self.headers.get("Authorization")))
            if parts.path == "/v1/redirect/pages/pagepagepage/incidents":
                self.send_response(302)
                self.send_header("Location", self.path.replace("/v1/redirect/", "/v1/"))
                self.end_headers()
                return
            if parts.path == "/api/v1/openapi.json":
                # Some other API's description: not an install of this app.
                self._json(200, {"openapi": "3.1.0", "paths": {"/other": {}}})
            elif parts.path != "/v1/pages/pagepagepage/incidents":
                self._json(404, {"error": "Not found"})
            elif status or self.headers.get("Authorization") != f"OAuth {key}":
                self._json(status or 401, {"error": "Could not authenticate"})
            else:
                query = parse_qs(parts.query)
                limit = min(int(query.get("limit", ["100"])[0]), V1_PAGE_SIZE)
                page = int(query.get("page", ["1"])[0])
                if throttle.get(page):
                    self._json(429, {"error": "Slow down"}, {"Retry-After": throttle[page].pop(0)})
                    return
                self._json(200, managed[(page - 1) * limit : page * limit])

        def _json(self, code, body, headers=None):
            payload = json.dumps(body).encode()
            self.send_response(code)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1", received
    finally:
        server.shutdown()


@contextlib.contextmanager
def both_apis(status=None):
    data, managed = public_and_managed()
    with serving(data) as url, management_api_serving(managed, status=status) as (base, seen):
        yield url, base, seen


def test_postmortem_text_and_time_come_from_every_page_of_the_management_api(page, capsys):
    with both_apis() as (url, base, seen):
        call_command("import_statuspage", url, api_key=KEY, api_base=base)
    pm = Incident.objects.get(public_id="inc00000pm01")
    # Markdown stays Markdown: the text is stored as the source wrote it, rendered on display.
    assert (pm.status, pm.postmortem_body, pm.postmortem_draft) == (
        "postmortem",
        MARKDOWN,
        MARKDOWN,
    )
    assert pm.postmortem_published_at == T0 + timedelta(days=1)
    # Listed on a later page of the management API's (20 by 20, newest first).
    _data, managed = public_and_managed()
    assert [item["id"] for item in managed].index("old000000003") >= V1_PAGE_SIZE
    old = Incident.objects.get(public_id="old000000003")
    assert (old.status, old.postmortem_body) == ("postmortem", "Old *cause*.")
    assert old.postmortem_published_at == T0 - timedelta(days=50)
    asked = [parse_qs(urlsplit(path).query) for path, _auth in seen]
    # 59 incidents and 2 windows: three full pages, then a short one ends the list.
    assert [q["page"] for q in asked] == [["1"], ["2"], ["3"], ["4"]]
    assert {(q["limit"][0], q["per_page"][0]) for q in asked} == {("100", "100")}
    assert {auth for _path, auth in seen} == {f"OAuth {KEY}"}
    out, err = capsys.readouterr()
    assert "skipped 1 postmortem notification (sent at the source)" in out
    assert KEY not in out + err


def test_a_draft_postmortem_is_imported_as_a_draft_never_published(page):
    with both_apis() as (url, base, _seen):
        call_command("import_statuspage", url, api_key=KEY, api_base=base)
    draft = Incident.objects.get(public_id="inc000draft1")
    assert draft.status == "resolved"
    assert draft.postmortem_draft == "Draft: *not yet* reviewed."
    assert (draft.postmortem_body, draft.postmortem_published_at) == ("", None)


def test_fields_the_management_api_leaves_out_keep_the_public_values(page):
    with both_apis() as (url, base, _seen):
        call_command("import_statuspage", url, api_key=KEY, api_base=base)
    bare = Incident.objects.get(public_id="inc00nofield")
    assert (bare.status, bare.postmortem_draft, bare.postmortem_published_at) == (
        "resolved",
        "",
        None,
    )


def test_a_postmortem_the_management_api_does_not_list_is_imported_as_before(page):
    """Listed by the public API only as "postmortem": published, without text (as without
    a key)."""
    data, managed = public_and_managed()
    managed = [item for item in managed if item["id"] != "inc00000pm01"]
    with serving(data) as url, management_api_serving(managed) as (base, _seen):
        call_command("import_statuspage", url, api_key=KEY, api_base=base)
    pm = Incident.objects.get(public_id="inc00000pm01")
    assert (pm.status, pm.postmortem_body) == ("postmortem", "")


def test_the_key_may_come_from_the_environment(page, monkeypatch):
    monkeypatch.setenv("STATUSPAGE_API_KEY", KEY)
    with both_apis() as (url, base, seen):
        call_command("import_statuspage", url, api_base=base)
    assert Incident.objects.get(public_id="inc00000pm01").postmortem_body == MARKDOWN
    assert seen[0][1] == f"OAuth {KEY}"


@pytest.mark.parametrize("status", [401, 403])
def test_a_refused_key_ends_the_import_before_anything_is_written(page, status):
    with (
        both_apis(status=status) as (url, base, _seen),
        pytest.raises(CommandError) as raised,
    ):
        call_command("import_statuspage", url, api_key=KEY, api_base=base)
    message = str(raised.value)
    assert f"refused the API key (HTTP {status})" in message and "Nothing was written" in message
    assert KEY not in message
    assert _nothing_written()


def test_a_wrong_page_id_or_a_broken_answer_is_refused(page):
    with both_apis() as (url, base, _seen), pytest.raises(CommandError, match="HTTP 404"):
        call_command("import_statuspage", url, api_key=KEY, api_base=base, page_id="otherpage123")
    assert _nothing_written()
    data, _managed = public_and_managed()
    with (
        serving(data) as url,
        management_api_serving([{"name": "no id"}]) as (base, _seen),
        pytest.raises(CommandError, match="not a list of incidents with ids"),
    ):
        call_command("import_statuspage", url, api_key=KEY, api_base=base)
    with (
        serving(data) as url,
        pytest.raises(CommandError, match="--api-base must start with http"),
    ):
        call_command("import_statuspage", url, api_key=KEY, api_base="ftp://x")
    assert _nothing_written()


def test_a_redirect_does_not_carry_the_key_along(page):
    """urllib copies a request's headers to where a redirect points, unless they are marked
    unredirected: the key must reach only the API it was given for."""
    with both_apis() as (url, base, seen), pytest.raises(CommandError, match="HTTP 401"):
        call_command(
            "import_statuspage", url, api_key=KEY, api_base=base.replace("/v1", "/v1/redirect")
        )
    assert [auth for _path, auth in seen] == [f"OAuth {KEY}", None]


def test_importing_with_a_key_sends_nothing(page, settings):
    settings.STATUSPAGE_EVENT_HANDLER = "tests.conftest.record_event"
    RECORDED_EVENTS.clear()
    with both_apis() as (url, base, _seen):
        call_command("import_statuspage", url, api_key=KEY, api_base=base)
    assert RECORDED_EVENTS and [e.kind for e in RECORDED_EVENTS if e.notify] == []


def test_the_management_api_is_found_by_the_source_url():
    def no_request(url, headers):
        raise AssertionError(f"asked {url}")

    assert management_api.api_base("https://acme.statuspage.io", no_request) == (
        "https://api.statuspage.io/v1"
    )
    command = Command()
    command.timeout = 5
    # A source that serves no management API description: a Statuspage page on its own domain.
    with serving(source_page()) as url:
        assert management_api.api_base(url, command._json) == "https://api.statuspage.io/v1"
    # One that describes another API there.
    with management_api_serving([]) as (base, seen):
        origin = base.removesuffix("/v1")
        assert management_api.api_base(origin, command._json) == "https://api.statuspage.io/v1"
    assert seen == [("/api/v1/openapi.json", None)]  # asked without the key


def test_a_source_without_a_page_id_needs_one_given(page):
    data, managed = public_and_managed()
    # A copy: the page object is shared by every source_page().
    data["components.json"]["page"] = {
        k: v for k, v in data["components.json"]["page"].items() if k != "id"
    }
    with (
        serving(data) as url,
        management_api_serving(managed) as (base, _seen),
        pytest.raises(CommandError, match="gives no page id: pass --page-id"),
    ):
        call_command("import_statuspage", url, api_key=KEY, api_base=base)
    assert _nothing_written()
    with serving(data) as url, management_api_serving(managed) as (base, _seen):
        call_command("import_statuspage", url, api_key=KEY, api_base=base, page_id="pagepagepage")
    assert Incident.objects.get(public_id="inc00000pm01").postmortem_body == MARKDOWN


@pytest.mark.django_db(transaction=True)
def test_an_install_of_this_app_is_found_by_its_api_description(live_server):
    command = Command()
    command.timeout = 5
    found = management_api.api_base(live_server.url + "/api/v2", command._json)
    assert found == live_server.url + "/api/v1"


def test_a_list_that_never_ends_is_refused(page, monkeypatch):
    monkeypatch.setattr(management_api, "PAGE_GUARD", 3)  # the fake needs 4 pages
    with both_apis() as (url, base, _seen), pytest.raises(CommandError, match="did not end"):
        call_command("import_statuspage", url, api_key=KEY, api_base=base)
    assert _nothing_written()


def test_rate_limited_pages_are_asked_again_after_the_wait_they_name(page):
    data, managed = public_and_managed()
    waits = {2: ["0", "-5", "soon"]}  # the last, unusable, means 1 s
    with (
        serving(data) as url,
        management_api_serving(managed, throttle=waits) as (base, seen),
    ):
        call_command("import_statuspage", url, api_key=KEY, api_base=base)
    assert Incident.objects.get(public_id="old000000003").postmortem_body == "Old *cause*."
    pages = [parse_qs(urlsplit(path).query)["page"][0] for path, _auth in seen]
    assert pages == ["1", "2", "2", "2", "2", "3", "4"]


def test_a_rate_limit_that_never_lifts_ends_the_import(page):
    data, managed = public_and_managed()
    waits = {1: ["0"] * (management_api.RATE_LIMIT_RETRIES + 1)}
    with (
        serving(data) as url,
        management_api_serving(managed, throttle=waits) as (base, seen),
        pytest.raises(CommandError, match="HTTP 429"),
    ):
        call_command("import_statuspage", url, api_key=KEY, api_base=base)
    assert len(seen) == management_api.RATE_LIMIT_RETRIES + 1
    assert _nothing_written()
