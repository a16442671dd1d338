"""An audience-specific page with two audiences, Alpha and Bravo, and readers of each."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from incidents import page_routes, services
from incidents.models import Page


@pytest.fixture
def audience_site(page, operator, make_component):
    """Alpha sees "Alpha API" and "Shared Login"; Bravo sees "Bravo Billing" and "Shared
    Login". Each has an open incident and a maintenance window of its own; one incident
    touches Shared Login and Bravo Billing (both see it, Alpha without Bravo's component)."""
    Page.objects.filter(pk=page.pk).update(visibility="audience")
    page_routes.changed()  # update() skips the save signal that reloads the routes
    group = services.component_group_create(name="Bravo Group", actor=operator)
    alpha = make_component("Alpha API")
    bravo = make_component("Bravo Billing", group=group)
    shared = make_component("Shared Login")
    now = timezone.now()
    # Backdated first: the status-change log stays in order.
    both = services.incident_create(
        name="Sign-in trouble",
        body="Some sign-ins fail.",
        actor=operator,
        component_statuses={shared: "degraded_performance", bravo: "degraded_performance"},
        at=now - timedelta(days=1),
    )
    services.incident_resolve(
        incident=both, body="Fixed.", actor=operator, at=now - timedelta(hours=20)
    )
    alpha_incident = services.incident_create(
        name="Alpha outage",
        body="Alpha requests fail.",
        actor=operator,
        component_statuses={alpha: "major_outage"},
    )
    bravo_incident = services.incident_create(
        name="Bravo outage",
        body="Bravo invoices are late.",
        actor=operator,
        component_statuses={bravo: "partial_outage"},
    )
    bravo_window = services.maintenance_schedule(
        name="Bravo maintenance",
        scheduled_for=now + timedelta(days=1),
        scheduled_until=now + timedelta(days=1, hours=1),
        components=[bravo],
        actor=operator,
        body="Bravo ledger upgrade.",
    )
    alpha_window = services.maintenance_schedule(
        name="Alpha maintenance",
        scheduled_for=now + timedelta(days=2),
        scheduled_until=now + timedelta(days=2, hours=1),
        components=[alpha],
        actor=operator,
        body="Alpha cache upgrade.",
    )
    a = services.audience_save(
        actor=operator,
        page=page,
        name="Alpha customers",
        slug="alpha",
        components=[alpha, shared],
        domains=["alpha.test"],
    )
    b = services.audience_save(
        actor=operator,
        page=page,
        name="Bravo customers",
        slug="bravo",
        components=[bravo, shared],
        claim_name="groups",
        claim_value="bravo",
    )
    return {
        "page": page,
        "alpha": alpha,
        "bravo": bravo,
        "shared": shared,
        "group": group,
        "alpha_incident": alpha_incident,
        "bravo_incident": bravo_incident,
        "both": both,
        "alpha_window": alpha_window,
        "bravo_window": bravo_window,
        "a": a,
        "b": b,
    }


def sign_in(client, page_id: int, identity: str, claims: dict | None = None) -> None:
    """Write the reader's sign-in entry as the sign-in does (the reader access contract)."""
    session = client.session
    access = session.get("reader_access", {})
    access[str(page_id)] = {
        "identity": identity,
        "method": "oidc" if claims else "magic_link",
        "claims": claims or {},
        "at": timezone.now().isoformat(),
    }
    session["reader_access"] = access
    session.save()
