"""`manage.py create_api_key alice --name deploy-bot --scopes read,incidents:write`.

Prints the key once; only its digest is stored, so a lost key is revoked and replaced.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from incidents.services import Actor, ServiceError
from statuspage.access.models import Scope
from statuspage.access.services import api_key_create


class Command(BaseCommand):
    help = "Create a management API key for an operator and print it (shown only this once)."

    def add_arguments(self, parser):
        parser.add_argument("username", help="The operator who owns the key; their role caps it.")
        parser.add_argument("--name", required=True, help="What the key is for, e.g. ci-deploys.")
        parser.add_argument(
            "--scopes",
            default=Scope.READ,
            help="Comma-separated, from: " + ", ".join(Scope.values) + " (default: read).",
        )

    def handle(self, *args, username, name, scopes, **options):
        try:
            owner = get_user_model().objects.get(username=username)
        except get_user_model().DoesNotExist:
            raise CommandError(f"No user {username!r}; create one with create_operator.") from None
        wanted = [s.strip() for s in scopes.split(",") if s.strip()]
        actor = Actor(label="manage.py create_api_key", via="cli")
        try:
            key, raw = api_key_create(actor=actor, owner=owner, name=name, scopes=wanted)
        except ServiceError as exc:
            raise CommandError(exc.message) from None
        self.stderr.write(
            f"Created key {key.name!r} ({key.prefix}…) for {username} with {', '.join(key.scopes)}."
            " Store it now: it is not shown again."
        )
        self.stdout.write(raw)
