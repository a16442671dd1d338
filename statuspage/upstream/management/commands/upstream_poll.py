"""manage.py upstream_poll --once: poll upstream providers in this process."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from statuspage.upstream.models import Provider
from statuspage.upstream.services import providers_poll_due


class Command(BaseCommand):
    help = (
        "Poll upstream providers once, in this process (the scheduler does it every 30 s). "
        "Without --all only the providers whose next poll time has come."
    )

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Poll once and exit (required).")
        parser.add_argument(
            "--all", action="store_true", help="Poll every enabled provider, due or not."
        )

    def handle(self, *args, once: bool, all: bool, **options):  # noqa: A002
        if not once:
            raise CommandError("Polling runs on the scheduler; use --once to poll here.")
        if all:
            now = timezone.now()
            Provider.objects.filter(enabled=True).update(next_poll_at=now)
        counts = providers_poll_due()
        for provider in Provider.objects.filter(enabled=True):
            state = f"error: {provider.last_error}" if provider.last_error else "ok"
            self.stdout.write(
                f"{provider.name}: {state} ({provider.polls} polls, "
                f"{provider.not_modified} not modified)"
            )
        summary = ", ".join(f"{n} {k}" for k, n in sorted(counts.items())) or "none due"
        self.stdout.write(f"Polled: {summary}.")
