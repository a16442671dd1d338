"""Upstream providers in a real browser, light and dark, at 360 px and on a desktop: the
dashboard's list (with the catalogue) and a provider's page (facts, mapping, settings), and
the public front page crediting a mirrored incident. Nothing scrolls sideways, axe-core finds
no serious violation. Screenshots:
test-artifacts/upstream-{list,provider,public}-<width>-<scheme>.png.
"""

from __future__ import annotations

import pytest

from tests.e2e.dashboard_fixtures import *  # noqa: F403
from tests.e2e.dashboard_fixtures import console_problems, new_dash_page
from tests.e2e.test_dashboard import _sign_in
from tests.e2e.test_dashboard_deliveries import _axe_serious, _overflow

WIDTHS = (360, 1280)


def _followed():
    """A provider as a few polls leave it (no network here): one component following GitHub
    Actions, a mirrored incident, and a second provider that is failing."""
    from django.utils import timezone

    from incidents import services
    from incidents.models import Component
    from statuspage.upstream.models import ComponentLink, MirroredIncident, Provider

    now = timezone.now()
    actions = Component.objects.get(name="API")
    github = Provider.objects.create(
        name="GitHub",
        page_url="https://www.githubstatus.com",
        kind=Provider.Kind.STATUSPAGE,
        endpoint="https://www.githubstatus.com/api/v2/summary.json",
        snapshot={
            "page": "GitHub",
            "components": [
                {"id": "a", "name": "Git Operations", "status": "operational"},
                {"id": "b", "name": "Actions", "status": "major_outage"},
                {
                    "id": "c",
                    "name": "Copilot and its very long component name",
                    "status": "operational",
                },
            ],
            "incidents": [],
        },
        polls=12,
        not_modified=9,
        last_polled_at=now,
        last_ok_at=now,
    )
    ComponentLink.objects.create(
        provider=github, upstream_id="b", upstream_name="Actions", component=actions
    )
    Provider.objects.create(
        name="Example Cloud",
        page_url="https://status.example-cloud-provider.com/history.atom",
        kind=Provider.Kind.FEED,
        endpoint="https://status.example-cloud-provider.com/history.atom",
        failures=3,
        last_error="Connection failed: [Errno 111] Connection refused.",
        last_polled_at=now,
        polls=3,
    )
    incident = services.incident_create(
        name="GitHub: Disruption with GitHub Actions",
        body="We are investigating.\n\n*Reported by GitHub* · "
        "[View this incident on stspg.io](https://stspg.io/abc123)",
        impact_override="major",
        actor=services.SYSTEM,
    )
    MirroredIncident.objects.create(
        provider=github, upstream_id="x1", incident=incident, link="https://stspg.io/abc123"
    )
    return github


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_upstream_screens_read_well(
    scheme, dash_site, dash_admin, dash_browser, dash_artifacts, axe_source
):
    _user, device = dash_admin
    github = _followed()
    page = new_dash_page(dash_browser, color_scheme=scheme)
    pages = {
        "list": "/dashboard/upstream/",
        "provider": f"/dashboard/upstream/{github.pk}/",
        "public": "/",
    }
    try:
        _sign_in(page, dash_site, device)
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 800})
            for name, path in pages.items():
                assert page.goto(f"{dash_site}{path}").status == 200, path
                assert _overflow(page) <= 0, f"{name} at {width}"
                page.screenshot(
                    path=str(dash_artifacts / f"upstream-{name}-{width}-{scheme}.png"),
                    full_page=True,
                )
                assert _axe_serious(page, axe_source) == [], f"{name} at {width}"
        page.goto(f"{dash_site}/")
        credit = page.locator("p.source").first
        assert credit.inner_text() == "Reported by GitHub · View on GitHub’s status page"
        assert credit.locator("a").get_attribute("href") == "https://stspg.io/abc123"
        page.goto(f"{dash_site}/dashboard/upstream/{github.pk}/")
        chosen = page.locator("select[name=up_1]")
        assert chosen.evaluate("e => e.selectedOptions[0].textContent") == "API"
        assert page.csp_violations == []
        assert console_problems(page) == []
    finally:
        page.context.close()
