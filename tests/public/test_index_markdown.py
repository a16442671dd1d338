"""The status in Markdown (/index.md, and `/` for clients that ask for it or for terminals):
its content, escaping of operator text, content negotiation, and the read path keeping the
two forms of `/` apart (Django's path, the WSGI fast path, ETags, snapshots)."""

from __future__ import annotations

import gzip
import io
from datetime import UTC, datetime, timedelta

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import OperationalError, close_old_connections, connections
from markdown_it import MarkdownIt

from incidents import services
from incidents.markdown import render_markdown
from incidents.models import Page
from statuspage import public_fast_path
from statuspage.public import negotiation
from tests.public.conftest import reset_read_path

MD = "text/markdown; charset=utf-8"
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0"
T0 = datetime(2026, 11, 18, 9, 30, tzinfo=UTC)

pytestmark = pytest.mark.frozen_at("2026-11-18T12:00:00+00:00")


# --- content --------------------------------------------------------------------------------


@pytest.fixture
def acme(page, operator, make_component, clock):
    """A Berlin page: a group, a loose component, an incident with two updates, a window."""
    clock.move_to(datetime(2026, 11, 18, 12, 0, tzinfo=UTC), tick=False)
    Page.objects.filter(pk=page.pk).update(
        name="Acme", time_zone="Europe/Berlin", url="https://status.acme.test"
    )
    group = services.component_group_create(name="Core", actor=operator)
    api = make_component("API", group=group)
    make_component("Database", group=group)
    make_component("Website")
    incident = services.incident_create(
        name="API errors",
        body="We are investigating.",
        actor=operator,
        component_statuses={api: "partial_outage"},
        at=T0,
    )
    services.incident_update_post(
        incident=incident,
        status="identified",
        body="The **cause** is a bad deploy.\n\n- rolling back\n- watching errors",
        actor=operator,
        at=T0 + timedelta(minutes=45),
    )
    window = services.maintenance_schedule(
        name="Database upgrade",
        scheduled_for=datetime(2026, 11, 20, 22, 0, tzinfo=UTC),
        scheduled_until=datetime(2026, 11, 21, 0, 0, tzinfo=UTC),
        components=[],
        actor=operator,
        body="Expect *brief* interruptions.",
    )
    return {"incident": incident, "window": window}


def test_the_document_says_what_the_front_page_says(client, acme):
    response = client.get("/index.md")
    assert response.status_code == 200
    assert response["Content-Type"] == MD
    incident, window = acme["incident"].public_id, acme["window"].public_id
    assert response.content.decode() == (
        "# Acme status\n\n"
        "**Partial System Outage**\n\n"
        "## Active incidents\n\n"
        f"### [API errors](https://status.acme.test/incidents/{incident})\n\n"
        "- Status: Identified\n"
        "- Impact: Major\n"
        "- Started: 2026-11-18T09:30:00Z (Nov 18, 2026 10:30 CET)\n"
        "- Affects: API\n\n"
        "Latest update (Identified), 2026-11-18T10:15:00Z (Nov 18, 2026 11:15 CET):\n\n"
        "> The **cause** is a bad deploy.\n"
        ">\n"
        "> - rolling back\n"
        "> - watching errors\n\n"
        "## Maintenance\n\n"
        f"### [Database upgrade](https://status.acme.test/maintenance/{window})\n\n"
        "- Status: Scheduled\n"
        "- From: 2026-11-20T22:00:00Z (Nov 20, 2026 23:00 CET)\n"
        "- Until: 2026-11-21T00:00:00Z (Nov 21, 2026 01:00 CET)\n\n"
        "Latest update (Scheduled), 2026-11-18T12:00:00Z (Nov 18, 2026 13:00 CET):\n\n"
        "> Expect *brief* interruptions.\n\n"
        "## Components\n\n"
        "- **Core**: Partial outage\n"
        "  - API: Partial outage\n"
        "  - Database: Operational\n"
        "- Website: Operational\n\n"
        "## More\n\n"
        "- [Incident history](https://status.acme.test/history)\n"
        "- [Current status as JSON](https://status.acme.test/api/v2/summary.json)"
        " (Statuspage-compatible API, `/api/v2/`)\n"
        "- [Atom feed](https://status.acme.test/history.atom)\n"
        "- [RSS feed](https://status.acme.test/history.rss)\n"
        "- [Maintenance calendar (iCal)](https://status.acme.test/maintenance.ics)\n"
        "- [This status page](https://status.acme.test/)\n\n"
        "Times are UTC (ISO 8601), then the page's time zone, Europe/Berlin, in parentheses.\n"
    )


def test_a_quiet_page_says_so(client, page, make_component):
    text = client.get("/index.md").content.decode()
    assert "**All Systems Operational**" in text
    assert "## Active incidents\n\nNo active incidents." in text
    assert "## Maintenance\n\nNo maintenance in progress or scheduled." in text
    assert "## Components\n\nNo components." in text


def test_resolved_incidents_and_hidden_components_are_left_out(client, site, make_component):
    make_component("Batch jobs", only_show_if_degraded=True)
    text = client.get("/index.md").content.decode()
    assert "API errors" in text
    assert "Slow website" not in text  # resolved two days ago
    assert "Batch jobs" not in text  # hidden while operational, as on `/`


def test_the_front_page_links_its_markdown_form(client, site):
    html = client.get("/", HTTP_ACCEPT=BROWSER_ACCEPT).content.decode()
    head = html[: html.index("</head>")]
    assert '<link rel="alternate" type="text/markdown"' in head
    assert 'href="/index.md"' in head


def test_queries_do_not_grow_with_incidents(client, site, operator, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get("/index.md")
    for n in range(3):
        services.incident_create(name=f"More {n}", body="x", actor=operator)
    reset_read_path()
    with django_assert_num_queries(len(few.captured_queries)):
        assert b"More 2" in client.get("/index.md").content


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://status.acme.test/history", "[H](https://status.acme.test/history)"),
        ("https://x.test/a (b)/<c>", "[H](<https://x.test/a%20(b)/%3Cc%3E>)"),
    ],
)
def test_links_from_settings_keep_their_destination(url, expected):
    from statuspage.public.status_markdown import link

    assert link("H", url) == expected
    tokens = list(_walk(_tokens(expected)))
    hrefs = [t.attrGet("href") for t in tokens if t.type == "link_open"]
    assert hrefs == [url.replace(" ", "%20").replace("<", "%3C").replace(">", "%3E")]


# --- escaping ---------------------------------------------------------------------------------

HOSTILE = "*bold* [x](javascript:alert(1)) <img src=x onerror=alert(1)> &amp; # _u_ `c`"


@pytest.fixture
def hostile(page, operator, make_component):
    Page.objects.filter(pk=page.pk).update(name="# Evil\n## Page")
    group = services.component_group_create(name=HOSTILE, actor=operator)
    component = make_component(HOSTILE, group=group)
    make_component("1. - > Not a list")
    services.incident_create(
        name=HOSTILE,
        body=(
            "# Takeover\n\n## Active incidents\n\n<script>alert(1)</script>\n\n"
            "![tracker](https://t.test/pixel.png) [click](javascript:alert(1)) "
            "[ok](https://ok.test/a) [rel](/x)\n\n```\nunclosed fence\n\n[ref]: https://evil.test\n"
        ),
        actor=operator,
        component_statuses={component: "major_outage"},
    )


def _tokens(text: str):
    # A reader that would pass raw HTML through: none may reach it.
    parser = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
    return parser.parse(text)


def _walk(tokens):
    for token in tokens:
        yield token
        yield from _walk(token.children or [])


def test_operator_text_comes_out_literal(client, hostile):
    text = client.get("/index.md").content.decode()
    tokens = list(_walk(_tokens(text)))
    assert not [t for t in tokens if t.type in ("html_block", "html_inline", "image")]
    links = [t.attrGet("href") for t in tokens if t.type == "link_open"]
    assert links and all(
        str(href).startswith(("http://127.0.0.1:8000/", "https://ok.test/", "/x")) for href in links
    ), links
    assert "javascript" not in " ".join(map(str, links))
    # The names read as typed, in the text a reader sees (no emphasis, no code).
    words = [t.content for t in tokens if t.type == "text"]
    assert HOSTILE in words  # the component's own line
    assert not [t for t in tokens if t.type == "em_open"]
    assert [t.content for t in tokens if t.type == "code_inline"] == ["/api/v2/"]
    strong = [tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "strong_open"]
    assert strong == ["Major System Outage", HOSTILE]  # the status line, the group's name
    html = MarkdownIt("commonmark").render(text)
    assert html.count("<ol") == 0
    assert "1. - &gt; Not a list" in html


def test_operator_text_cannot_change_the_outline(client, hostile):
    tokens = _tokens(client.get("/index.md").content.decode())
    outline = [
        (t.tag, tokens[i + 1].content) for i, t in enumerate(tokens) if t.type == "heading_open"
    ]
    top = [(tag, words) for tag, words in outline if tag in ("h1", "h2")]
    assert top == [
        ("h1", "\\# Evil \\#\\# Page status"),
        ("h2", "Active incidents"),
        ("h2", "Maintenance"),
        ("h2", "Components"),
        ("h2", "More"),
    ]
    body_headings = [tag for tag, words in outline if words in ("Takeover", "Active incidents")]
    # The body's "#" and "##" sit under the incident's "###", inside its quote.
    assert body_headings == ["h2", "h4", "h5"]


def test_an_unclosed_fence_in_a_body_ends_with_the_body(client, hostile):
    text = client.get("/index.md").content.decode()
    tokens = _tokens(text)
    fences = [t for t in tokens if t.type == "fence"]
    assert [f.content for f in fences] == ["unclosed fence\n\n[ref]: https://evil.test\n"]
    # The sections after the body are still headings, not code.
    assert "## Components" in [
        f"{t.markup} {tokens[i + 1].content}"
        for i, t in enumerate(tokens)
        if t.type == "heading_open"
    ]


@pytest.mark.parametrize(
    "body",
    [
        "We are **investigating** errors.",
        "# Big\n\ntext\n## Smaller",
        "1986\\. A good year\n\\- not a list\n\\# not a heading\nfoo\n\\===",
        "a \\| b\n:--|--",
        "<b>raw</b> &amp; &copy; \\*stars\\* \\`tick\\`",
        "- one\n- two\n\n  loose\n\n1. x\n2. y\n   - nested",
        "> quoted\n> # heading\n\n```py\ncode ``` inside\n```\n\n    indented",
        "| a | b |\n|:--|--:|\n| `x` | [l](https://l.test) |",
        "[text](https://x.test/a(b)c) <https://auto.test> [bad](javascript:x) [rel](/x)",
        "line one  \nhard break\nsoft *em* ~~gone~~ `` a`b ``",
        "above\n\n---\n\nbelow\n\n***\n\n1) one\n2) two",
    ],
)
def test_a_quoted_body_renders_as_the_page_renders_it(body):
    from incidents.markdown import render_markdown_source

    assert render_markdown(render_markdown_source(body, 4), 4) == render_markdown(body, 4)


def test_a_quoted_body_keeps_no_link_the_page_would_not_follow():
    from incidents.markdown import render_markdown_source

    # The page keeps the text, without an address (the sanitiser drops the href).
    assert render_markdown_source("[files](ftp://x.test/f) [mail](mailto:a@x.test)") == (
        "files [mail](<mailto:a@x.test>)"
    )
    assert 'href="ftp' not in render_markdown("[files](ftp://x.test/f)")
    assert render_markdown_source("") == render_markdown_source(None) == ""


# --- negotiation ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "agent", "form", "vary"),
    [
        # Browsers name text/html: always HTML, whatever else they take.
        (BROWSER_ACCEPT, FIREFOX, "html", "Accept"),
        ("text/html", "curl/8.5.0", "html", "Accept"),
        ("text/html, text/markdown;q=0.5", "", "html", "Accept"),
        # Agents that ask for Markdown, alone or preferred, or as much as HTML.
        ("text/markdown", FIREFOX, "md", "Accept"),
        ("text/markdown, text/html;q=0.9, */*;q=0.1", "", "md", "Accept"),
        ("text/html;q=0.5, text/markdown;q=0.8", "", "md", "Accept"),
        ("text/markdown, text/html", "", "md", "Accept"),
        ("TEXT/MARKDOWN; charset=utf-8", "", "md", "Accept"),
        ("text/*, text/html;q=0", "", "md", "Accept"),
        ("text/markdown;q=0, text/html", "curl/8.5.0", "html", "Accept"),
        # Nothing named: terminals get Markdown, other programs HTML (and Vary says why).
        ("*/*", "curl/8.5.0", "md", "Accept, User-Agent"),
        (None, "curl/7.88.1", "md", "Accept, User-Agent"),
        ("*/*", "Wget/1.21.4", "md", "Accept, User-Agent"),
        ("*/*", "Wget2/2.1.0", "md", "Accept, User-Agent"),
        ("application/json, */*;q=0.5", "HTTPie/3.2.4", "md", "Accept, User-Agent"),
        ("*/*", "xh/0.22.0", "md", "Accept, User-Agent"),
        ("text/*", "curl/8.5.0", "md", "Accept, User-Agent"),
        ("*/*", "python-requests/2.32.3", "html", "Accept, User-Agent"),
        ("*/*", FIREFOX, "html", "Accept, User-Agent"),
        (None, None, "html", "Accept, User-Agent"),
        (
            "*/*",
            "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
            "html",
            "Accept, User-Agent",
        ),
        ("*/*", "notcurl/1.0", "html", "Accept, User-Agent"),
        # curl asking for something else entirely keeps getting the page as before.
        ("application/json", "curl/8.5.0", "html", "Accept, User-Agent"),
        # Malformed ranges and q-values are skipped, not errors.
        ("garbage, text/markdown;q=abc, */*", "curl/8.5.0", "md", "Accept, User-Agent"),
        ("text/markdown;q=abc", FIREFOX, "html", "Accept, User-Agent"),
    ],
)
def test_negotiation(accept, agent, form, vary):
    headers = {"Accept": accept, "User-Agent": agent}
    variant = negotiation.front_page(headers.get)
    assert (variant.name, variant.vary) == (form, vary)


def _get(client, path="/", accept=None, agent=None, **extra):
    if accept is not None:
        extra["HTTP_ACCEPT"] = accept
    if agent is not None:
        extra["HTTP_USER_AGENT"] = agent
    return client.get(path, **extra)


def test_markdown_at_the_origin_is_index_md_byte_for_byte(client, site):
    plain = client.get("/index.md")
    asked = _get(client, accept="text/markdown")
    curl = _get(client, accept="*/*", agent="curl/8.5.0")
    for response in (asked, curl):
        assert response.status_code == 200
        assert response["Content-Type"] == MD
        assert response.content == plain.content
        assert response["ETag"] == plain["ETag"]
    assert asked["Vary"] == "Accept-Encoding, Accept"
    assert curl["Vary"] == "Accept-Encoding, Accept, User-Agent"
    assert "Accept" not in plain["Vary"].replace("Accept-Encoding", "")


def test_browsers_get_html_with_vary_accept(client, site):
    response = _get(client, accept=BROWSER_ACCEPT, agent=FIREFOX)
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert response.content.startswith(b"<!doctype html>")
    # The HTML page is in the reader's language (statuspage/public/language.py).
    assert response["Vary"] == "Accept-Encoding, Accept, Accept-Language"
    other = _get(client, accept="*/*", agent="python-requests/2.32.3")
    assert other.content == response.content
    assert other["Vary"] == "Accept-Encoding, Accept, User-Agent, Accept-Language"


def test_etag_of_one_form_never_304s_the_other(client, site):
    md = _get(client, accept="text/markdown")
    html = _get(client, accept=BROWSER_ACCEPT)
    assert md["ETag"] != html["ETag"]
    again = _get(client, accept="text/markdown", HTTP_IF_NONE_MATCH=md["ETag"])
    assert again.status_code == 304
    assert again["Vary"] == "Accept-Encoding, Accept"
    assert again["Content-Type"] == MD
    crossed = _get(client, accept=BROWSER_ACCEPT, HTTP_IF_NONE_MATCH=md["ETag"])
    assert crossed.status_code == 200 and crossed.content == html.content
    assert client.get("/index.md", HTTP_IF_NONE_MATCH=md["ETag"]).status_code == 304


def test_gzip_of_the_markdown(client, site):
    plain = client.get("/index.md")
    zipped = client.get("/index.md", HTTP_ACCEPT_ENCODING="gzip")
    assert zipped["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.content) == plain.content
    assert zipped["ETag"] == plain["ETag"][:-1] + '-gz"'


def test_the_database_down_serves_each_form_its_snapshot(client, site, monkeypatch):
    html = _get(client, accept=BROWSER_ACCEPT)
    md = _get(client, accept="*/*", agent="curl/8.5.0")
    reset_read_path()

    def refuse(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(connections["default"], "ensure_connection", refuse)
    stale_md = _get(client, accept="*/*", agent="curl/8.5.0")
    stale_html = _get(client, accept=BROWSER_ACCEPT)
    monkeypatch.undo()
    assert stale_md["X-Statuspage-Stale"] == "1"
    assert stale_md.content == md.content and stale_md["Content-Type"] == MD
    assert stale_md["Vary"] == "Accept, User-Agent"
    assert stale_html["X-Statuspage-Stale"] == "1"
    assert stale_html["ETag"] == html["ETag"]
    assert stale_html["Content-Type"].startswith("text/html")


# --- the WSGI fast path -----------------------------------------------------------------------


def _environ(accept=None, agent=None, path="/", **extra) -> dict:
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SCRIPT_NAME": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "HTTP_HOST": "127.0.0.1",
        "wsgi.input": io.BytesIO(),
        "wsgi.url_scheme": "http",
        **extra,
    }
    if accept is not None:
        environ["HTTP_ACCEPT"] = accept
    if agent is not None:
        environ["HTTP_USER_AGENT"] = agent
    return environ


class Answer:
    def __init__(self, app, environ):
        self.status, self.headers = "", {}
        self.body = b"".join(app(environ, self.start))

    def start(self, status, headers, exc_info=None):
        self.status, self.headers = status, dict(headers)


def _django_must_not_run(environ, start_response):
    raise AssertionError("Django was called")


@pytest.fixture
def django_app():
    # As django.test.Client does: a finished request must not close the test's connection.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield public_fast_path.fast_path(WSGIHandler())
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


REQUESTS = {
    "browser": (BROWSER_ACCEPT, FIREFOX),
    "agent": ("text/markdown, text/html;q=0.9", "agent/1.0"),
    "curl": ("*/*", "curl/8.5.0"),
    "script": ("*/*", "python-requests/2.32.3"),
}
EXPECTED = {
    "browser": ("text/html; charset=utf-8", "Accept-Encoding, Accept, Accept-Language"),
    "agent": (MD, "Accept-Encoding, Accept"),
    "curl": (MD, "Accept-Encoding, Accept, User-Agent"),
    "script": (
        "text/html; charset=utf-8",
        "Accept-Encoding, Accept, User-Agent, Accept-Language",
    ),
}


@pytest.mark.parametrize(
    "order",
    [
        ["agent", "browser", "curl", "script"],
        ["browser", "agent", "script", "curl"],
        ["curl", "script", "agent", "browser"],
    ],
)
def test_fast_path_keeps_the_forms_apart(site, django_app, django_assert_num_queries, order):
    first = {}
    for name in order:  # each form's first request reaches Django and is learned
        first[name] = Answer(django_app, _environ(*REQUESTS[name]))
    fast = public_fast_path.fast_path(_django_must_not_run)
    for name in [*order, *reversed(order)]:  # then every form is a cached hit, in any order
        with django_assert_num_queries(0):
            hit = Answer(fast, _environ(*REQUESTS[name]))
        content_type, vary = EXPECTED[name]
        assert hit.status == "200 OK", name
        assert (hit.headers["Content-Type"], hit.headers["Vary"]) == (content_type, vary), name
        assert hit.body == first[name].body, name
        assert hit.headers["ETag"] == first[name].headers["ETag"], name
    assert first["agent"].body == first["curl"].body
    assert first["browser"].body == first["script"].body
    assert first["agent"].body != first["browser"].body


def test_fast_path_sends_no_form_it_has_not_learned(site, django_app):
    Answer(django_app, _environ(*REQUESTS["browser"]))
    calls = []

    def spy(environ, start_response):
        calls.append(environ.get("HTTP_ACCEPT"))
        start_response("204 No Content", [])
        return [b""]

    # The Markdown form of `/` was never rendered: Django answers it, not the HTML copy.
    Answer(public_fast_path.fast_path(spy), _environ("text/markdown"))
    Answer(public_fast_path.fast_path(spy), _environ("*/*", "curl/8.5.0"))
    assert calls == ["text/markdown", "*/*"]


def test_fast_path_304_and_gzip_per_form(site, django_app):
    md = Answer(django_app, _environ("text/markdown", HTTP_ACCEPT_ENCODING="gzip"))
    html = Answer(django_app, _environ(BROWSER_ACCEPT, HTTP_ACCEPT_ENCODING="gzip"))
    fast = public_fast_path.fast_path(_django_must_not_run)
    assert md.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(md.body).startswith(b"# Status status")
    same = Answer(
        fast,
        _environ(
            "text/markdown", HTTP_ACCEPT_ENCODING="gzip", HTTP_IF_NONE_MATCH=md.headers["ETag"]
        ),
    )
    assert same.status.startswith("304") and same.body == b""
    assert (same.headers["Content-Type"], same.headers["Vary"]) == (MD, "Accept-Encoding, Accept")
    crossed = Answer(
        fast,
        _environ(
            BROWSER_ACCEPT, HTTP_ACCEPT_ENCODING="gzip", HTTP_IF_NONE_MATCH=md.headers["ETag"]
        ),
    )
    assert crossed.status == "200 OK" and crossed.body == html.body


# --- real command-line clients ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "form"),
    [
        (["curl", "-s"], "md"),
        (["curl", "-s", "-H", "Accept: text/html"], "html"),
        (["wget", "-q", "-O", "-"], "md"),
    ],
)
def test_terminal_clients_as_they_are(live_server, site, command, form):
    """The clients' own default headers (not ones a test writes for them) get the Markdown."""
    import shutil
    import subprocess

    if shutil.which(command[0]) is None:
        pytest.skip(f"{command[0]} is not installed")
    out = subprocess.run(  # noqa: S603 - our own command line
        [*command, live_server.url + "/"], capture_output=True, timeout=30, check=True
    ).stdout
    if form == "md":
        assert out.startswith(b"# Status status\n\n**Partial System Outage**")
    else:
        assert out.startswith(b"<!doctype html>")
