"""The readers' sign-in page of a page that is not public, its methods, and sign-out. Served
under `/readers/` of the page's host or prefix (the gate leaves them open)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from incidents.models import Page
from notifications.ratelimit import client_address
from statuspage.readers import access, feeds, providers, selectors, services


def _page(request: HttpRequest) -> Page:
    route = getattr(request, "status_page", None)
    if route is None:
        raise Http404("No such status page.")
    page = Page.objects.filter(pk=route.id).first()
    if page is None:
        raise Http404("No such status page.")
    return page


def _next(request: HttpRequest) -> str:
    """Where to go after signing in: a path on this site only (never another host)."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if (
        target.startswith("/")
        and not target.startswith("//")
        and url_has_allowed_host_and_scheme(target, allowed_hosts=None)
    ):
        return target
    return reverse("public-index")


def _signin_page(
    request: HttpRequest, page: Page, *, status: int = 200, **extra: object
) -> HttpResponse:
    row = selectors.settings_of(page.pk)
    context = {
        "page": page,
        "next": _next(request),
        "has_password": bool(row.password_hash),
        "has_magic_link": bool(row.magic_link_allowed.strip()),
        "has_ip": bool(row.ip_allowlist.strip()),
        "provider_links": providers.links_for(page.pk),
        "reader": access.reader_for(request, page.pk),
        **extra,
    }
    return render(request, "readers/signin.html", context, status=status)


@require_http_methods(["GET", "HEAD"])
def signin(request: HttpRequest) -> HttpResponse:
    page = _page(request)
    if page.visibility == "public":
        return HttpResponseRedirect(reverse("public-index"))
    return _signin_page(request, page)


@require_POST
def password(request: HttpRequest) -> HttpResponse:
    page = _page(request)
    attempt = services.password_attempt(
        page.pk, request.POST.get("password", ""), client_address(request)
    )
    if attempt.ok:
        access.grant(request, page.pk, identity="password", method="password")
        return HttpResponseRedirect(_next(request))
    if attempt.limited:
        message = _("Too many attempts. Wait a few minutes, then try again.")
        return _signin_page(request, page, status=429, password_error=message)
    message = _("That password is not right.")
    return _signin_page(request, page, status=400, password_error=message)


@require_POST
def link_request(request: HttpRequest) -> HttpResponse:
    page = _page(request)
    email = request.POST.get("email", "").strip()
    if "@" not in email or len(email) > 254:
        message = _("Enter an email address.")
        return _signin_page(request, page, status=400, email_error=message, email=email)

    def link_for(token: str) -> str:
        return request.build_absolute_uri(reverse("reader-link", args=[token]))

    services.magic_link_request(
        page=page, email=email, address=client_address(request), link_for=link_for
    )
    # The same answer whether or not the address is allowed: the list cannot be probed.
    message = _(
        "If %(email)s may read this page, a sign-in link is on its way. It works once, "
        "within 15 minutes."
    ) % {"email": email}
    return _signin_page(request, page, link_sent=message)


@require_http_methods(["GET", "HEAD", "POST"])
def link(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a button; only its POST uses the link up (mail scanners that open links
    must not spend a single-use link)."""
    page = _page(request)
    if request.method != "POST":
        return render(request, "readers/link.html", {"page": page, "token": token})
    email = services.magic_link_consume(page.pk, token)
    if email is None:
        message = _("This sign-in link has expired or was already used. Ask for a new one.")
        return _signin_page(request, page, status=400, email_error=message)
    access.grant(request, page.pk, identity=email, method="magic_link")
    return HttpResponseRedirect(reverse("public-index"))


@require_POST
def signout(request: HttpRequest) -> HttpResponse:
    page = _page(request)
    access.revoke(request, page.pk)
    return HttpResponseRedirect(reverse("reader-signin"))


FEED_DOCUMENTS = (
    ("Atom", "history.atom"),
    ("RSS", "history.rss"),
    ("iCal", "maintenance.ics"),
    ("JSON", "api/v2/summary.json"),
)


@require_http_methods(["GET", "HEAD", "POST"])
def feed_addresses(request: HttpRequest) -> HttpResponse:
    """The signed-in reader's secret feed addresses: make one (shown once), see and revoke
    theirs."""
    page = _page(request)
    reader = access.reader_for(request, page.pk)
    if reader is None:
        target = reverse("reader-signin") + "?next=" + reverse("reader-feeds")
        return HttpResponseRedirect(target)
    created: list[tuple[str, str]] = []
    if request.method == "POST":
        token = feeds.create(page.pk, reader)
        base = request.build_absolute_uri(reverse("reader-feeds")).removesuffix("/readers/feeds")
        created = [(label, f"{base}/readers/feed/{token}/{doc}") for label, doc in FEED_DOCUMENTS]
    context = {
        "page": page,
        "reader": reader,
        "created": created,
        "secrets": list(feeds.of_reader(page.pk, str(reader["identity"]))),
    }
    return render(request, "readers/feeds.html", context)


@require_POST
def feed_revoke(request: HttpRequest, secret_id: int) -> HttpResponse:
    page = _page(request)
    reader = access.reader_for(request, page.pk)
    if reader is None:
        return HttpResponseRedirect(reverse("reader-signin"))
    feeds.revoke_own(page.pk, str(reader["identity"]), secret_id)
    return HttpResponseRedirect(reverse("reader-feeds"))
