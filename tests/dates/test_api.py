"""The JSON APIs at the EDGES: date ranges are the page's local days, and every timestamp
carries the offset its own instant had in the page's zone (not today's)."""

from __future__ import annotations

from datetime import timedelta

from incidents import services
from statuspage.access.models import Role


def test_uptime_ranges_are_read_in_local_days(edge, v1, page_url, api):
    client = v1(Role.VIEWER)
    url = page_url(f"components/{api.public_id}/uptime")
    today = edge.today.isoformat()
    data = client.get(url, {"start": today, "end": today}).json()
    assert (data["range_start"], data["range_end"]) == (today, today)
    assert data["uptime_percentage"] == 100
    oldest = (edge.today - timedelta(days=365)).isoformat()
    assert client.get(url, {"start": oldest}).status_code == 200
    for bad in (
        {"end": (edge.today + timedelta(days=1)).isoformat()},
        {"start": (edge.today - timedelta(days=366)).isoformat()},
    ):
        response = client.get(url, bad)
        assert response.status_code == 400, bad
        assert response.json()["errors"]


def test_timestamps_carry_the_offset_of_their_own_instant(client, edge, api, operator):
    started = edge.local(edge.today - timedelta(days=1), 1, 30)
    if edge.long_day:  # before the clocks changed, that day
        started = edge.local(edge.long_day[0], 1, 30)
    incident = services.incident_create(
        name="Night outage",
        body="Down.",
        actor=operator,
        component_statuses={api: "major_outage"},
        at=started,
        backfilled=True,
    )
    data = client.get(f"/api/v2/incidents/{incident.public_id}.json").json()["incident"]
    assert data["created_at"] == started.isoformat(timespec="milliseconds")
    if edge.long_day:
        now_offset = edge.now.strftime("%z")
        assert not data["created_at"].endswith(f"{now_offset[:3]}:{now_offset[3:]}")
