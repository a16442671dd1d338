"""Readers' single sign-on: /readers/oidc/start sends the reader to the page's provider,
/readers/oidc/callback takes them back, writes their session entry and returns them to the
page they came for. Never cached, never a public document."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from incidents import selectors as incident_selectors
from incidents.models import Page
from statuspage.readers.access import grant
from statuspage.sso import flow, selectors
from statuspage.sso.models import OidcProvider


def _page(request: HttpRequest) -> Page:
    route = getattr(request, "status_page", None)
    if route is None:
        return incident_selectors.page_default()
    return Page.objects.get(pk=route.id)


def _provider(page: Page) -> OidcProvider:
    provider = selectors.provider_for_page(page.pk)
    if provider is None:
        raise Http404("This page has no single sign-on.")
    return provider


def safe_next(value: str | None) -> str:
    """`value` when it is a path on this page (under its /p/<slug>/ prefix when the request
    came through one), else the page's front page: never another site, nor another page."""
    home = reverse("public-index")
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")):
        return home
    if not url_has_allowed_host_and_scheme(value, allowed_hosts=set()):
        return home
    # reverse() carries the page's prefix: the front page's path is the page's root. At the
    # root, /p/<slug>/ would be another page.
    if not value.startswith(home) or (home == "/" and value.startswith("/p/")):
        return home
    return value


def _failed(request: HttpRequest, page: Page, error: flow.SignInError) -> HttpResponse:
    context = {
        "page": page,
        "title": error.title,
        "message": error.message,
        "retry": reverse("reader-oidc-start"),
    }
    return render(request, "sso/failed.html", context, status=error.status)


@require_GET
@never_cache
def oidc_start(request: HttpRequest) -> HttpResponse:
    page = _page(request)
    provider = _provider(page)
    redirect_uri = request.build_absolute_uri(reverse("reader-oidc-callback"))
    try:
        url = flow.begin(
            request,
            provider,
            redirect_uri=redirect_uri,
            next_path=safe_next(request.GET.get("next")),
        )
    except flow.SignInError as error:
        return _failed(request, page, error)
    return HttpResponseRedirect(url)


@require_GET
@never_cache
def oidc_callback(request: HttpRequest) -> HttpResponse:
    page = _page(request)
    provider = _provider(page)
    try:
        signed_in = flow.finish(request, provider, request.GET.dict())
    except flow.SignInError as error:
        return _failed(request, page, error)
    grant(request, page.pk, identity=signed_in.identity, method="oidc", claims=signed_in.claims)
    return HttpResponseRedirect(signed_in.next_path)
