from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "Run RQ's cron scheduler for the notification relay and subscriber clean-up."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="Run the jobs once, inline.")

    def handle(self, *args: Any, once: bool = False, **options: Any) -> None:
        from notifications.cron import SCHEDULE

        if once:
            for func, _queue, _interval in SCHEDULE:
                self.stdout.write(f"{func.__name__}: {func()}")
            return
        if not settings.REDIS_URL:
            raise CommandError("REDIS_URL is not set; use --once from cron, or set REDIS_URL.")
        import django_rq

        from notifications.cron import build_scheduler

        scheduler = build_scheduler(django_rq.get_connection("notifications"))
        scheduler.start()  # type: ignore[no-untyped-call]  # rq 3.0 leaves start() unannotated
