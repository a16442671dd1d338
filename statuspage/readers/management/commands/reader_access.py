"""`manage.py reader_access <page slug> --visibility private --password-env PW`: who may read a
page, from the command line (the dashboard's Page settings → Reader access does the same).

What is not given stays as it is. A password is taken from an environment variable (or the
prompt), never from the command line, which shell history keeps."""

from __future__ import annotations

import getpass
import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from incidents import services
from incidents.models import Page, Visibility
from incidents.services import Actor, ServiceError
from statuspage.readers import selectors
from statuspage.readers import services as reader_services
from statuspage.readers.models import ReaderSettings

ACTOR = Actor(label="manage.py reader_access", via="cli")


class Command(BaseCommand):
    help = "Set who may read a page: its visibility, password, magic-link addresses, networks."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("page", help="the page's slug (its /p/<slug>/ prefix)")
        parser.add_argument("--visibility", choices=Visibility.values)
        parser.add_argument(
            "--password-env",
            metavar="NAME",
            help="set the shared password from this environment variable (signs readers out)",
        )
        parser.add_argument(
            "--password-prompt", action="store_true", help="ask for the shared password"
        )
        parser.add_argument(
            "--allow",
            action="append",
            metavar="ADDRESS_OR_DOMAIN",
            help="who may ask for an email sign-in link (repeat; replaces the list)",
        )
        parser.add_argument(
            "--network",
            action="append",
            metavar="CIDR",
            help="a network whose readers need no sign-in (repeat; replaces the list)",
        )

    def handle(self, *args: Any, page: str, **options: Any) -> None:
        row = Page.objects.filter(slug=page.strip().lower()).first()
        if row is None:
            known = ", ".join(Page.objects.order_by("id").values_list("slug", flat=True))
            raise CommandError(f"No page with the slug {page!r}. Pages: {known or 'none'}.")
        password = self._password(options)
        current = selectors.settings_of(row.pk)
        allow = options["allow"]
        networks = options["network"]
        try:
            # All or nothing: a bad network leaves the visibility as it was too.
            with transaction.atomic():
                self._save(row, options["visibility"], current, allow, networks, password)
        except ServiceError as exc:
            raise CommandError(exc.message) from None
        except ValueError as exc:  # a network that is not one
            raise CommandError(str(exc)) from None
        row.refresh_from_db()
        self.stdout.write(self.style.SUCCESS(f"{row.name} ({row.slug}) is {row.visibility}."))

    def _save(
        self,
        row: Page,
        visibility: str | None,
        current: ReaderSettings,
        allow: list[str] | None,
        networks: list[str] | None,
        password: str | None,
    ) -> None:
        if visibility:
            services.page_update(row.pk, actor=ACTOR, visibility=visibility)
        reader_services.settings_save(
            page=row,
            actor=ACTOR,
            magic_link_allowed=current.magic_link_allowed if allow is None else "\n".join(allow),
            ip_allowlist=current.ip_allowlist if networks is None else "\n".join(networks),
            password=password,
        )

    def _password(self, options: dict[str, Any]) -> str | None:
        if options["password_env"]:
            value = os.environ.get(options["password_env"], "")
            if not value:
                raise CommandError(f"The environment variable {options['password_env']} is empty.")
            return value
        if options["password_prompt"]:
            first = getpass.getpass("Reader password: ")
            if not first or first != getpass.getpass("Reader password (again): "):
                raise CommandError("The passwords were empty or did not match.")
            return first
        return None
