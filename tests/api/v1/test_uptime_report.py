"""GET /api/v1/pages/{page_id}/uptime-report: every component's uptime over a range of the
page's days, JSON errors included."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from incidents import services
from statuspage.access.models import Role
from statuspage.api.v1.openapi import document

pytestmark = [pytest.mark.django_db, pytest.mark.frozen_at("2026-11-18T12:00:00+00:00")]


def test_the_report_of_a_range(v1, page_url, page, api, web, operator):
    services.component_status_set(
        component=api, status="partial_outage", actor=operator,
        at=datetime(2026, 11, 2, 10, tzinfo=UTC),
    )  # fmt: skip
    services.component_status_set(
        component=api, status="operational", actor=operator,
        at=datetime(2026, 11, 2, 12, tzinfo=UTC),
    )  # fmt: skip
    response = v1(Role.VIEWER).get(
        page_url("uptime-report"), {"from": "2026-11-01", "to": "2026-11-10"}
    )
    assert response.status_code == 200
    data = response.json()
    assert (data["from"], data["to"], data["time_zone"]) == ("2026-11-01", "2026-11-10", "Etc/UTC")
    rows = {row["name"]: row for row in data["components"]}
    assert rows["API"]["id"] == api.public_id
    assert rows["API"]["partial_outage_seconds"] == 7200
    assert rows["API"]["downtime_seconds"] == round(7200 * float(page.partial_outage_weight))
    assert rows["API"]["tracked_seconds"] == 10 * 86400
    assert rows["Web"]["uptime_percentage"] == 100
    assert rows["Web"]["measured_by_monitors_since"] is None
    # The .json spelling answers the same.
    again = v1(Role.VIEWER).get(
        page_url("uptime-report.json"), {"from": "2026-11-01", "to": "2026-11-10"}
    )
    assert again.json() == data


def test_without_a_range_it_is_this_month_so_far(v1, page_url, api):
    data = v1(Role.VIEWER).get(page_url("uptime-report")).json()
    assert (data["from"], data["to"]) == ("2026-11-01", "2026-11-18")
    assert data["components"][0]["tracked_seconds"] == 17 * 86400 + 12 * 3600


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"from": "nope"}, "from"),
        ({"to": "2026-11-19"}, "to"),
        ({"from": "2026-11-10", "to": "2026-11-01"}, "from"),
        ({"from": "2025-01-01"}, "from"),
        ({"to": "2026-02-30"}, "to"),
    ],
)
def test_a_bad_range_is_a_json_400_naming_the_parameter(v1, page_url, api, query, field):
    response = v1(Role.VIEWER).get(page_url("uptime-report"), query)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert field in response.json()["errors"]


def test_other_pages_and_keys_get_json_errors(v1, client, page_url):
    unknown = v1(Role.VIEWER).get("/api/v1/pages/nosuchpage00/uptime-report")
    assert unknown.status_code == 404 and unknown["Content-Type"] == "application/json"
    anonymous = client.get(page_url("uptime-report"))
    assert anonymous.status_code == 401 and anonymous["Content-Type"] == "application/json"


def test_it_is_documented():
    operation = document()["paths"]["/pages/{page_id}/uptime-report"]["get"]
    assert {p["name"] for p in operation["parameters"]} == {"from", "to"}
    assert "400" in operation["responses"]
    assert "UptimeReport" in document()["components"]["schemas"]
