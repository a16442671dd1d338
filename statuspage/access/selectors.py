"""Reads: an operator's role, what a key may do, and the lists the dashboard shows."""

from __future__ import annotations

import hmac

from django.contrib.auth import get_user_model
from django.db.models import QuerySet

from incidents import selectors as incident_selectors
from incidents.models import Page
from incidents.services import Actor
from statuspage.access.keys import PREFIX_LENGTH, key_digest, well_formed
from statuspage.access.models import ApiKey, Membership, PageMembership, Role, Scope

# The least role an owner needs for a key of theirs to use each scope.
SCOPE_ROLE = {
    Scope.READ: Role.VIEWER,
    Scope.INCIDENTS: Role.RESPONDER,
    Scope.COMPONENTS: Role.ADMIN,
    Scope.SUBSCRIBERS: Role.ADMIN,
}


def _install_role(user) -> Role | None:
    if user.is_superuser:
        return Role.ADMIN
    try:
        membership = user.dashboard_membership
    except Membership.DoesNotExist:
        return None
    return Role.ADMIN if membership.owner else Role(membership.role)


def _page_pk(page: Page | int) -> int:
    return page if isinstance(page, int) else page.pk


def role_of(user, page: Page | int | None = None) -> Role | None:
    """The user's role, or None when they have no access.

    With `page`: the higher of their install-wide role and their role on that page. Without:
    their install-wide role only (what applies on every page)."""
    if not user.is_authenticated or not user.is_active:
        return None
    install = _install_role(user)
    if page is None or install is Role.ADMIN:
        return install
    row = PageMembership.objects.filter(user=user, page_id=_page_pk(page)).first()
    on_page = Role(row.role) if row is not None else None
    roles = [r for r in (install, on_page) if r is not None]
    return max(roles, key=lambda r: r.rank) if roles else None


def has_role(user, needed: Role, page: Page | int | None = None) -> bool:
    role = role_of(user, page)
    return role is not None and role.rank >= needed.rank


def is_owner(user) -> bool:
    """Owners manage the install's pages: superusers, and memberships marked owner."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return Membership.objects.filter(user=user, owner=True).exists()


def has_any_role(user) -> bool:
    """An install-wide role or a role on at least one page (may open the dashboard)."""
    if not user.is_authenticated or not user.is_active:
        return False
    return _install_role(user) is not None or user.page_memberships.exists()


def pages_of(user) -> QuerySet[Page]:
    """The pages the user holds a role on (every page for an install-wide role), oldest
    first: the default page leads."""
    pages = Page.objects.order_by("pk")
    if not user.is_authenticated or not user.is_active:
        return pages.none()
    if _install_role(user) is not None:
        return pages
    return pages.filter(memberships__user=user)


def key_pages(key: ApiKey) -> QuerySet[Page]:
    """The pages a key may see: those it is scoped to that its owner holds a role on."""
    pages = pages_of(key.owner)
    if key.all_pages:
        return pages
    return pages.filter(pk__in=key.pages.values("pk"))


def key_page(key: ApiKey, public_id: str) -> Page | None:
    """The page with this public id if the key may see it, else None (one query): a page the
    key may not see and a page that does not exist look the same."""
    return key_pages(key).filter(public_id=public_id).first()


def operators() -> QuerySet:
    """Users who hold a role (a membership, or superuser), by username."""
    users = get_user_model().objects
    holders = users.filter(dashboard_membership__isnull=False) | users.filter(is_superuser=True)
    return holders.distinct().order_by("username")


def api_keys() -> QuerySet[ApiKey]:
    """Every key, newest first, with its owner (one query)."""
    return ApiKey.objects.select_related("owner")


def api_key_find(raw: str) -> ApiKey | None:
    """The active key `raw` names, if its owner still has a role, or None. Compares digests in
    constant time; reads only (services.api_key_authenticate also records the use)."""
    raw = (raw or "").strip()
    if not well_formed(raw):
        return None
    key = (
        ApiKey.objects.select_related("owner")
        .filter(prefix=raw[:PREFIX_LENGTH], revoked_at__isnull=True)
        .first()
    )
    if key is None or not hmac.compare_digest(key.digest, key_digest(raw)):
        return None
    if not has_any_role(key.owner):
        return None
    return key


def key_allows(key: ApiKey, scope: str, page: Page | int | None = None) -> bool:
    """The key holds `scope` and its owner's current role (on `page`, when given) still
    allows it. Without a page (routes that act wherever a component id leads, such as the
    integrations), only a key of every page with an install-wide role qualifies: a key
    scoped to some pages must not reach another page's objects through them."""
    if page is None and not key.all_pages:
        return False
    role = role_of(key.owner, page)
    return scope in key.scopes and role is not None and role.rank >= SCOPE_ROLE[Scope(scope)].rank


def key_allows_somewhere(key: ApiKey, scope: str) -> bool:
    """The key holds `scope` and its owner's role allows it on at least one page the key
    sees (for routes that name no page and show only the key's pages: the page list)."""
    if scope not in key.scopes:
        return False
    needed = SCOPE_ROLE[Scope(scope)].rank
    pages = key_pages(key)
    install = role_of(key.owner)
    if install is not None and install.rank >= needed:
        return pages.exists()
    rows = PageMembership.objects.filter(user=key.owner, page__in=pages)
    return any(Role(r.role).rank >= needed for r in rows)


def actor_for_key(key: ApiKey) -> Actor:
    """The audit trail's actor for a request made with this key."""
    return Actor(
        label=f"{key.owner.get_username()} (key {key.prefix})", via="api", user_id=key.owner_id
    )


def totp_issuer(device) -> str:
    """Authenticator apps label an operator's account with the page's name (read when a
    device is set up; settings.OTP_TOTP_ISSUER calls this)."""
    return f"{incident_selectors.page_get().name} status dashboard"
