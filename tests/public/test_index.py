"""The front page: banner, incidents, maintenance, components, uptime bars, past incidents."""

from __future__ import annotations

import re
from datetime import timedelta

from django.utils import timezone

from incidents import services
from incidents.models import Page


def get_html(client, path="/"):
    response = client.get(path)
    assert response.status_code == 200
    return response.content.decode()


def test_banner_shows_indicator_and_description(client, site):
    html = get_html(client)
    assert 'class="banner ind-major"' in html
    assert "Partial System Outage" in html


def test_all_operational_banner(client, page, api):
    html = get_html(client)
    assert 'class="banner ind-none"' in html
    assert "All Systems Operational" in html


def test_active_incident_timeline_newest_first_with_components(client, site):
    html = get_html(client)
    active = html[html.index('id="h-active"') : html.index('id="h-components"')]
    assert "API errors" in active
    assert active.index("Cause identified.") < active.index("investigating</strong> errors.")
    assert "<strong>investigating</strong>" in active  # Markdown rendered
    assert "Affects: API" in active
    assert "Slow website" not in active  # resolved incidents are not active


def test_scheduled_maintenance_with_window(client, site):
    html = get_html(client)
    section = html[html.index('id="h-maint-upcoming"') : html.index('id="h-components"')]
    assert "Database upgrade" in section
    assert section.count("<time ") >= 2  # start and end of the window
    assert "Affects: Database" in section


def test_group_expanded_when_a_child_is_not_operational(client, site):
    html = get_html(client)
    group_tag = re.search(r'<details class="group" id="g-[0-9a-z]+"[^>]*>', html).group(0)
    assert " open" in group_tag


def test_collapsed_group_stays_closed_when_all_operational(client, page, operator, make_component):
    group = services.component_group_create(name="Edge", actor=operator, collapsed=True)
    make_component("CDN", group=group)
    html = get_html(client)
    group_tag = re.search(r'<details class="group"[^>]*>', html).group(0)
    assert " open" not in group_tag


def test_status_is_written_not_only_coloured(client, site):
    html = get_html(client)
    assert "Partial outage</span>" in html
    assert "Operational</span>" in html


def test_description_tooltip_is_keyboard_reachable(client, site):
    html = get_html(client)
    assert 'tabindex="0" role="img" aria-label="About API: The public REST API"' in html
    assert 'data-tip="The public REST API"' in html


def test_only_show_if_degraded_hidden_while_operational(client, page, operator, make_component):
    hidden = make_component("Batch jobs", only_show_if_degraded=True)
    make_component("Website")
    assert "Batch jobs" not in get_html(client)
    services.component_status_set(component=hidden, status="major_outage", actor=operator)
    from tests.public.conftest import reset_read_path

    reset_read_path()
    assert "Batch jobs" in get_html(client)


def test_uptime_bars_have_90_days_percent_and_day_tooltips(client, site):
    html = get_html(client)
    bars = re.search(r'<ol class="bars" aria-label="Daily uptime of Website[^"]*">(.*?)</ol>', html)
    days = re.findall(r"<li[^>]*>", bars.group(1))
    assert len(days) == 90
    assert "Slow website" in bars.group(1)  # the incident is named on its day
    assert "% uptime" in html


def test_days_before_a_component_existed_say_no_data(client, page, make_component):
    make_component("New", start_date=timezone.localdate() - timedelta(days=10))
    html = get_html(client)
    bars = re.search(r'<ol class="bars"[^>]*>(.*?)</ol>', html).group(1)
    assert bars.count(": no data</span>") == 79
    assert bars.count('class="nodata"') == 79
    assert "79 days" not in html and "100.00% uptime, last 90 days" in html


def test_component_without_showcase_has_no_bars(client, page, make_component):
    make_component("Internal", showcase=False)
    html = get_html(client)
    assert "Internal" in html
    assert 'class="bars"' not in html


def test_past_incidents_of_last_seven_days(client, site):
    html = get_html(client)
    past = html[html.index('id="h-past"') :]
    assert "Slow website" in past
    assert past.count("<h3>") == 7


def test_links_to_subscribe_and_history(client, site):
    html = get_html(client)
    assert 'href="/subscribe"' in html
    assert 'href="/history"' in html


def test_times_in_page_zone_with_zone_named(client, site):
    Page.objects.update(time_zone="Europe/Berlin")
    html = get_html(client)
    assert re.search(
        r"<time datetime=\"[^\"]+\" data-local>\w{3} \d+, \d{4} \d\d:\d\d CET</time>", html
    )
    assert "Europe/Berlin" in html
    # The local-time enhancement: a cached file, no inline script.
    assert '<script src="/static/public/site.js" defer></script>' in html
    assert "<script>" not in html


def test_branding_logo_colours_css_and_footer_links(client, page):
    Page.objects.update(
        logo_url="https://cdn.example.com/logo.png",
        accent_color="#123456",
        status_colors={"major_outage": "#aa0000", "partial_outage": "red;}</style><script>"},
        custom_css="body { letter-spacing: 0 } </style><script>alert(1)</script>",
        footer_links=[
            {"label": "Home", "url": "https://example.com"},
            {"label": "Bad", "url": "javascript:alert(1)"},
        ],
    )
    html = get_html(client)
    assert '<img src="https://cdn.example.com/logo.png" alt="">' in html
    assert "<style" not in html  # colours and custom CSS are the page's own stylesheet
    [href] = re.findall(r'<link rel="stylesheet" href="(/brand\.css\?v=[0-9a-f]{12})">', html)
    response = client.get(href)
    assert response["Content-Type"] == "text/css; charset=utf-8"
    css = response.content.decode()
    assert "--accent:#123456;" in css
    assert "--c-major_outage:#aa0000;" in css
    assert "--c-partial_outage" not in css  # invalid colour dropped
    assert "<script>" not in css and "body { letter-spacing: 0 }" in css
    assert "<script>alert(1)" not in html
    assert 'href="https://example.com"' in html
    assert "javascript:" not in html


def test_logo_with_unsafe_scheme_is_dropped(client, page):
    Page.objects.update(logo_url="javascript:alert(1)")
    assert "<img" not in get_html(client)
