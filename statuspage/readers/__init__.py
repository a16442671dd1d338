"""Readers of pages that are not public: the gate, sign-in (shared password, email magic link,
IP allowlist) and sign-out (docs/pages.md, "Private pages")."""
