"""Writes the signed-in reader's session entry (the readers' access contract, docs/pages.md):
request.session["reader_access"][str(page_id)] = {identity, method, claims, at}.

The readers app's access.grant writes the same shape for every sign-in method; this one is
only for single sign-on and is replaced by it once both are installed together."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from django.http import HttpRequest
from django.utils import timezone

SESSION_KEY = "reader_access"


def grant(
    request: HttpRequest,
    page_id: int,
    *,
    identity: str,
    method: str,
    claims: dict[str, Any] | None = None,
) -> None:
    # A new session key at sign-in: a session id planted before it is worth nothing after.
    request.session.cycle_key()
    access = dict(request.session.get(SESSION_KEY) or {})
    access[str(page_id)] = {
        "identity": identity,
        "method": method,
        "claims": dict(claims or {}),
        "at": timezone.now().astimezone(UTC).isoformat(),
    }
    request.session[SESSION_KEY] = access
