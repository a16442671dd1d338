"""System check of PUBLISH_TARGETS: a bad entry stops `manage.py check`, `migrate` (the release
step) and the dev server with a message naming it, instead of failing every publish later."""

from __future__ import annotations

from collections.abc import Sequence

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Error

from statuspage.publish.targets import TargetError, parse_target

BAD_TARGET = "publish.E001"


def publish_targets(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: object
) -> list[CheckMessage]:
    errors: list[CheckMessage] = []
    for url in settings.PUBLISH_TARGETS:
        try:
            parse_target(url)
        except TargetError as exc:
            errors.append(
                Error(
                    f"PUBLISH_TARGETS: {exc}",
                    hint='See docs/publishing.md, "Targets".',
                    id=BAD_TARGET,
                )
            )
    return errors
