"""The management API's HTTP edge: key auth, rate limit, scopes, bodies, errors.

Every /api/v1/ view is wrapped in `api_view`, which is the only place that decides who may call
what; views (their request annotated `ApiRequest`) then read `request.api_key`,
`request.api_actor` and their body (`resources.read`) and raise `ApiError` (or let a
`ServiceError` through) for anything they refuse.

Error shape, for every failure: `{"error": "<one sentence>"}` plus, for field errors,
`"errors": {"<field>": ["<message>", ...]}`.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from typing import Any, Concatenate, cast
from urllib.parse import parse_qsl

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist, RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from incidents.models import Component, Page
from incidents.services import Actor, ServiceError
from notifications import ratelimit
from statuspage.access.models import ApiKey
from statuspage.access.selectors import actor_for_key, key_allows, key_allows_somewhere, key_page
from statuspage.access.services import api_key_authenticate

WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")


class ApiRequest(HttpRequest):
    """A request `api_view` admitted, for annotations only: no request is of this class.
    `_admit` sets these attributes on the HttpRequest Django built, before the view runs."""

    api_key: ApiKey
    api_actor: Actor
    # The page the URL names (pages/{page_id}/...), one the key may see; None on the routes
    # that name no page (the page list, the integrations).
    api_page: Page | None
    # Whether a route without a page admits a key by its role on any page (api_view).
    api_any_page: bool
    # The parsed body of a write (POST, PUT, PATCH, DELETE); {} for reads.
    api_body: dict[str, Any]


# A management API view: an admitted request, then the URL's arguments.
ApiView = Callable[Concatenate[ApiRequest, ...], HttpResponse]


class ApiError(Exception):
    def __init__(self, status: int, message: str, *, errors: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors or {}
        # Headers the error answer carries (Retry-After, Allow, WWW-Authenticate).
        self.headers: dict[str, str] | None = None

    @classmethod
    def field(cls, field: str, message: str, *, status: int = 422) -> ApiError:
        return cls(status, message, errors={field: [message]})


def json_response(
    data: object, *, status: int = 200, headers: dict[str, str] | None = None
) -> HttpResponse:
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=str),
        content_type="application/json",
        status=status,
    )
    # Management data is per caller and changes at any time: never stored by any cache.
    response["Cache-Control"] = "no-store"
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def error_response(exc: ApiError, headers: dict[str, str] | None = None) -> HttpResponse:
    data: dict[str, Any] = {"error": exc.message}
    if exc.errors:
        data["errors"] = exc.errors
    return json_response(data, status=exc.status, headers=headers)


def no_content() -> HttpResponse:
    response = HttpResponse(status=204)
    response["Cache-Control"] = "no-store"
    return response


# --- authentication and rate limit ---------------------------------------------------------

_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_OAUTH = re.compile(r"(?:OAuth|Bearer)\s+(\S+)", re.IGNORECASE)


def _presented_key(request: HttpRequest) -> str | None:
    header = request.headers.get("Authorization", "")
    if header:
        match = _OAUTH.fullmatch(header.strip())
        return match.group(1) if match else ""
    return request.GET.get("api_key")


def rate_limit_retry_after(bucket: str) -> int | None:
    """Count one request for `bucket`; None while within the limit, else seconds to wait.

    API_RATE_LIMIT_PER_MINUTE per key in a one-minute window, counted in the shared cache
    (Redis when configured) so every web process counts against the same budget. With the
    cache unreachable the count goes on in each process's memory (notifications/ratelimit.py):
    a write is never refused, nor answered 500, because the cache is down."""
    rate = ratelimit.Rate("api-key", settings.API_RATE_LIMIT_PER_MINUTE, 60)
    verdict = ratelimit.hit(rate, bucket)
    return None if verdict.allowed else verdict.retry_after


# --- bodies --------------------------------------------------------------------------------

_FORM_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")


def parse_form(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Rails-style nested form fields, as Statuspage clients send them:
    `incident[name]=x`, `incident[component_ids][]=a`, `incident[components][abc]=major_outage`.
    """
    data: dict[str, Any] = {}
    for raw_key, value in pairs:
        match = _FORM_KEY.match(raw_key)
        if not match:
            raise ApiError(400, f"Malformed form field name: {raw_key[:80]!r}.")
        parts = [match.group(1)] + re.findall(r"\[([^\[\]]*)\]", match.group(2))
        node: dict[str, Any] | list[Any] = data
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            following = None if last else parts[index + 1]
            if part == "":
                if not isinstance(node, list):
                    raise ApiError(400, f"Malformed form field name: {raw_key[:80]!r}.")
                if last:
                    node.append(value)
                    break
                # A list of objects, as Rails reads `data[][timestamp]=1&data[][value]=2`:
                # a key the last object already holds starts the next one.
                if following == "" or not re.fullmatch(r"[^\[\]]+", following or ""):
                    raise ApiError(400, f"Malformed form field name: {raw_key[:80]!r}.")
                if not node or not isinstance(node[-1], dict) or following in node[-1]:
                    node.append({})
                node = node[-1]
                continue
            if not isinstance(node, dict):
                raise ApiError(400, f"Conflicting form field: {raw_key[:80]!r}.")
            if last:
                node[part] = value
            else:
                default: dict[str, Any] | list[Any] = [] if following == "" else {}
                child = node.setdefault(part, default)
                if type(child) is not type(default):
                    raise ApiError(400, f"Conflicting form field: {raw_key[:80]!r}.")
                node = child
    return data


# As Django's DATA_UPLOAD_MAX_NUMBER_FIELDS for forms.
MAX_FORM_FIELDS = 1000


def _json_object(raw: bytes) -> dict[str, Any]:
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        raise ApiError(400, "The body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise ApiError(400, "The JSON body must be an object.")
    try:
        # "\ud800" is valid JSON but no text: a lone surrogate cannot be stored or sent.
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise ApiError(
            400, "The body holds a lone surrogate (\\ud800-\\udfff), which is not text."
        ) from None
    return data


def _parse_body(request: HttpRequest) -> dict[str, Any]:
    try:
        raw = request.body
    except RequestDataTooBig:
        raise ApiError(
            413,
            "The request body is too large "
            f"(at most {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes).",
        ) from None
    if not raw.strip():
        return {}
    content_type = request.content_type or ""
    if content_type == "application/x-www-form-urlencoded":
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise ApiError(400, "The form body is not valid UTF-8.") from None
        try:
            pairs = parse_qsl(text, keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS)
        except ValueError:
            raise ApiError(
                400, f"The form has too many fields (at most {MAX_FORM_FIELDS})."
            ) from None
        return parse_form(pairs)
    if content_type in ("application/json", "") or content_type.endswith("+json"):
        return _json_object(raw)
    raise ApiError(415, "Send the body as application/json or application/x-www-form-urlencoded.")


# --- pagination ----------------------------------------------------------------------------


def int_param(
    request: HttpRequest, name: str, default: int, *, minimum: int = 1, maximum: int
) -> int:
    raw = request.GET.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or not minimum <= int(raw) <= maximum:
        raise ApiError.field(
            name, f"{name} must be a whole number from {minimum} to {maximum}.", status=400
        )
    return int(raw)


def paginate(
    request: HttpRequest,
    items,
    *,
    default_limit: int = 100,
    max_limit: int = 100,
    limit_param="limit",
):
    """Slice a queryset by `limit`/`per_page` and `page` (1-based), as Statuspage does."""
    limit = int_param(request, limit_param, default_limit, maximum=max_limit)
    page = int_param(request, "page", 1, maximum=100_000)
    start = (page - 1) * limit
    return items[start : start + limit]


# --- the decorator -------------------------------------------------------------------------


def page_of(request: ApiRequest) -> Page:
    """The page of a route under pages/{page_id}/ (api_view resolved it)."""
    if request.api_page is None:
        raise ApiError(404, "No page with that id.")
    return request.api_page


def component_on_page(page: Page, data: dict[str, Any]) -> dict[str, Any]:
    """`data` unchanged, once a `component_id` it names is known to be one of the page's
    (services that find a component by its id alone then cannot reach another page's)."""
    ref = data.get("component_id")
    if (
        isinstance(ref, str)
        and ref
        and not Component.objects.filter(page=page, public_id=ref).exists()
    ):
        raise ApiError.field("component_id", f"No component with id {ref[:20]!r} on this page.")
    return data


def _allows(request: ApiRequest, scope: str) -> bool:
    if request.api_page is None and request.api_any_page:
        return key_allows_somewhere(request.api_key, scope)
    return key_allows(request.api_key, scope, request.api_page)


def require(request: ApiRequest, scope: str) -> None:
    """Refuse unless the calling key may use `scope` on the request's page (on a route that
    names no page: install-wide). Views call this for finer checks."""
    if not _allows(request, scope):
        scope = str(getattr(scope, "value", scope))
        raise ApiError(403, f"This API key lacks the '{scope}' scope (or its owner's role does).")


def require_any(request: ApiRequest, scopes: tuple[str, ...]) -> None:
    """Refuse unless the calling key may use at least one of `scopes`."""
    if not any(_allows(request, scope) for scope in scopes):
        names = " or ".join(f"'{getattr(s, 'value', s)}'" for s in scopes)
        raise ApiError(403, f"This API key lacks the {names} scope (or its owner's role does).")


def api_view(
    *, any_page: bool = False, **scopes_by_method: str | tuple[str, ...]
) -> Callable[[ApiView], Callable[..., HttpResponse]]:
    """Wrap a management API view. Keyword arguments map HTTP methods to the scope each needs,
    e.g. `@api_view(GET="read", POST="incidents:write")`; a tuple admits a key holding any of
    its scopes, and the view then requires the one each part of the body needs.

    The URL's page_id names a page the key may see, else the answer is 404 whether or not the
    page exists (the wrapper takes it: the view reads `request.api_page`). The scopes are
    checked against the owner's role on that page. A route without a page needs them
    install-wide, or, with `any_page`, on at least one page the key sees (the page list)."""

    def decorate(view: ApiView) -> Callable[..., HttpResponse]:
        @csrf_exempt
        @functools.wraps(view)
        def wrapper(
            request: HttpRequest, *args: Any, page_id: str | None = None, **kwargs: Any
        ) -> HttpResponse:
            try:
                admitted = _admit(request, scopes_by_method, page_id, kwargs, any_page)
                return _run(view, admitted, args, kwargs)
            except ApiError as exc:
                return error_response(exc, exc.headers)

        return wrapper

    return decorate


def _admit(
    request: HttpRequest,
    scopes_by_method: dict[str, str | tuple[str, ...]],
    page_id: str | None,
    kwargs: dict,
    any_page: bool = False,
) -> ApiRequest:
    """Every check before a view runs, in the order their answers take precedence: who is
    calling (401), how often (429), the method (405), the page (404: a page the key may not
    see answers as one that does not exist, before any scope check can tell them apart),
    the scope on that page (403), the other ids in the URL (404), then the body (400, 413,
    415). Leaves the key, actor, page and body on the request."""
    key = _authenticate(request)
    retry_after = rate_limit_retry_after(key.prefix)
    if retry_after is not None:
        raise _with_headers(
            ApiError(429, f"Rate limit exceeded: retry in {retry_after} s."),
            {"Retry-After": str(retry_after)},
        )
    if request.method not in scopes_by_method:
        raise _with_headers(
            ApiError(405, f"{request.method} is not allowed here."),
            {"Allow": ", ".join(sorted(scopes_by_method))},
        )
    # The one place a request becomes an ApiRequest: the attributes it declares are set here.
    admitted = cast(ApiRequest, request)
    admitted.api_key = key
    admitted.api_actor = actor_for_key(key)
    admitted.api_page = _page(key, page_id)
    admitted.api_any_page = any_page
    needed = scopes_by_method[request.method]
    require_any(admitted, needed if isinstance(needed, tuple) else (needed,))
    _check_ids(kwargs)
    admitted.api_body = _parse_body(request) if request.method in WRITE_METHODS else {}
    return admitted


def _authenticate(request: HttpRequest) -> ApiKey:
    """The calling key, or a 401 that says whether a key was missing or not valid."""
    raw = _presented_key(request)
    if not raw:
        raise _with_headers(
            ApiError(401, "Authenticate with 'Authorization: OAuth <api key>'."),
            {"WWW-Authenticate": 'OAuth realm="statuspage"'},
        )
    key = api_key_authenticate(raw)
    if key is None:
        raise _with_headers(
            ApiError(401, "The API key is not valid (unknown, revoked, or its owner lost access)."),
            {"WWW-Authenticate": 'OAuth realm="statuspage", error="invalid_token"'},
        )
    return key


def _page(key: ApiKey, page_id: str | None) -> Page | None:
    """The page the URL names, if the key may see it; else 404, whether the page exists or not
    (the guard that keeps a key of one page out of every other page's objects)."""
    if page_id is None:
        return None
    page = key_page(key, page_id) if _ID.fullmatch(page_id) else None
    if page is None:
        raise ApiError(404, "No page with that id.")
    return page


def _check_ids(kwargs: dict) -> None:
    # Ids are short base36 strings; anything else is unknown (and PostgreSQL refuses NUL
    # characters, which would otherwise fail the lookup with an error).
    if any(not _ID.fullmatch(str(v)) for v in kwargs.values()):
        raise ApiError(404, "Not found.")


def _run(
    view: ApiView, request: ApiRequest, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> HttpResponse:
    """The view, with the domain's refusals turned into API errors."""
    try:
        return view(request, *args, **kwargs)
    except ServiceError as exc:
        field = exc.field or "base"
        raise ApiError(422, exc.message, errors={field: [exc.message]}) from None
    except (Http404, ObjectDoesNotExist):
        raise ApiError(404, "Not found.") from None


def _with_headers(exc: ApiError, headers: dict[str, str]) -> ApiError:
    exc.headers = headers
    return exc
