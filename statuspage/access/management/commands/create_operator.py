"""`manage.py create_operator alice --role responder`: a dashboard operator with a role."""

from __future__ import annotations

import getpass
import os

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from statuspage.access.models import Role
from statuspage.access.services import operator_save


class Command(BaseCommand):
    help = "Create a dashboard operator (or change an existing user's role and password)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", choices=Role.values, default=Role.VIEWER)
        parser.add_argument("--email", default="")
        parser.add_argument(
            "--password",
            help="Prefer the prompt or DJANGO_OPERATOR_PASSWORD: arguments stay in shell history.",
        )
        parser.add_argument(
            "--no-input", action="store_true", help="Fail instead of prompting for a password."
        )

    def handle(self, *args, username, role, email, password, no_input, **options):
        password = password or os.environ.get("DJANGO_OPERATOR_PASSWORD")
        if not password:
            if no_input:
                raise CommandError("Give --password or DJANGO_OPERATOR_PASSWORD with --no-input.")
            password = self._prompt()
        User = get_user_model()
        user = User(username=username, email=email)
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        _, created = operator_save(username=username, email=email, password=password, role=role)
        verb = "Created" if created else "Updated"
        self.stdout.write(self.style.SUCCESS(f"{verb} operator {username} with role {role}."))

    def _prompt(self) -> str:
        first = getpass.getpass("Password: ")
        if first != getpass.getpass("Password (again): "):
            raise CommandError("The passwords differ.")
        return first
