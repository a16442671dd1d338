"""Fill an empty install with a realistic demo: groups, a dozen components, 90 days of
incidents and maintenance, one active incident and one upcoming maintenance on the public page;
beside it a private internal page (a shared password, shown in the output) and a page for two
audiences of customers (readers sign in by an email link, printed in the terminal when no mail
server is set), so each kind of page can be seen (docs/pages.md).

Idempotent: it only seeds an install that has no components yet, in one transaction.
"""

from __future__ import annotations

import os
import random
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, TypeAlias

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.utils import timezone

from incidents import services
from incidents.enums import ComponentStatus as S
from incidents.enums import IncidentStatus as I
from incidents.models import Component, Incident, Page
from incidents.services import Actor

ACTOR = Actor(label="seed_demo", via="import")

# A step of the demo history: when it happens, and what makes it happen at that time.
_Step: TypeAlias = tuple[datetime, Callable[[datetime], object]]

GROUPS = {
    "Core Platform": ["API", "Web App", "Authentication", "Database"],
    "Regions": ["US East", "US West", "EU West", "AP South"],
    "Integrations": ["Webhooks", "Email Delivery", "SMS Gateway"],
}
LOOSE = ["Documentation"]

INTERNAL_TOOLS = [
    ("VPN", "Remote access for employees."),
    ("Build servers", "CI runners and the artifact store."),
    ("Wiki", "Handbooks and runbooks."),
    ("Office Wi-Fi", "Berlin and Lisbon offices."),
]
# Readers of the customer page: an address at the first domain is an Enterprise customer, at
# the second an EU customer.
AUDIENCE_DOMAINS = ("enterprise.example", "eu.example")
DEMO_PASSWORD_ENV = "STATUSPAGE_DEMO_READER_PASSWORD"  # noqa: S105 - the variable's name

PAST_INCIDENTS = [
    ("Elevated latency on API requests", ["API"], S.DEGRADED_PERFORMANCE),
    ("Login failures for some users", ["Authentication"], S.PARTIAL_OUTAGE),
    ("EU West network disruption", ["EU West", "API"], S.MAJOR_OUTAGE),
    ("Delayed webhook deliveries", ["Webhooks"], S.DEGRADED_PERFORMANCE),
    ("Email notifications delayed", ["Email Delivery"], S.PARTIAL_OUTAGE),
    ("Web app not loading for some users", ["Web App"], S.PARTIAL_OUTAGE),
    ("Database failover", ["Database", "API"], S.MAJOR_OUTAGE),
    ("SMS delivery failures with one carrier", ["SMS Gateway"], S.PARTIAL_OUTAGE),
    ("US East elevated error rates", ["US East"], S.PARTIAL_OUTAGE),
    ("Slow dashboard loading", ["Web App"], S.DEGRADED_PERFORMANCE),
    ("AP South connectivity issues", ["AP South"], S.MAJOR_OUTAGE),
    ("Intermittent API timeouts", ["API", "US West"], S.PARTIAL_OUTAGE),
]

UPDATE_TEXT = {
    I.INVESTIGATING: "We are investigating reports of **{name}**.",
    I.IDENTIFIED: "The cause has been identified and a fix is being rolled out.",
    I.MONITORING: "A fix has been deployed. We are monitoring the results.",
    I.RESOLVED: "This incident has been resolved.",
}


class Command(BaseCommand):
    help = "Seed an empty status page with demo data (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seed", type=int, default=7, help="random seed for the history")

    def handle(self, *args: Any, seed: int, **options: Any) -> None:
        password = "internal" if settings.DEBUG else secrets.token_urlsafe(12)
        with transaction.atomic():
            if Component.objects.exists():
                self.stdout.write("The page already has components: nothing seeded.")
                return
            self._seed(random.Random(seed))  # noqa: S311 - demo data, not security
            internal, customers = self._internal_page(), self._customer_page()
            self._reader_access(internal, customers, password)
        self._admin_user()
        self.stdout.write(self.style.SUCCESS("Demo data seeded."))
        self.stdout.write(
            f"Private page at /p/{internal.slug}/: readers sign in with the password {password}"
        )
        self.stdout.write(
            f"Audience page at /p/{customers.slug}/: sign in with an email link for any "
            f"address at {' or '.join(AUDIENCE_DOMAINS)} (the link is printed here when no "
            "mail server is set)"
        )

    def _seed(self, rng: random.Random) -> None:
        now = timezone.now()
        Page.objects.update(name="Acme Cloud")
        components = self._components(now)
        self._history(components, now, rng)
        self._present(components, now)

    def _components(self, now: datetime) -> dict[str, Component]:
        created = now - timedelta(days=120)
        components: dict[str, Component] = {}
        for position, (group_name, names) in enumerate(GROUPS.items(), start=1):
            group = services.component_group_create(name=group_name, actor=ACTOR, position=position)
            for name in names:
                components[name] = services.component_create(
                    name=name,
                    group=group,
                    actor=ACTOR,
                    created_at=created,
                    description=f"{name} of the Acme Cloud platform.",
                    start_date=(now - timedelta(days=40)).date() if name == "AP South" else None,
                )
        for name in LOOSE:
            components[name] = services.component_create(
                name=name,
                actor=ACTOR,
                created_at=created,
                position=len(GROUPS) + 1,
                only_show_if_degraded=False,
                description="Guides and API reference.",
            )
        return components

    def _history(self, components: dict[str, Component], now: datetime, rng: random.Random) -> None:
        steps: list[_Step] = []  # run in time order so the status log stays ordered
        for n, (name, names, status) in enumerate(PAST_INCIDENTS):
            start = now - timedelta(days=88 - n * 7, hours=rng.randint(0, 20))
            steps += self._incident_steps(name, [components[c] for c in names], status, start, rng)
        window = now - timedelta(days=30, hours=-2)
        steps.append((window, lambda at: self._past_maintenance(components, at)))
        for at, step in sorted(steps, key=lambda s: s[0]):
            step(at)

    def _present(self, components: dict[str, Component], now: datetime) -> None:
        """An incident in progress and a maintenance ahead, so every section of the page shows."""
        live = services.incident_create(
            name="Elevated API error rates",
            body="We are investigating elevated error rates.",
            component_statuses={
                components["API"]: S.PARTIAL_OUTAGE,
                components["EU West"]: S.DEGRADED_PERFORMANCE,
            },
            actor=ACTOR,
            at=now - timedelta(minutes=25),
            notify=False,
        )
        services.incident_update_post(
            incident=live,
            status=I.IDENTIFIED,
            actor=ACTOR,
            notify=False,
            body="A faulty load balancer in EU West has been identified; traffic is being moved.",
        )
        services.maintenance_schedule(
            name="Database upgrade",
            components=[components["Database"]],
            actor=ACTOR,
            scheduled_for=now + timedelta(days=3),
            scheduled_until=now + timedelta(days=3, hours=2),
            body="We will upgrade the primary database. Brief read-only periods are expected.",
            remind_before_minutes=60,
            notify=False,
        )

    def _incident_steps(
        self,
        name: str,
        components: list[Component],
        status: S,
        start: datetime,
        rng: random.Random,
    ) -> list[_Step]:
        holder: dict[str, Incident] = {}

        def create(at: datetime) -> None:
            holder["incident"] = services.incident_create(
                name=name,
                body=UPDATE_TEXT[I.INVESTIGATING].format(name=name.lower()),
                at=at,
                component_statuses=dict.fromkeys(components, status),
                actor=ACTOR,
                notify=False,
                backfilled=True,
            )

        def update(
            new_status: I, statuses: dict[Component, S] | None = None
        ) -> Callable[[datetime], None]:
            def run(at: datetime) -> None:
                services.incident_update_post(
                    incident=holder["incident"],
                    status=new_status,
                    body=UPDATE_TEXT[new_status],
                    component_statuses=statuses,
                    actor=ACTOR,
                    at=at,
                    notify=False,
                )

            return run

        t1 = start + timedelta(minutes=rng.randint(10, 40))
        t2 = t1 + timedelta(minutes=rng.randint(20, 120))
        t3 = t2 + timedelta(minutes=rng.randint(15, 60))
        recovered = dict.fromkeys(components, S.OPERATIONAL)
        return [
            (start, create),
            (t1, update(I.IDENTIFIED)),
            (t2, update(I.MONITORING, recovered)),
            (t3, update(I.RESOLVED)),
        ]

    def _past_maintenance(self, components: dict[str, Component], at: datetime) -> None:
        maintenance = services.maintenance_schedule(
            name="Network maintenance in US East",
            components=[components["US East"]],
            scheduled_for=at,
            scheduled_until=at + timedelta(hours=1),
            actor=ACTOR,
            notify=False,
            body="Routine network maintenance.",
        )
        services.maintenance_start(maintenance=maintenance, actor=ACTOR, at=at, notify=False)
        services.maintenance_complete(
            maintenance=maintenance, actor=ACTOR, notify=False, at=at + timedelta(minutes=50)
        )

    def _internal_page(self) -> Page:
        """A page for employees only: internal tools, one of them degraded."""
        page = services.page_create(actor=ACTOR, name="Acme Internal", slug="internal")
        created = timezone.now() - timedelta(days=60)
        tools = {
            name: services.component_create(
                name=name, actor=ACTOR, page=page, created_at=created, description=description
            )
            for name, description in INTERNAL_TOOLS
        }
        services.incident_create(
            name="Build queue backed up",
            body="Builds wait up to 20 minutes; we are adding runners.",
            component_statuses={tools["Build servers"]: S.DEGRADED_PERFORMANCE},
            actor=ACTOR,
            page=page,
            notify=False,
        )
        return page

    def _customer_page(self) -> Page:
        """A page whose readers see only what their audience uses: Enterprise customers the
        dedicated API, EU customers the EU region; both the shared sign-in."""
        page = services.page_create(actor=ACTOR, name="Acme for Customers", slug="customers")
        created = timezone.now() - timedelta(days=60)
        parts = {
            name: services.component_create(name=name, actor=ACTOR, page=page, created_at=created)
            for name in ("Dedicated API", "EU Region", "Single Sign-On")
        }
        services.incident_create(
            name="EU Region slow responses",
            body="Requests to the EU Region are slower than usual; we are investigating.",
            component_statuses={parts["EU Region"]: S.DEGRADED_PERFORMANCE},
            actor=ACTOR,
            page=page,
            notify=False,
        )
        audiences = (
            ("Enterprise customers", "enterprise", ["Dedicated API", "Single Sign-On"]),
            ("EU customers", "eu", ["EU Region", "Single Sign-On"]),
        )
        for (name, slug, names), domain in zip(audiences, AUDIENCE_DOMAINS, strict=True):
            services.audience_save(
                actor=ACTOR,
                page=page,
                name=name,
                slug=slug,
                components=[parts[n] for n in names],
                domains=[domain],
            )
        return page

    def _reader_access(self, internal: Page, customers: Page, password: str) -> None:
        # Through the readers' own command: sign-in methods belong to statuspage.readers.
        os.environ[DEMO_PASSWORD_ENV] = password
        try:
            call_command(
                "reader_access",
                internal.slug,
                visibility="private",
                password_env=DEMO_PASSWORD_ENV,
                stdout=self.stdout,
            )
        finally:
            os.environ.pop(DEMO_PASSWORD_ENV, None)
        call_command(
            "reader_access",
            customers.slug,
            visibility="audience",
            allow=list(AUDIENCE_DOMAINS),
            stdout=self.stdout,
        )

    def _admin_user(self) -> None:
        User = get_user_model()
        if User.objects.filter(username="admin").exists():
            return
        password = "admin" if settings.DEBUG else secrets.token_urlsafe(12)
        User.objects.create_superuser("admin", "admin@example.com", password)
        # A superuser is a dashboard admin: the dashboard is where operators work.
        self.stdout.write(f"Dashboard sign-in at /dashboard/: admin / {password}")
