"""Strict parsing of environment variables for settings.

Each helper either returns a well-formed value or raises ImproperlyConfigured with the
variable's name and what was wrong, so a typo stops the process at start-up instead of
running with a silently guessed value.
"""

from __future__ import annotations

import builtins
import ipaddress
import os
import re
import zoneinfo
from collections.abc import Mapping
from typing import overload
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}


class Env:
    """Reads typed values from a mapping (os.environ by default)."""

    def __init__(self, environ: Mapping[str, str] | None = None):
        self.environ = os.environ if environ is None else environ

    def _raw(self, name: str) -> str | None:
        value = self.environ.get(name)
        if value is None or value.strip() == "":
            return None
        return value.strip()

    # The methods are named after the types they return, so below this point `str`, `bool`,
    # `int` and `list` in annotations would name the methods: annotations say `builtins.str`.
    @overload
    def str(self, name: builtins.str, default: builtins.str) -> builtins.str: ...
    @overload
    def str(self, name: builtins.str, default: None = None) -> builtins.str | None: ...
    def str(self, name: builtins.str, default: builtins.str | None = None) -> builtins.str | None:
        value = self._raw(name)
        return default if value is None else value

    def bool(self, name: builtins.str, default: builtins.bool) -> builtins.bool:
        value = self._raw(name)
        if value is None:
            return default
        if value.lower() in _TRUE:
            return True
        if value.lower() in _FALSE:
            return False
        raise ImproperlyConfigured(
            f"{name}={value!r} is not a boolean: use one of true/false, 1/0, yes/no, on/off."
        )

    def int(
        self, name: builtins.str, default: builtins.int, *, minimum: builtins.int | None = None
    ) -> builtins.int:
        value = self._raw(name)
        if value is None:
            return default
        try:
            number = int(value)
        except ValueError:
            raise ImproperlyConfigured(f"{name}={value!r} is not a whole number.") from None
        if minimum is not None and number < minimum:
            raise ImproperlyConfigured(f"{name}={number} must be at least {minimum}.")
        return number

    def list(
        self, name: builtins.str, default: builtins.list[builtins.str]
    ) -> builtins.list[builtins.str]:
        value = self._raw(name)
        if value is None:
            return list(default)
        items = [item.strip() for item in value.split(",")]
        if any(not item for item in items):
            raise ImproperlyConfigured(f"{name}={value!r} has an empty item in its comma list.")
        return items

    def networks(
        self, name: builtins.str, default: builtins.list[builtins.str]
    ) -> builtins.list[builtins.str]:
        """A comma list of CIDR networks ("10.0.0.0/8, fd00::/8"), each checked."""
        items = self.list(name, default)
        for item in items:
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ImproperlyConfigured(
                    f"{name}: {item!r} is not a network such as 10.0.0.0/8."
                ) from None
        return items

    def subset(
        self, name: builtins.str, choices: tuple[builtins.str, ...]
    ) -> builtins.list[builtins.str]:
        """A comma list drawn from `choices` ("en, de"), lowercased; all of them by default."""
        items = [item.lower() for item in self.list(name, list(choices))]
        unknown = [item for item in items if item not in choices]
        if unknown:
            raise ImproperlyConfigured(
                f"{name}: {', '.join(unknown)} not among {', '.join(choices)}."
            )
        return items

    def choice(
        self, name: builtins.str, default: builtins.str, choices: tuple[builtins.str, ...]
    ) -> builtins.str:
        value = self._raw(name) or default
        if value not in choices:
            raise ImproperlyConfigured(f"{name}={value!r} must be one of {', '.join(choices)}.")
        return value

    def color(self, name: builtins.str, default: builtins.str) -> builtins.str:
        """A CSS colour as #rgb or #rrggbb: values go into stylesheets, so nothing else passes."""
        value = self._raw(name) or default
        if not re.fullmatch(r"#[0-9a-fA-F]{3}([0-9a-fA-F]{3})?", value):
            raise ImproperlyConfigured(f"{name}={value!r} is not a colour like #rgb or #rrggbb.")
        return value

    def time_zone(self, name: builtins.str, default: builtins.str) -> builtins.str:
        value = self._raw(name) or default
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ImproperlyConfigured(
                f"{name}={value!r} is not an IANA time zone name (e.g. Europe/Berlin, Etc/UTC)."
            ) from None
        return value

    def database(self, name: builtins.str, default: builtins.str) -> dj_database_url.DBConfig:
        value = self._raw(name) or default
        scheme = urlsplit(value).scheme
        if scheme not in {"sqlite", "postgres", "postgresql"}:
            raise ImproperlyConfigured(
                f"{name} must start with sqlite:// or postgres://, not {scheme or 'nothing'}://."
            )
        try:
            config = dj_database_url.parse(value, conn_max_age=60, conn_health_checks=True)
        except ValueError as exc:
            raise ImproperlyConfigured(f"{name} could not be parsed: {exc}") from None
        if scheme != "sqlite" and not config.get("NAME"):
            raise ImproperlyConfigured(f"{name} names no database (…/DBNAME at the end).")
        return config

    def redis_url(self, name: builtins.str) -> builtins.str | None:
        value = self._raw(name)
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in {"redis", "rediss", "unix"}:
            raise ImproperlyConfigured(f"{name} must be a redis://, rediss:// or unix:// URL.")
        if parts.scheme != "unix" and not parts.hostname:
            raise ImproperlyConfigured(f"{name}={value!r} names no host.")
        try:
            parts.port  # noqa: B018 - raises ValueError on a malformed port
        except ValueError:
            raise ImproperlyConfigured(f"{name}={value!r} has a malformed port.") from None
        return value
