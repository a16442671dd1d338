"""/uptime: a monthly calendar per showcased component."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from incidents import services


def test_calendar_for_each_component_three_months(client, site):
    html = client.get("/uptime").content.decode()
    assert html.count('<table class="cal">') == 3 * 3
    assert timezone.now().strftime("%B %Y") in html
    assert "% uptime" in html


def test_downtime_day_is_coloured_and_described(client, page, operator, api):
    services.component_status_set(component=api, status="major_outage", actor=operator,
                                  at=timezone.now() - timedelta(hours=2))  # fmt: skip
    html = client.get("/uptime").content.decode()
    assert '<td class="l4"' in html
    assert ": 2 h" in html or ": 1 h" in html  # split across midnight near 00:00


def test_single_component_filter(client, site):
    html = client.get(f"/uptime?component={site['api'].public_id}").content.decode()
    assert html.count('<table class="cal">') == 3
    assert "Website" not in html.split("<main")[1]


def test_unknown_component_is_404(client, site):
    assert client.get("/uptime?component=zzzzzzzzzzzz").status_code == 404
    assert client.get("/uptime?component=<script>").status_code == 404
