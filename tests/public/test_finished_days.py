"""The finished-day cache (statuspage/public/finished_days.py): after a change, `/` and
`/uptime` recount only today; the days that are over come from the cache until history is
rewritten (a backdated change, an incident edit or deletion, an import), which must show."""

from __future__ import annotations

import re
from datetime import timedelta

from django.core.cache import cache
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from incidents import services
from incidents.models import Component, ComponentStatusChange, Page
from incidents.services.common import generation_cache_key, public_changed
from statuspage import public_cache
from statuspage.public import finished_days
from tests.incidents.test_import_statuspage import T0, serving, source_page


def _fresh_documents() -> None:
    """A new generation's documents must render, while the finished days stay cached (as
    after a change: cached documents are keyed on the generation, the days on history)."""
    public_cache.local.clear()
    cache.delete(generation_cache_key(Page.objects.order_by("id").values_list("id", flat=True)[0]))


def _render(client, path="/"):
    _fresh_documents()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200
    return response.content.decode(), len(queries)


def _cells(html: str, name: str) -> list[str]:
    bar = re.search(rf'aria-label="Daily uptime of {name}, last 90 days">(.*?)</ol>', html, re.S)
    assert bar is not None
    return re.findall(r"<li[^>]*>.*?</li>", bar.group(1))


def _day(days_ago: int) -> str:
    return (timezone.now() - timedelta(days=days_ago)).strftime("%b %-d, %Y")


def _cell(html: str, name: str, days_ago: int) -> str:
    return _cells(html, name)[-1 - days_ago]


def _cached_entries(page_row=None) -> int:
    page = page_row or Page.objects.get()
    components = list(Component.objects.all())
    today = timezone.now().astimezone(page.tz).date()
    return len(finished_days.load(components, page=page, today=today, days=90))


def test_past_days_are_counted_once_then_only_today(client, page, api, operator):
    cold, cold_queries = _render(client)
    assert _cached_entries() == 1
    assert len(_cells(cold, "API")) == 90
    # A change to today: only today's cell is new, the same queries are made.
    services.component_status_set(component=api, status="major_outage", actor=operator)
    warm, warm_queries = _render(client)
    assert warm_queries == cold_queries
    assert _cells(warm, "API")[:-1] == _cells(cold, "API")[:-1]
    assert "major outage" in _cell(warm, "API", 0)
    assert "major outage" not in _cell(cold, "API", 0)


def test_a_write_that_bypasses_history_stays_hidden_an_edit_of_past_history_shows(
    client, page, api, operator
):
    incident = services.incident_create(
        name="Old outage", body="Down.", actor=operator,
        component_statuses={api: "major_outage"}, at=timezone.now() - timedelta(days=3),
    )  # fmt: skip
    services.incident_resolve(
        incident=incident,
        body="Up.",
        actor=operator,
        at=timezone.now() - timedelta(days=3) + timedelta(hours=1),
    )
    before, queries = _render(client)
    assert "Old outage" in _cell(before, "API", 3)

    # The cache is what serves the past: a change written behind the services' back (that
    # bumps the generation but not the history) does not reach the past days.
    ComponentStatusChange.objects.filter(component=api).delete()
    with transaction.atomic():
        public_changed()
    hidden, _ = _render(client)
    assert _cell(hidden, "API", 3) == _cell(before, "API", 3)
    assert "major outage 1 h" in _cell(hidden, "API", 3)

    # A rename is an edit of past history: the past day names the incident anew.
    services.incident_edit(incident=incident, actor=operator, name="Database outage")
    renamed, renamed_queries = _render(client)
    assert renamed_queries == queries
    assert "Database outage" in _cell(renamed, "API", 3)
    assert "Old outage" not in renamed
    # ... and the past is recounted from the log as it now is (the deleted rows are gone).
    assert "major outage" not in _cell(renamed, "API", 3)


def test_a_backdated_status_change_reaches_the_finished_day(client, page, api, operator):
    before, _ = _render(client)
    assert "no downtime" in _cell(before, "API", 2)
    two_days_ago = timezone.now() - timedelta(days=2)
    services.component_status_set(
        component=api, status="partial_outage", actor=operator, at=two_days_ago
    )
    services.component_status_set(
        component=api, status="operational", actor=operator, at=two_days_ago + timedelta(hours=2)
    )
    after, _ = _render(client)
    assert f"{_day(2)}: partial outage 2 h" in _cell(after, "API", 2)


def test_deleting_an_incident_removes_its_name_from_past_days(client, page, api, operator):
    incident = services.incident_create(
        name="Gone soon", body="Down.", actor=operator,
        component_statuses={api: "degraded_performance"}, at=timezone.now() - timedelta(days=5),
    )  # fmt: skip
    services.incident_resolve(
        incident=incident, body="Up.", actor=operator, at=timezone.now() - timedelta(days=4)
    )
    before, _ = _render(client)
    assert "Gone soon" in _cell(before, "API", 5)
    services.incident_delete(incident=incident, actor=operator)
    after, _ = _render(client)
    assert "Gone soon" not in after
    # Its logged downtime stays: the log of the past is kept.
    assert "degraded performance" in _cell(after, "API", 5)


def test_an_import_of_past_history_invalidates_the_finished_days(client, page, clock, operator):
    # The page already shows the component the import will bring history for.
    clock.move_to(T0 + timedelta(days=30))
    api = services.component_create(name="API", actor=operator, created_at=T0 - timedelta(days=30))
    Component.objects.filter(pk=api.pk).update(public_id="cmpapi000001")
    before, _ = _render(client)
    assert "API errors" not in before and _cached_entries() == 1
    version = Page.objects.get().history_version

    with serving(source_page()) as url:
        call_command("import_statuspage", url)
    assert Page.objects.get().history_version > version
    after, after_queries = _render(client)
    # The source's outage of T0 (30 days ago) is on the bar now.
    assert "major outage" in _cell(after, "API", 30)
    assert "major outage" not in _cell(before, "API", 30)
    # The same page, with the same queries, as a render with every cache emptied.
    cache.clear()
    scratch, scratch_queries = _render(client)
    assert after_queries == scratch_queries
    assert _cells(after, "API") == _cells(scratch, "API")


def test_uptime_figures_use_the_same_cache(client, page, api, operator):
    services.component_status_set(
        component=api, status="major_outage", actor=operator,
        at=timezone.now() - timedelta(days=1, hours=1),
    )  # fmt: skip
    services.component_status_set(
        component=api, status="operational", actor=operator, at=timezone.now() - timedelta(days=1)
    )
    # /uptime alone fills the cache too (whichever page renders first after midnight).
    _render(client, "/uptime")
    assert _cached_entries() == 1
    cache.clear()
    front, _ = _render(client)
    figure = re.search(r'class="figure">([^<]*) uptime', front).group(1)
    page_html, cold_queries = _render(client, "/uptime")
    assert figure in page_html
    # A change to today: the figure counts the cached days plus today.
    services.incident_create(
        name="Now", body="Down.", actor=operator, component_statuses={api: "major_outage"}
    )
    clock_figure = re.search(r'class="figure">([^<]*) uptime', _render(client)[0]).group(1)
    uptime_html, warm_queries = _render(client, "/uptime")
    assert warm_queries == cold_queries
    assert clock_figure in uptime_html


def _same_as_a_full_count(client, html: str, name: str) -> None:
    cache.clear()
    scratch, _ = _render(client)
    assert _cells(html, name) == _cells(scratch, name)


def test_reopening_an_incident_resolved_days_ago_lists_it_on_the_days_since(
    client, page, api, operator
):
    incident = services.incident_create(
        name="Flaky queue", body="Down.", actor=operator,
        component_statuses={api: "partial_outage"}, at=timezone.now() - timedelta(days=4),
    )  # fmt: skip
    services.incident_resolve(
        incident=incident, body="Up.", actor=operator, at=timezone.now() - timedelta(days=3)
    )
    before, _ = _render(client)
    assert "Flaky queue" not in _cell(before, "API", 2)
    services.incident_reopen(
        incident=incident, status="investigating", body="Back.", actor=operator
    )
    after, _ = _render(client)
    assert "Flaky queue" in _cell(after, "API", 2)
    _same_as_a_full_count(client, after, "API")


def test_a_component_added_to_an_incident_begun_days_ago_shows_it_on_those_days(
    client, page, api, make_component, operator
):
    db = make_component("Database")
    incident = services.incident_create(
        name="Slow writes", body="Slow.", actor=operator,
        component_statuses={api: "degraded_performance"}, at=timezone.now() - timedelta(days=2),
    )  # fmt: skip
    before, _ = _render(client)
    assert "Slow writes" not in _cell(before, "Database", 1)
    services.incident_update_post(
        incident=incident, status="identified", body="The database too.", actor=operator,
        component_statuses={db: "degraded_performance"},
    )  # fmt: skip
    after, _ = _render(client)
    assert "Slow writes" in _cell(after, "Database", 1)
    _same_as_a_full_count(client, after, "Database")
