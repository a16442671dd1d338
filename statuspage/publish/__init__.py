"""Render on write: every public document of the page, published to static targets (a local
directory, S3-compatible storage) after each committed change. docs/publishing.md."""
