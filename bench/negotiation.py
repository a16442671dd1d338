#!/usr/bin/env python
"""Cost of choosing the form of `/` (statuspage/public/negotiation.py), which the WSGI fast path
pays on every request for `/`. Not a test: it prints figures.

    .venv/bin/python bench/negotiation.py [--calls 200000]

Prints microseconds per call for a browser, an agent and curl, with the per-Accept memo and
without it (the parse every request would pay otherwise).
"""

from __future__ import annotations

import argparse
import os
import sys
import timeit
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "statuspage.settings")
os.environ.setdefault("SECRET_KEY", "bench-only")

import django  # noqa: E402

django.setup()

from statuspage.public import negotiation  # noqa: E402

CLIENTS = {
    "browser (Chrome)": {
        "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,"
        "image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7",
        "User-Agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/131.0.0.0 Safari/537.36",
    },
    "agent (text/markdown)": {"Accept": "text/markdown, text/html;q=0.9", "User-Agent": "a/1"},
    "curl": {"Accept": "*/*", "User-Agent": "curl/8.5.0"},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200_000)
    calls = parser.parse_args().calls
    memo = negotiation._by_accept
    for name, headers in CLIENTS.items():
        timed = {}
        for label, choose in (("memo", memo), ("parse", memo.__wrapped__)):
            negotiation._by_accept = choose  # the module-level name front_page calls
            seconds = timeit.timeit(lambda h=headers: negotiation.front_page(h.get), number=calls)
            timed[label] = seconds / calls * 1e6
        negotiation._by_accept = memo
        print(f"{name:24} {timed['memo']:6.2f} us with the memo, {timed['parse']:6.2f} us parsing")


if __name__ == "__main__":
    main()
