"""/history pages hold at most HISTORY_PAGE_ITEMS entries: a busy window continues on
?page=N&from=50, 100, ..., so a page's cost depends on its size, not on the history's."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from incidents.models import Incident, IncidentUpdate
from statuspage.public.presenters import HISTORY_PAGE_ITEMS
from tests.public.conftest import reset_read_path


def _incidents(count: int, *, days: int = 60, first: int = 0) -> None:
    """`count` resolved incidents, one every days/count, newest "Incident {first}"."""
    now = timezone.now()
    step = timedelta(days=days) / count
    rows = Incident.objects.bulk_create(
        Incident(name=f"Incident {first + n}", status="resolved", started_at=now - step * (n + 1),
                 resolved_at=now - step * (n + 1) + step / 2)
        for n in range(count)
    )  # fmt: skip
    IncidentUpdate.objects.bulk_create(
        IncidentUpdate(incident=i, status="resolved", body=f"Fixed {i.name}.",
                       display_at=i.resolved_at, created_at=i.resolved_at)
        for i in rows
    )  # fmt: skip


def _get(client, url: str) -> tuple[str, int]:
    reset_read_path()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode(), queries.captured_queries


def _names(html: str) -> list[int]:
    return [int(n) for n in re.findall(r">Incident (\d+)</a></h4>", html)]


@pytest.mark.frozen_at("2026-11-18T12:00:00+00:00")
def test_page_one_costs_the_same_whatever_the_history_holds(client, page):
    _incidents(HISTORY_PAGE_ITEMS + 10)
    small, small_queries = _get(client, "/history")
    _incidents(1000, first=10_000)  # ten times as many, in the same window
    large, large_queries = _get(client, "/history")
    assert len(large_queries) == len(small_queries)
    assert len(_names(small)) == len(_names(large)) == HISTORY_PAGE_ITEMS
    # Only a page's worth (and one to tell whether more follow) is read: the updates are
    # fetched for at most that many incidents.
    updates = [q["sql"] for q in large_queries if 'FROM "incidents_incidentupdate"' in q["sql"]]
    assert updates
    for sql in updates:
        ids = re.search(r'"incident_id" IN \(([^)]*)\)', sql)
        assert ids is not None and len(ids.group(1).split(",")) <= HISTORY_PAGE_ITEMS + 1


@pytest.mark.frozen_at("2026-11-18T12:00:00+00:00")
def test_a_busy_window_continues_on_from_pages_then_older_months(client, page):
    _incidents(120, days=70)  # all inside page 1's three months
    Incident.objects.create(
        name="Incident 999", status="resolved",
        started_at=timezone.now() - timedelta(days=130),
        resolved_at=timezone.now() - timedelta(days=129),
    )  # fmt: skip
    first, _ = _get(client, "/history")
    assert _names(first) == list(range(50))
    assert 'href="?page=1&amp;from=50" rel="next"' in first
    assert 'rel="prev"' not in first
    # Months older than the last entry shown are on the continuation, not shown empty here.
    assert "No incidents or maintenance reported this month." not in first

    second, _ = _get(client, "/history?page=1&from=50")
    assert _names(second) == list(range(50, 100))
    assert 'href="?page=1" rel="prev"' in second
    assert 'href="?page=1&amp;from=100" rel="next"' in second

    third, _ = _get(client, "/history?page=1&from=100")
    assert _names(third) == list(range(100, 120))
    assert 'href="?page=1&amp;from=50" rel="prev"' in third
    assert 'href="?page=2" rel="next"' in third
    assert _names(_get(client, "/history?page=2")[0]) == [999]


@pytest.mark.frozen_at("2026-11-18T12:00:00+00:00")
@pytest.mark.parametrize("bad", ["0", "25", "050", "x", "-50", "", "150", "1" + "0" * 30, "5²"])
def test_bad_or_empty_continuations_are_404_not_500(client, page, bad):
    _incidents(120, days=80)
    reset_read_path()
    assert client.get(f"/history?page=1&from={bad}").status_code == 404


@pytest.mark.frozen_at("2026-11-18T12:00:00+00:00")
def test_continuations_keep_the_filters(client, page, api):
    _incidents(60)
    Incident.objects.get(name="Incident 3").components.add(api)
    html, _ = _get(client, "/history?q=Incident")
    assert 'href="?page=1&amp;from=50&amp;q=Incident" rel="next"' in html
    narrowed, _ = _get(client, f"/history?component={api.public_id}")
    assert _names(narrowed) == [3] and 'rel="next"' not in narrowed
