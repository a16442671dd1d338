"""The read path for anonymous public documents (pages, JSON, feeds, widget, badges).

A public view is wrapped in @public_document. The wrapper:
- keys each rendered document on the page's *generation* (bumped in the same transaction as
  every public change, published to the cache on commit), so a change shows at the origin
  within a second while repeated reads render nothing, and on the page's local date, so
  "today" turns over at the page's midnight;
- answers If-None-Match with 304 from the cached ETag, without rendering;
- sets Cache-Control for shared caches and never lets a cookie or `Vary: Cookie` out
  (PublicResponseMiddleware enforces that after every other middleware has run);
- keeps the last good render of each document on disk, and serves it (marked stale) when the
  database cannot be reached, so the status page answers when its own infrastructure fails.
- serves a URL with several forms (the front page in HTML or Markdown) as one document per
  form, chosen by the view's negotiator from the request's headers, here and on the fast
  path alike, with the `Vary` the choice names.

Lookups go process memory -> shared cache -> render. The generation is memoised in process
memory for GENERATION_MEMO_SECONDS so a hot page costs no network round trip per request.

The package: documents.py (a document's bytes, gzip and ETag), store.py (process memory,
generations, versions), snapshots.py (the last good copy on disk), responses.py (what a
document is sent as), decorator.py (@public_document), learned.py (what the WSGI fast path
replays, and the middleware that learns it).
"""

from statuspage.public_cache.decorator import (
    REPLACED_CACHE_CONTROL,
    SHARED_CACHE_SECONDS,
    SINGLE_FLIGHT_WAIT_SECONDS,
    document_key,
    public_document,
    rendered_elsewhere,
    variant_keys,
)
from statuspage.public_cache.documents import (
    GZIP_MIN_BYTES,
    Document,
    accepts_gzip,
    etag_matches,
    gzip_etag,
    make_document,
)
from statuspage.public_cache.learned import (
    PublicResponseMiddleware,
    final_headers,
    routes,
)
from statuspage.public_cache.responses import (
    Negotiator,
    PublicDocumentView,
    PublicResponse,
    PublicView,
    Variant,
    cache_control,
    mark_public,
    one_off,
)
from statuspage.public_cache.snapshots import _written as _written  # the tests reset it
from statuspage.public_cache.snapshots import (
    snapshot_load,
    snapshot_save,
    snapshots_deferred,
    snapshots_write,
)
from statuspage.public_cache.store import (
    GENERATION_MEMO_SECONDS,
    LOCAL_DOCUMENTS,
    audience_page,
    current_generation,
    document_version,
    local,
    page_generation,
)

__all__ = [
    "GENERATION_MEMO_SECONDS",
    "LOCAL_DOCUMENTS",
    "SHARED_CACHE_SECONDS",
    "Document",
    "GZIP_MIN_BYTES",
    "make_document",
    "gzip_etag",
    "accepts_gzip",
    "local",
    "current_generation",
    "page_generation",
    "document_version",
    "audience_page",
    "cache_control",
    "snapshot_save",
    "snapshot_load",
    "snapshots_deferred",
    "snapshots_write",
    "PublicResponse",
    "mark_public",
    "one_off",
    "Variant",
    "Negotiator",
    "PublicView",
    "PublicDocumentView",
    "public_document",
    "document_key",
    "rendered_elsewhere",
    "variant_keys",
    "SINGLE_FLIGHT_WAIT_SECONDS",
    "REPLACED_CACHE_CONTROL",
    "PublicResponseMiddleware",
    "routes",
    "final_headers",
    "etag_matches",
]
