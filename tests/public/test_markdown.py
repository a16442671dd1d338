"""Markdown is rendered, then sanitised with an allow-list; a corpus of XSS payloads goes
through every operator-written field that reaches the public pages."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from incidents import services
from statuspage.markdown import render_markdown, render_plain, sanitize

PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<iframe src=javascript:alert(1)></iframe>",
    "<body onload=alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<a href="&#106;avascript:alert(1)">x</a>',
    '<a href="java\tscript:alert(1)">x</a>',
    "[click](javascript:alert(1))",
    "[click](JAVASCRIPT:alert(1))",
    "[click](vbscript:msgbox(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[click](&#x6A;avascript:alert(1))",
    "![x](javascript:alert(1))",
    "![x](https://evil.example/track.gif)",
    "<javascript:alert(1)>",
    '<div style="background:url(javascript:alert(1))">x</div>',
    '<p style="x:expression(alert(1))">x</p>',
    '<object data="javascript:alert(1)"></object>',
    '<embed src="javascript:alert(1)">',
    '<form action="javascript:alert(1)"><button>x</button></form>',
    "<input autofocus onfocus=alert(1)>",
    "<details open ontoggle=alert(1)>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    "<style>@import 'https://evil.example/x.css';</style>",
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<base href="javascript:alert(1)//">',
    "<link rel=stylesheet href=https://evil.example/x.css>",
    '"><script>alert(1)</script>',
    "'><img src=x onerror=alert(1)>",
    "</textarea><script>alert(1)</script>",
    "{{ 7*7 }}{% raw %}",
    '<a href="https://ok.example" onclick="alert(1)">ok</a>',
    '[ok](https://ok.example "title\\" onmouseover=\\"alert(1)")',
    "<<script>script>alert(1)<</script>/script>",
    "<video><source onerror=alert(1)></video>",
]


class _Checker(HTMLParser):
    """Collects anything that could execute or load content."""

    BAD_TAGS = {
        "script", "iframe", "img", "svg", "object", "embed", "form", "input", "style", "meta",
        "base", "link", "video", "source", "math", "details", "body", "noscript",
    }  # fmt: skip

    def __init__(self):
        super().__init__()
        self.problems = []

    def handle_starttag(self, tag, attrs):
        if tag in self.BAD_TAGS:
            self.problems.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on") or name in ("style", "srcdoc", "formaction"):
                self.problems.append(f"{tag}[{name}]")
            if name in ("href", "src", "action") and value is not None:
                scheme = value.strip().lower().split(":", 1)[0] if ":" in value else ""
                if scheme and scheme not in ("http", "https", "mailto"):
                    self.problems.append(f"{tag}[{name}={value}]")


def problems(html: str) -> list[str]:
    checker = _Checker()
    checker.feed(html)
    return checker.problems


@pytest.mark.parametrize("payload", PAYLOADS)
def test_markdown_filter_neutralises_payload(payload):
    assert problems(str(render_markdown(payload))) == []


def test_links_get_nofollow_noopener_and_keep_allowed_schemes():
    html = str(render_markdown("[a](https://a.example) [m](mailto:ops@example.com)"))
    assert '<a href="https://a.example" rel="nofollow noopener">a</a>' in html
    assert 'href="mailto:ops@example.com"' in html


def test_markdown_formatting_survives():
    html = str(render_markdown("**bold** _em_ `code`\n\n- one\n- two\n\n> quote"))
    for tag in ("<strong>", "<em>", "<code>", "<ul>", "<li>", "<blockquote>"):
        assert tag in html


def test_tables_render_with_alignment_as_classes():
    html = str(render_markdown("| Region | Errors |\n|:--|--:|\n| eu | ~~40%~~ 2% |\n"))
    for tag in ("<table>", "<thead>", '<th class="md-left">Region</th>', "<tbody>"):
        assert tag in html
    # The pages' CSP refuses inline styles, so alignment must never arrive as one.
    assert '<td class="md-right"><s>40%</s> 2%</td>' in html
    assert "style=" not in html


def test_strikethrough_renders():
    assert str(render_markdown("~~fixed~~ done")) == "<p><s>fixed</s> done</p>\n"


def test_sanitiser_keeps_table_markup_but_not_foreign_classes_or_styles():
    raw = (
        '<table><tr><td class="banner md-left" style="color:red" onclick="x()">x</td></tr></table>'
    )
    assert sanitize(raw) == '<table><tbody><tr><td class="md-left">x</td></tr></tbody></table>'


def test_plain_rendering_drops_markup():
    text = "**bold** & <x> [l](https://a.example)"
    assert render_plain(text) == "bold & <x> l"


def test_the_checker_catches_an_unsanitised_payload():
    # Guard against a test that cannot fail: raw payloads must trip the checker.
    assert problems("<img src=x onerror=alert(1)>") != []
    assert problems('<a href="javascript:alert(1)">x</a>') != []


# The page's own name is on every page, widget, feed and email: it must hold attribute-breaking
# and element-breaking markup as plain text.
HOSTILE_PAGE_NAME = '"><script>alert(1)</script><img src=x onerror=alert(1)>'


def brand_hostile(page, *, css_and_urls: bool = True) -> None:
    """The page's branding filled with the corpus: its name and a footer link per payload
    (as its label). With `css_and_urls`, also the custom CSS and footer link URLs made of
    payloads; there payload text is inert by design (in the page's own stylesheet, or
    an http(s) address), which this module's checks allow and stricter ones would not."""
    links = [{"label": p, "url": f"https://ok.example/{n}"} for n, p in enumerate(PAYLOADS)]
    css = ""
    if css_and_urls:
        links += [
            {"label": "js", "url": "javascript:alert(1)"},
            {"label": "quote", "url": 'https://ok.example/" onmouseover="alert(1)'},
            {"label": "data", "url": "data:text/html,<script>alert(1)</script>"},
            *({"label": p, "url": p} for p in PAYLOADS[:5]),
        ]
        css = "\n".join(PAYLOADS) + "\n</style><script>alert(1)</script>\n</STYLE >x"
    type(page).objects.filter(pk=page.pk).update(
        name=HOSTILE_PAGE_NAME, footer_links=links, custom_css=css
    )


@pytest.fixture
def hostile(page, operator, make_component):
    """Every operator-written field that reaches the public site, filled with the corpus."""
    brand_hostile(page)
    joined = "\n\n".join(PAYLOADS)
    group = services.component_group_create(name=PAYLOADS[0], actor=operator)
    components = [
        make_component(p[:120], description=p, group=group if n % 2 else None)
        for n, p in enumerate(PAYLOADS)
    ]
    incident = services.incident_create(
        name=PAYLOADS[2][:200],
        body=joined,
        actor=operator,
        component_statuses={components[0]: "major_outage"},
    )
    for payload in PAYLOADS[:10]:
        services.incident_update_post(
            incident=incident, status="identified", body=payload, actor=operator
        )
    services.incident_resolve(incident=incident, body=joined, actor=operator)
    services.postmortem_save_draft(incident=incident, body=joined, actor=operator)
    services.postmortem_publish(incident=incident, actor=operator)
    open_incident = services.incident_create(name=PAYLOADS[7], body=joined, actor=operator)
    return incident, open_incident


# Tags the page template itself uses; payloads must add none of them (counted below).
OWN_TAGS = {"<script>", "<style>", "<meta>", "<link>", "<body>", "<details>"}


def _script_free(html: str) -> tuple[list[str], int]:
    found = problems(html)
    return [p for p in found if p not in OWN_TAGS], html.count("<script")


def _own_subscribe_form() -> list[str]:
    """The front page's subscribe form: one <form>, and an <input> per channel radio, per
    channel address, the webhook contact, the page's language (hidden), each component and
    each group with components."""
    from incidents.models import Component, ComponentGroup

    channels = 6
    groups = ComponentGroup.objects.filter(components__isnull=False).distinct().count()
    inputs = 2 * channels + 2 + Component.objects.count() + groups
    return ["<form>"] + ["<input>"] * inputs


def test_corpus_through_every_public_page(client, hostile):
    incident, open_incident = hostile
    for path in ("/", "/history", f"/incidents/{incident.public_id}", "/uptime"):
        response = client.get(path)
        assert response.status_code == 200, path
        html = response.content.decode()
        found, scripts = _script_free(html)
        if path == "/":  # exactly the page's own form; a payload's form or input is extra
            for tag in _own_subscribe_form():
                found.remove(tag)
        if path == "/uptime":  # the component picker
            found.remove("<form>")
        if path == "/history":  # its own filter form: one text field (and a select)
            for tag in ("<form>", "<input>"):
                found.remove(tag)
        assert found == [], (path, found)
        # Only the site's script files: site.js, and live.js on the pages that refresh; and
        # the scripts' words in the page's language (a JSON data block, never run).
        assert scripts == (1 if path in ("/history", "/uptime") else 2) + 1, path
        assert html.count('<script type="application/json" id="site-words">') == 1, path
        assert "alert(1)</script>" not in html
        # No style element at all: the site CSS and the page's own (custom CSS) are files.
        assert "<style" not in html and "</style>" not in html, path
        assert re.search(r'<link rel="stylesheet" href="/brand\.css\?v=[0-9a-f]{12}">', html), path
        # Not vacuous: the name and the footer labels reached the page, as text.
        assert "&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in html, path
        assert "&lt;svg onload=alert(1)&gt;</a>" in html, path


def test_footer_links_keep_only_web_addresses(client, hostile):
    html = client.get("/").content.decode()
    footer = html[html.index("<footer") :]
    hrefs = re.findall(r'href="([^"]*)"', footer)
    assert hrefs, "no footer links rendered"
    for href in hrefs:
        assert href.startswith(("https://ok.example/", "/")), href
    assert "https://ok.example/&#34; onmouseover=&#34;alert(1)" in footer


def test_corpus_through_feeds(client, hostile):
    from xml.etree import ElementTree

    for path, kind in (("/history.atom", "Atom"), ("/history.rss", "RSS")):
        root = ElementTree.fromstring(client.get(path).content)  # noqa: S314 - our own output
        for node in root.iter():
            if node.tag.endswith("summary") or node.tag == "description":
                assert problems(node.text or "") == [], path
        # The page name is the feed's title: text, exactly as entered, not markup.
        titles = [n.text for n in root.iter() if n.tag.endswith("title")]
        assert f"{HOSTILE_PAGE_NAME} status history ({kind})" in titles, (path, titles[:3])
    ics = client.get("/maintenance.ics").content.decode()
    assert "BEGIN:VCALENDAR" in ics and ics.count("BEGIN:VEVENT") == ics.count("END:VEVENT")


# --- headings demoted under the page's own ------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("## What happened\n### Timeline", "<h4>What happened</h4>\n<h5>Timeline</h5>"),
        (
            "# One\n## Two\n### Three\n#### Four",
            "<h4>One</h4>\n<h5>Two</h5>\n<h6>Three</h6>\n<h6>Four</h6>",
        ),
        ("Setext\n======", "<h4>Setext</h4>"),
        ("##### Already deep", "<h5>Already deep</h5>"),  # deeper than needed: left alone
        ("    ## in code", "<pre><code>## in code\n</code></pre>"),  # not a heading
    ],
)
def test_headings_are_demoted_below_the_given_level(text, expected):
    assert str(render_markdown(text, 4)).strip() == expected


def test_without_a_level_headings_stay_as_written():
    assert str(render_markdown("## Two")).strip() == "<h2>Two</h2>"


def test_demoting_keeps_the_sanitisers_guarantees():
    for payload in PAYLOADS:
        html = str(render_markdown(f"# {payload}\n\n{payload}", 4))
        assert problems(html) == [], payload
        assert "<h1" not in html and "<h2" not in html and "<h3" not in html


def test_update_headings_sit_under_the_pages_own(client, site, operator):
    services.incident_update_post(
        incident=site["open"], status="identified", body="# Big\n## Smaller", actor=operator
    )
    html = client.get(f"/incidents/{site['open'].public_id}").content.decode()
    assert "<h4>Big</h4>" in html and "<h5>Smaller</h5>" in html
    assert "<h1>Big" not in html
    # In the history, under each item's <h4>.
    assert "<h5>Big</h5>" in client.get("/history").content.decode()
