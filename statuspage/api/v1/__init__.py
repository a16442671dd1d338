"""/api/v1/: the authenticated management API, shaped like Statuspage's
(shared/reference/statuspage-api.md, section 4)."""
