"""Where this site is reached, for building absolute links when no public URL is configured.

`Page.public_url` is the operator's `Page.url` once set. Until then (the embedded default, a
first `make run` on any port) it is the origin of the request being served (set by
statuspage.origin.RequestOriginMiddleware, so links in a page or an email sent in-process
point where the reader came from), else `PUBLIC_URL_DEFAULT` (from `PORT`) for work outside a
request, such as an RQ worker."""

from __future__ import annotations

from contextvars import ContextVar

from django.conf import settings

request_origin: ContextVar[str | None] = ContextVar("request_origin", default=None)


def fallback_url() -> str:
    return request_origin.get() or str(settings.PUBLIC_URL_DEFAULT)
