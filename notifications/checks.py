"""System checks of the notifications settings."""

from __future__ import annotations

from collections.abc import Sequence

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import Warning as CheckWarning

PRIVATE_ADDRESSES_ON = "notifications.W001"


def webhook_private_addresses(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: object
) -> list[CheckWarning]:
    """WEBHOOK_ALLOW_PRIVATE_ADDRESSES switches the SSRF guard off (loopback, private and
    cloud-metadata targets, plain http://). It exists for tests and closed networks; on a
    production server it lets anyone who can subscribe make it POST to internal services.
    Every command says so (not only `check --deploy`), like Django's own security checks."""
    if settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES and not settings.DEBUG:
        return [
            CheckWarning(
                "WEBHOOK_ALLOW_PRIVATE_ADDRESSES is on while DEBUG is off: webhook and chat "
                "subscribers may make this server POST to loopback, private and cloud "
                "metadata addresses.",
                hint="Unset WEBHOOK_ALLOW_PRIVATE_ADDRESSES outside tests and closed networks.",
                id=PRIVATE_ADDRESSES_ON,
            )
        ]
    return []
