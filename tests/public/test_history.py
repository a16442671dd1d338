"""/history: incidents and maintenance by month, three months per page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from incidents import services
from tests.public.conftest import reset_read_path


@pytest.fixture
def old_incident(page, operator, api):
    """An incident about four months ago: on history page 2."""
    start = timezone.now() - timedelta(days=125)
    incident = services.incident_create(
        name="Old outage",
        body="It broke.",
        actor=operator,
        component_statuses={api: "major_outage"},
        at=start,
        backfilled=True,
    )
    services.incident_resolve(
        incident=incident, body="Fixed.", actor=operator, at=start + timedelta(hours=1)
    )
    return incident


# Mid-month, so the maintenance of `site` (tomorrow) falls in the month shown first.
@pytest.mark.frozen_at("2026-11-18T12:00:00+00:00")
def test_first_page_shows_three_months_with_items(client, site, operator):
    html = client.get("/history").content.decode()
    assert html.count('<section aria-labelledby="m-') == 3
    assert "API errors" in html and "Slow website" in html
    # Maintenance still ahead is not history (the front page and the calendar list it)...
    assert "Database upgrade" not in html
    # ...once its window has begun, it is.
    services.maintenance_start(maintenance=site["maintenance"], actor=operator)
    reset_read_path()
    html = client.get("/history").content.decode()
    assert "Maintenance: Database upgrade" in html
    assert timezone.now().strftime("%B %Y") in html


def test_empty_month_says_so(client, page):
    html = client.get("/history").content.decode()
    assert html.count("No incidents or maintenance reported this month.") == 3
    assert 'rel="next"' not in html


def test_older_history_on_page_two(client, old_incident):
    first = client.get("/history").content.decode()
    assert "Old outage" not in first
    assert 'href="?page=2" rel="next"' in first
    second = client.get("/history?page=2")
    assert second.status_code == 200
    html = second.content.decode()
    assert "Old outage" in html
    assert 'href="?page=1" rel="prev"' in html


def test_page_beyond_history_is_404(client, old_incident):
    assert client.get("/history?page=3").status_code == 404


@pytest.mark.parametrize(
    "bad", ["0", "-1", "x", "1.5", "99999999999999999999", "", "01", "１", "²"]
)
def test_bad_page_number_is_404_not_500(client, page, bad):
    assert client.get(f"/history?page={bad}").status_code == 404
