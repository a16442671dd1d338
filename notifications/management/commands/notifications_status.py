from typing import Any

from django.core.management.base import BaseCommand, CommandError

from notifications.selectors import outbox_health


class Command(BaseCommand):
    help = "Show the delivery outbox and worker health; exit 1 when delivery is stalled."

    def handle(self, *args: Any, **options: Any) -> None:
        health = outbox_health()
        counts = ", ".join(f"{state} {n}" for state, n in health.counts.items())
        self.stdout.write(f"deliveries: {counts}")
        due = health.oldest_due_seconds
        self.stdout.write(f"oldest due pending: {'none' if due is None else f'{due:.0f} s'}")
        workers = "embedded (no Redis)" if health.workers is None else health.workers
        self.stdout.write(f"notification workers: {workers}")
        if health.stalled:
            raise CommandError("Delivery is stalled: is a notifications worker running?")
