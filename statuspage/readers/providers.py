"""Sign-in methods another app offers on a page's sign-in page (single sign-on, statuspage.sso).

The readers app does not import them: they register a finder here when their app is ready,
so the sign-in page lists whatever is installed and configured for the page."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class ProviderLink:
    display_name: str  # "Sign in with <display_name>"
    url_name: str  # the view that starts the sign-in; it is given ?next=


Finder = Callable[[int], "ProviderLink | None"]
finders: list[Finder] = []


def register(finder: Finder) -> None:
    if finder not in finders:
        finders.append(finder)


def links_for(page_id: int) -> list[ProviderLink]:
    return [link for finder in finders if (link := finder(page_id)) is not None]
