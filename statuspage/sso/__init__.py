"""Single sign-on for readers of private pages over OpenID Connect (docs/pages.md)."""
