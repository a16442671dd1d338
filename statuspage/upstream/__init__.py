"""Upstream providers: other services' status pages (Statuspage-compatible summary.json, or an
Atom/RSS feed), polled; mapped local components follow them and their incidents are mirrored,
attributed and linked (docs/upstream.md)."""
