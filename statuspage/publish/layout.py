"""Where each public document lives in a target: the origin's path, as a static server finds it.

- `/` is `index.html`; a path whose last segment has an extension keeps it as is
  (`/api/v2/summary.json` -> `api/v2/summary.json`, `/history.atom` -> `history.atom`);
- any other path is a folder with an `index.html` (`/history` -> `history/index.html`,
  `/incidents/abc` -> `incidents/abc/index.html`): what nginx's
  `try_files $uri $uri/index.html` serves;
- a document keyed by its query string (`/history?page=2`) gets the query, as the page links
  it, between the file's stem and its extension after an `@`: `history/index@page=2.html`,
  `api/v2/incidents@page=2.json`. docs/publishing.md shows the two nginx lines that map
  `$args` back.
"""

from __future__ import annotations

import functools
import re

# What a published query may hold: the characters the page's own links use (`page=2&from=25`,
# `component=<id>`, `theme=dark`). Anything else is not published (and nginx's map refuses it,
# so `$args` never reaches the file system with a `/` or a `..`).
QUERY = re.compile(r"[A-Za-z0-9=&_.-]{1,200}")
# A path segment of a published document: the app's paths hold nothing else.
SEGMENT = re.compile(r"[A-Za-z0-9_.@-]+")


class LayoutError(ValueError):
    """A path or query that has no place in a target."""


@functools.lru_cache(maxsize=65536)
def object_key(path: str, query: str = "") -> str:
    """The key (a relative file name, or an object name under the prefix) of `path?query`.
    Cached: a publish asks it for every link of every document, mostly the same few
    thousand (a LayoutError is raised anew each time)."""
    if not path.startswith("/"):
        raise LayoutError(f"not an absolute path: {path!r}")
    segments = [s for s in path.split("/")[1:]]
    if path.endswith("/"):
        segments = [*segments[:-1], "index.html"] if segments[:-1] else ["index.html"]
    elif "." not in segments[-1]:
        segments.append("index.html")
    if any(not SEGMENT.fullmatch(s) or s in (".", "..") for s in segments):
        raise LayoutError(f"not a publishable path: {path!r}")
    if query:
        if not QUERY.fullmatch(query):
            raise LayoutError(f"not a publishable query: {query!r}")
        stem, dot, ext = segments[-1].rpartition(".")
        segments[-1] = f"{stem}@{query}{dot}{ext}"
    return "/".join(segments)
