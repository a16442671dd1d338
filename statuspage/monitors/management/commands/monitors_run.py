"""manage.py monitors_run --once: run every due check of this region once, in this process,
and apply the results (tests, and installs without the scheduler: call it from cron)."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from statuspage.monitors.runner import run_due


class Command(BaseCommand):
    help = "Run the due monitor checks once and apply their results."

    def add_arguments(self, parser):
        parser.add_argument(
            "--once", action="store_true", help="Run the due checks once (required)."
        )
        parser.add_argument(
            "--region",
            default=None,
            help="The region to check from (default: MONITOR_REGION).",
        )

    def handle(self, *args, once: bool, region: str | None, **options):
        if not once:
            raise CommandError(
                "Only --once is supported: the scheduler (notifications_cron) runs checks "
                "continuously."
            )
        region = region or settings.MONITOR_REGION
        if region not in settings.MONITOR_REGIONS:
            raise CommandError(
                f"Unknown region {region!r}; MONITOR_REGIONS has: "
                + ", ".join(settings.MONITOR_REGIONS)
            )
        report = run_due(region=region)
        self.stdout.write(str(report))
        for failure in report.failures:
            self.stdout.write(f"  failing: {failure}")
