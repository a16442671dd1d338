"""What is read from a provider's answer: statuses mapped, junk skipped, endpoints found."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from incidents.services import ServiceError
from statuspage.upstream import parse
from statuspage.upstream.catalogue import CATALOGUE, catalogue_name
from statuspage.upstream.services import endpoint_for


def test_summary_statuses_and_junk():
    body = json.dumps(
        {
            "page": {"name": "  Acme  "},
            "components": [
                {"id": "a", "name": "API", "status": "under_maintenance"},
                {"id": "b", "status": "exploded"},
                {"name": "no id"},
                "junk",
            ],
            "incidents": [
                {"id": "i1", "name": "Down", "status": "postmortem", "impact": "maintenance"},
                {"id": "i2", "name": "", "status": "investigating"},
                {"id": "i3", "name": "Weird", "status": "?", "shortlink": "javascript:alert(1)"},
                7,
            ],
        }
    ).encode()
    snapshot = parse.parse_summary(body)
    assert snapshot["page"] == "Acme"
    assert snapshot["components"] == [
        {"id": "a", "name": "API", "status": "operational"},
        {"id": "b", "name": "b", "status": "operational"},
    ]
    first, weird = snapshot["incidents"]
    assert (first["status"], first["impact"], first["body"]) == ("postmortem", "none", "")
    assert (weird["status"], weird["link"]) == ("investigating", "")


@pytest.mark.parametrize(
    ("url", "kind", "endpoint"),
    [
        (
            "https://www.githubstatus.com",
            "statuspage",
            "https://www.githubstatus.com/api/v2/summary.json",
        ),
        ("https://status.x.com/", "statuspage", "https://status.x.com/api/v2/summary.json"),
        (
            "https://status.x.com/api/v2/summary.json",
            "statuspage",
            "https://status.x.com/api/v2/summary.json",
        ),
        ("https://status.x.com/history.rss", "feed", "https://status.x.com/history.rss"),
        ("https://status.x.com/en/feed", "feed", "https://status.x.com/en/feed"),
    ],
)
def test_endpoints(url, kind, endpoint):
    assert endpoint_for(url) == (kind, endpoint)


def test_bad_endpoints():
    with pytest.raises(ServiceError):
        endpoint_for("mailto:x@y")


def test_feed_entries_without_dates_are_over():
    body = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
        b"<item><title>Something</title><link>https://s.example/1</link></item>"
        b"<item><title>Scheduled maintenance completed</title><guid>2</guid></item>"
        b"</channel></rss>"
    )
    snapshot = parse.parse_feed(body, now=datetime(2026, 11, 18, 12, tzinfo=UTC))
    assert [i["status"] for i in snapshot["incidents"]] == ["resolved", "resolved"]
    assert snapshot["incidents"][0]["id"] == "https://s.example/1"
    assert snapshot["components"][0]["status"] == "operational"


def test_the_catalogue_names_its_pages():
    assert len(CATALOGUE) >= 10
    assert all(url.startswith("https://") and not url.endswith("/") for _, url in CATALOGUE)
    assert catalogue_name("https://www.githubstatus.com/") == "GitHub"
    assert catalogue_name("https://elsewhere.example") is None
