"""/system-metrics: monitors' response times and custom metrics as SVG charts with their
numbers, a day, a week or a month; linked from / only when there is something to chart;
cached per generation and per step of the chart."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incidents.services import Actor
from statuspage import public_cache
from statuspage.monitors.custom_metrics import metric_data_add, metric_save
from statuspage.monitors.models import Monitor
from statuspage.monitors.rollups import rollup_add
from statuspage.monitors.services import monitor_delete, monitor_save
from tests.public.conftest import reset_read_path

pytestmark = pytest.mark.frozen_at("2026-11-18T12:02:00+00:00")
NOW = datetime(2026, 11, 18, 12, 2, tzinfo=UTC)
ADMIN = Actor(label="alice", via="dashboard")


@pytest.fixture
def monitor(api):
    return monitor_save(
        actor=ADMIN,
        monitor=None,
        data={"name": "Health", "kind": "tcp", "host": "192.0.2.1", "port": 443,
              "component_id": api.public_id},
    )  # fmt: skip


@pytest.fixture
def metric(web):
    return metric_save(
        actor=ADMIN,
        metric=None,
        data={"name": "Queue depth", "suffix": "jobs", "component_id": web.public_id},
    )


def _html(client, path="/system-metrics"):
    response = client.get(path)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_nothing_to_chart_is_a_404_and_the_front_page_does_not_link_it(client, page, api):
    assert client.get("/system-metrics").status_code == 404
    assert "/system-metrics" not in _html(client, "/")


def test_a_monitor_is_charted_with_its_numbers_and_the_front_page_links_it(client, monitor):
    assert 'href="/system-metrics"' in _html(client, "/")
    rollup_add(
        monitor_id=monitor.pk,
        points=[(NOW - timedelta(minutes=30), 120.0), (NOW - timedelta(minutes=29), 80.0),
                (NOW - timedelta(minutes=10), None)],
    )  # fmt: skip
    body = _html(client)
    svg = re.search(r'<svg class="chart".*?</svg>', body, re.S).group(0)
    assert 'role="img"' in svg and "<title" in svg and "<desc" in svg
    assert "Average 100 ms, lowest 80 ms, highest 120 ms, latest 100 ms." in svg
    assert svg.count("<polyline") == 0  # one 5-minute step with values: a short mark
    assert svg.count('class="failed"') == 1  # the step whose check failed
    # The table: an hour a row (from the window's start), one holds both values and the failure.
    assert re.search(
        r"<th scope=\"row\">11:05</th><td>100</td><td>80</td><td>120</td><td>1</td>", body
    )
    for path in ("/system-metrics/week", "/system-metrics/month"):
        assert "<svg" in _html(client, path)
    assert client.get("/system-metrics/year").status_code == 404


def test_custom_metric_points_draw_a_line_under_their_component(
    client, metric, web, django_capture_on_commit_callbacks
):
    metric_data_add(
        points_by_metric={metric: [(NOW - timedelta(hours=h), float(h)) for h in range(1, 6)]}
    )
    body = _html(client)
    assert "Web · Queue depth" in body and "<polyline" in body
    assert "(jobs)" in body
    with django_capture_on_commit_callbacks(execute=True):
        metric_save(actor=ADMIN, metric=metric, data={"display": False})
    public_cache.local.clear()  # this process's generation memo (half a second) ends
    assert client.get("/system-metrics").status_code == 404


def test_the_chart_is_cached_for_its_step_then_rendered_again(client, monitor, clock):
    first = _html(client)
    rollup_add(monitor_id=monitor.pk, points=[(NOW, 50.0)])
    with CaptureQueriesContext(connection) as ctx:
        assert _html(client) == first
    assert len(ctx.captured_queries) <= 1  # the generation, at most
    clock.move_to(NOW + timedelta(minutes=5))
    assert "latest 50 ms" in _html(client)


def test_monitor_changes_reach_the_public_pages_at_once(
    client, monitor, django_capture_on_commit_callbacks
):
    assert 'href="/system-metrics"' in _html(client, "/")
    with django_capture_on_commit_callbacks(execute=True):
        monitor_delete(actor=ADMIN, monitor=Monitor.objects.get(pk=monitor.pk))
    public_cache.local.clear()  # this process's generation memo (half a second) ends
    assert "/system-metrics" not in _html(client, "/")


def test_the_query_count_does_not_grow_with_series(client, api, web, monitor, metric):
    def cold() -> int:
        reset_read_path()
        with CaptureQueriesContext(connection) as ctx:
            _html(client, "/system-metrics/week")
        return len(ctx.captured_queries)

    few = cold()
    for n in range(5):
        extra = monitor_save(
            actor=ADMIN,
            monitor=None,
            data={
                "name": f"M{n}",
                "kind": "dns",
                "host": "example.com",
                "component_id": api.public_id,
            },
        )
        rollup_add(monitor_id=extra.pk, points=[(NOW - timedelta(hours=n), 10.0 * n)])
    assert cold() == few


def test_the_charts_in_a_language_use_its_words_numbers_and_dates(client, monitor):
    """/de/system-metrics is the German page: the catalogs' words, German figures ("1.234"),
    German dates on the axis and in the table, links that keep the language."""
    rollup_add(
        monitor_id=monitor.pk,
        points=[(NOW - timedelta(minutes=30), 1234.0), (NOW - timedelta(minutes=29), 1234.0)],
    )
    english = _html(client)
    assert "Average 1,234 ms" in english
    german = _html(client, "/de/system-metrics")
    assert '<html lang="de"' in german
    assert "1.234 ms" in german and "1,234" not in german
    assert "Average" not in german
    # The period links keep the language; the page names its other languages.
    assert 'href="/de/system-metrics/week"' in german
    assert re.search(r'<link rel="alternate" hreflang="ja" href="[^"]*/ja/system-metrics"', german)
    week_en, week_de = (
        _html(client, "/system-metrics/week"),
        _html(client, "/de/system-metrics/week"),
    )
    assert "Nov 18" in week_en and "Nov 18" not in week_de
    assert "18. Nov." in week_de and "2026-11-1" not in week_de
    assert re.search(r'<th scope="row">1\d\. Nov\.</th>', week_de)
    # Each language is its own cached document.
    assert "1,234" in _html(client) and "1.234" in _html(client, "/de/system-metrics")


def test_a_language_the_install_does_not_offer_has_no_charts(client, monitor, settings):
    settings.PUBLIC_LANGUAGES = ["en", "de"]
    assert client.get("/de/system-metrics").status_code == 200
    assert client.get("/fr/system-metrics/week").status_code == 404
