"""deploy/cdn-published-path.js, the CDN function that maps a reader's request to its published
object: run in node against the publisher's own layout (statuspage/publish/layout.py) for every
document a publish writes, and against the queries readers add. Skipped where node is not
installed (CI installs nodejs)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from urllib.parse import parse_qsl

import pytest
from django.conf import settings

from statuspage.public.negotiation import front_page
from statuspage.publish.layout import object_key
from statuspage.publish.services import publish_site

FUNCTION = Path(settings.BASE_DIR) / "deploy" / "cdn-published-path.js"
# Loads the function as CloudFront does (a script, no modules) and answers each case on stdin.
HARNESS = """
const vm = require("vm");
const fs = require("fs");
const sandbox = {};
vm.runInNewContext(fs.readFileSync(process.argv[1], "utf8"), sandbox);
const cases = JSON.parse(fs.readFileSync(0, "utf8"));
const answers = cases.map(([uri, params, given]) => {
    const querystring = {};
    for (const [name, value] of params) querystring[name] = {value};
    const headers = {};
    for (const [name, value] of Object.entries(given)) headers[name] = {value};
    const event = {version: "1.0", request: {method: "GET", uri, querystring, headers}};
    const request = sandbox.handler(event);
    return [request.uri, Object.keys(request.querystring).length];
});
process.stdout.write(JSON.stringify(answers));
"""


def run_function(requests: list[str], headers: dict[str, str] | None = None) -> list[str]:
    """The object key the function asks the bucket for, per `path?query` request; `headers`
    (lowercase names, as CloudFront gives them) sent with each."""
    node = shutil.which("node") or shutil.which("nodejs")
    if node is None:
        pytest.skip("node is not installed")
    cases = []
    for request in requests:
        path, _, query = request.partition("?")
        cases.append([path, parse_qsl(query, keep_blank_values=True), headers or {}])
    answer = subprocess.run(  # noqa: S603 - the installed node, our own script
        [node, "-e", HARNESS, str(FUNCTION)],
        input=json.dumps(cases).encode(),
        capture_output=True,
        check=True,
        timeout=60,
    )
    keys = []
    for uri, query_left in json.loads(answer.stdout):
        assert query_left == 0, "the bucket must not be sent the query"
        assert uri.startswith("/")
        keys.append(uri[1:])
    return keys


def test_every_published_document_is_found_under_its_key(site, directory):
    report = publish_site(targets=[directory])
    requests = list(report.paths.values())
    # Not vacuous: the page's query forms are among them (`page` and `from` are tested below).
    names = {name for r in requests for name, _ in parse_qsl(r.partition("?")[2])}
    assert {"theme", "id", "component"} <= names, names
    assert run_function(requests) == list(report.paths)
    for key in report.paths:
        assert (directory.current / key).is_file(), key


@pytest.mark.parametrize(
    ("request_path", "published"),
    [
        ("/", "/"),
        ("/history/", "/history"),
        ("/history?utm_source=mail", "/history"),
        ("/history?page=2&utm_source=mail", "/history?page=2"),
        ("/history?page=2&from=25", "/history?page=2&from=25"),
        ("/api/v2/incidents.json?page=2&_=1700000000", "/api/v2/incidents.json?page=2"),
        ("/history?page=../../etc/passwd", "/history"),
        ("/uptime?component=a/b", "/uptime"),
        ("/badge.svg?theme=dark", "/badge.svg?theme=dark"),
    ],
)
def test_queries_readers_add_are_dropped_and_nothing_else_reaches_the_bucket(
    request_path, published
):
    path, _, query = published.partition("?")
    assert run_function([request_path]) == [object_key(path, query)]


@pytest.mark.parametrize(
    ("accept", "agent", "key"),
    [
        ("text/markdown", "agent/1.0", "index.md"),
        ("text/markdown, text/html;q=0.9", "agent/1.0", "index.md"),
        (None, "curl/8.5.0", "index.md"),
        ("*/*", "Wget/1.21", "index.md"),
        ("text/html,application/xhtml+xml,*/*;q=0.8", "Mozilla/5.0", "index.html"),
        ("*/*", "monitor/2", "index.html"),
        ("application/json", "curl/8.5.0", "index.html"),
        (None, None, "index.html"),
    ],
)
def test_the_front_page_in_the_form_the_reader_asks_for(accept, agent, key):
    """As the origin answers `/` (statuspage/public/negotiation.py): checked against it."""
    headers = {k: v for k, v in [("accept", accept), ("user-agent", agent)] if v is not None}
    assert run_function(["/"], headers) == [key]
    origin = front_page(lambda name: headers.get(name.lower()))
    assert (origin.name == "md") == (key == "index.md")
