"""/uptime's list of figures: each group a disclosure headed by its own figure (its members'
tracked and down time added up), ungrouped components as a plain list, 50 components a page
(?page=N, "page N of M"); bad page numbers are a 404; a page's queries do not depend on which
page it is; the picker still offers every component, and naming one shows the page that holds
it."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from incidents import services
from statuspage.public import presenters, uptime
from tests.public.conftest import reset_read_path


def _figure(text: str) -> float:
    return float(text.rstrip("%"))


def _list(html: str) -> str:
    return html[html.index('<section class="uptime-list"') :]


@pytest.fixture
def many(page, operator, make_component):
    """Core (60 components, C00-C59), then 45 ungrouped ones (L00-L44): 105 rows, 3 pages."""
    core = services.component_group_create(name="Core", actor=operator, collapsed=True)
    grouped = [make_component(f"C{n:02d}", group=core) for n in range(60)]
    loose = [make_component(f"L{n:02d}") for n in range(45)]
    services.component_status_set(
        component=grouped[55], status="major_outage", actor=operator,
        at=timezone.now() - timedelta(hours=3),
    )  # fmt: skip
    return {"core": core, "grouped": grouped, "loose": loose}


def test_a_group_is_a_disclosure_with_its_own_figure(client, site, operator):
    services.component_status_set(
        component=site["db"], status="major_outage", actor=operator,
        at=timezone.now() - timedelta(hours=5),
    )  # fmt: skip
    html = _list(client.get("/uptime").content.decode())
    group = re.search(
        rf'<details class="group" id="ug-{site["api"].group.public_id}" open>'
        r'\s*<summary><span class="row"><span>Core</span> <span class="gfig">([\d.]+%)</span>',
        html,
    )
    assert group, html[:600]
    members = dict(re.findall(r">(API|Database)</a></span> <span>([\d.]+%)</span>", html))
    assert set(members) == {"API", "Database"}
    # Both tracked since the same day: the group's share is their mean (each rounded down).
    mean = (_figure(members["API"]) + _figure(members["Database"])) / 2
    assert _figure(members["Database"]) < _figure(group.group(1)) < _figure(members["API"])
    assert abs(_figure(group.group(1)) - mean) <= 0.011
    # Website is ungrouped: listed as before, outside any disclosure.
    assert re.search(
        r"</details>\s*<ul class=\"figures\"><li><span class=\"who\"><a [^>]*>Website</a>", html
    )
    assert "page 1 of" not in html and 'class="pager"' not in html  # one page: no pager


def test_a_group_without_the_chosen_component_starts_closed(client, site):
    html = _list(client.get(f"/uptime?component={site['web'].public_id}").content.decode())
    assert f'<details class="group" id="ug-{site["api"].group.public_id}">' in html


def test_group_figure_weighs_tracked_time_and_skips_components_without_data(site):
    api, db, web = site["api"], site["db"], site["web"]
    day = 86400.0
    totals = {api.id: (day, 0.0), db.id: (9 * day, 0.1 * day), web.id: (0.0, 0.0)}
    assert uptime.group_figure([api, db, web], totals) == "99.00%"  # 0.1 of 10 days down
    assert uptime.group_figure([web], totals) == "no data yet"


def test_fifty_components_a_page_groups_continuing_across_pages(client, many):
    first = _list(client.get("/uptime").content.decode())
    assert "Components 1–50 of 105 · page 1 of 3" in first
    assert re.findall(r">(C\d\d|L\d\d)</a>", first) == [f"C{n:02d}" for n in range(50)]
    assert "(1–50 of 60)" in first and " open>" in first  # holds the first (chosen) component
    assert '<a href="?page=2" rel="next">Next →</a>' in first and 'rel="prev"' not in first

    second = _list(client.get("/uptime?page=2").content.decode())
    assert "Components 51–100 of 105 · page 2 of 3" in second
    names = re.findall(r">(C\d\d|L\d\d)</a>", second)
    assert names == [f"C{n:02d}" for n in range(50, 60)] + [f"L{n:02d}" for n in range(40)]
    assert "(51–60 of 60)" in second
    # The group's figure is over all 60 members on every page it appears on.
    figures = re.findall(r'class="gfig">([^<]+)<', first + second)
    assert len(figures) == 2 and figures[0] == figures[1] and figures[0] != "100.00%"
    assert '<a href="?page=1" rel="prev">' in second and '<a href="?page=3" rel="next">' in second

    third = _list(client.get("/uptime?page=3").content.decode())
    assert re.findall(r">(C\d\d|L\d\d)</a>", third) == [f"L{n:02d}" for n in range(40, 45)]
    assert "<details" not in third and 'rel="next"' not in third


def test_the_picker_reaches_every_page(client, many):
    html = client.get("/uptime?page=3").content.decode()
    picker = html[html.index('<select id="pick-component"') : html.index("</select>")]
    assert picker.count("<option ") == 105
    # Picking a component listed on another page shows its calendars and the page holding it.
    target = many["grouped"][55]
    picked = client.get("/uptime", {"component": target.public_id}).content.decode()
    assert '<h3 id="u-chosen">C55</h3>' in picked
    assert "page 2 of 3" in picked
    assert f'href="?component={target.public_id}" aria-current="page">C55<' in picked
    assert f'<details class="group" id="ug-{many["core"].public_id}" open>' in picked
    # Its page links keep it chosen.
    assert f'href="?page=3&amp;component={target.public_id}" rel="next"' in picked
    kept = client.get(f"/uptime?page=3&component={target.public_id}").content.decode()
    assert '<h3 id="u-chosen">C55</h3>' in kept and "page 3 of 3" in kept


@pytest.mark.parametrize("value", ["0", "4", "02", "-1", "x", "1.0", " 1", "²", "9" * 30])
def test_bad_page_numbers_are_404(client, many, value):
    response = client.get("/uptime", {"page": value})
    assert response.status_code == 404


def test_an_empty_page_parameter_is_the_first_page(client, many):
    html = client.get("/uptime?page=").content.decode()
    assert "page 1 of 3" in html


def test_each_page_is_its_own_cached_document(client, many):
    reset_read_path()
    second = client.get("/uptime?page=2").content
    third = client.get("/uptime?page=3").content
    assert second != third
    with CaptureQueriesContext(connection) as ctx:
        assert client.get("/uptime?page=2").content == second
        assert client.get("/uptime?component=&page=3").content == third
    assert len(ctx.captured_queries) <= 2  # the generation at most: nothing rendered


def _cold_queries(client, path: str) -> int:
    reset_read_path()
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(path).status_code == 200
    return len(ctx.captured_queries)


def test_queries_do_not_depend_on_the_page(client, many):
    counts = {path: _cold_queries(client, path) for path in ("/uptime", "/uptime?page=2")}
    counts["/uptime?page=3"] = _cold_queries(client, "/uptime?page=3")
    assert len(set(counts.values())) == 1, counts


def test_the_listing_counts_only_what_the_page_needs(many):
    tree_picker = [(many["core"], many["grouped"]), *((None, [c]) for c in many["loose"])]
    third = presenters.uptime_listing(tree_picker, 3)
    assert [c.name for c in third.counted] == [f"L{n:02d}" for n in range(40, 45)]
    second = presenters.uptime_listing(tree_picker, 2)
    assert len(second.counted) == 60 + 40  # the whole group, for its figure
    assert [len(b.shown) for b in second.blocks] == [10, 40]
    assert presenters.uptime_page_of(tree_picker, many["loose"][40]) == 3
    assert presenters.uptime_pages([]) == 1
