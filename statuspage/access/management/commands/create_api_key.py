"""`manage.py create_api_key alice --name deploy-bot --scopes read,incidents:write [--page main]`.

Without --page the key sees every page its owner holds a role on; each --page (a page's slug
or public id, repeatable) limits it to those pages.

Prints the key once; only its digest is stored, so a lost key is revoked and replaced.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from incidents.models import Page
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
        parser.add_argument(
            "--page",
            action="append",
            dest="pages",
            metavar="PAGE",
            help="A page's slug or id the key may see (repeat for several). Default: every page.",
        )

    def handle(self, *args, username, name, scopes, pages=None, **options):
        try:
            owner = get_user_model().objects.get(username=username)
        except get_user_model().DoesNotExist:
            raise CommandError(f"No user {username!r}; create one with create_operator.") from None
        wanted = [s.strip() for s in scopes.split(",") if s.strip()]
        chosen = None if not pages else [self._page(ref) for ref in pages]
        actor = Actor(label="manage.py create_api_key", via="cli")
        try:
            key, raw = api_key_create(
                actor=actor, owner=owner, name=name, scopes=wanted, pages=chosen
            )
        except ServiceError as exc:
            raise CommandError(exc.message) from None
        where = "every page" if chosen is None else ", ".join(p.slug for p in chosen)
        self.stderr.write(
            f"Created key {key.name!r} ({key.prefix}…) for {username} with {', '.join(key.scopes)}"
            f" on {where}. Store it now: it is not shown again."
        )
        self.stdout.write(raw)

    @staticmethod
    def _page(ref: str) -> Page:
        page = Page.objects.filter(slug=ref).first() or Page.objects.filter(public_id=ref).first()
        if page is None:
            raise CommandError(f"No page {ref!r} (give a page's slug or id).")
        return page
