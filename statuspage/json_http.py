"""Public JSON documents over HTTP: the response, its errors, and the decorator that puts a JSON
view on the cached read path. Shared by every surface that serves public JSON (the v2 API, the
widget's state and badge documents), so none of them imports another.

Public JSON is read by browser code on other origins, without credentials: every answer,
errors included, carries `Access-Control-Allow-Origin: *`, and CORS preflights are answered.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Mapping
from typing import Any, ParamSpec, overload

from django.http import HttpRequest, HttpResponse

from statuspage.public_cache import PublicView, mark_public, public_document

CORS = {"Access-Control-Allow-Origin": "*"}

# Request headers a cross-origin preflight may ask for: names only, nothing else echoed back.
_HEADER_NAMES = re.compile(r"[A-Za-z0-9-]+(\s*,\s*[A-Za-z0-9-]+)*")

_P = ParamSpec("_P")


def cors_preflight(view: PublicView[_P]) -> PublicView[_P]:
    """Answer a CORS preflight (OPTIONS) so that browser code that adds a header to its GET
    (and so triggers one) can still read the documents. No credentials are ever allowed."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: _P.args, **kwargs: _P.kwargs) -> HttpResponse:
        if request.method != "OPTIONS":
            return view(request, *args, **kwargs)
        response = HttpResponse(status=204)
        response["Access-Control-Allow-Origin"] = "*"
        response["Access-Control-Allow-Methods"] = "GET, HEAD, OPTIONS"
        asked = request.headers.get("Access-Control-Request-Headers", "").strip()
        if asked and len(asked) <= 500 and _HEADER_NAMES.fullmatch(asked):
            response["Access-Control-Allow-Headers"] = asked
        response["Access-Control-Max-Age"] = "86400"
        return mark_public(response)

    return wrapper


@overload
def public_json(view: PublicView[_P], /) -> PublicView[_P]: ...
@overload
def public_json(
    *, query_params: tuple[str, ...] = ...
) -> Callable[[PublicView[_P]], PublicView[_P]]: ...
def public_json(
    view: PublicView[_P] | None = None, *, query_params: tuple[str, ...] = ("page",)
) -> PublicView[_P] | Callable[[PublicView[_P]], PublicView[_P]]:
    """A public JSON document: cached read path, CORS-open, preflight answered. Used bare
    (`@public_json`) or with the query parameters that change the document."""

    def decorate(view: PublicView[_P]) -> PublicView[_P]:
        return cors_preflight(public_document(query_params=query_params, headers=CORS)(view))

    return decorate(view) if view is not None else decorate


JSON_CONTENT_TYPE = "application/json"


def json_bytes(data: Mapping[str, Any]) -> bytes:
    """The bytes of every public JSON document: compact, UTF-8 as is (not \\u escapes)."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


def json_response(data: Mapping[str, Any], *, status: int = 200) -> HttpResponse:
    response = HttpResponse(json_bytes(data), content_type=JSON_CONTENT_TYPE, status=status)
    if status != 200:
        # Errors bypass the document cache, so they get its public treatment here.
        for name, value in CORS.items():
            response[name] = value
        response["Cache-Control"] = "public, max-age=5"
        mark_public(response)
    return response


def json_error(status: int, message: str) -> HttpResponse:
    return json_response({"error": message}, status=status)
