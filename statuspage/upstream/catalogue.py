"""Well-known providers whose status pages are Statuspage pages (they answer
/api/v2/summary.json), offered when adding a provider. Name, status page URL."""

from __future__ import annotations

CATALOGUE: tuple[tuple[str, str], ...] = (
    ("Atlassian Bitbucket", "https://bitbucket.status.atlassian.com"),
    ("Cloudflare", "https://www.cloudflarestatus.com"),
    ("DigitalOcean", "https://status.digitalocean.com"),
    ("Discord", "https://discordstatus.com"),
    ("Dropbox", "https://status.dropbox.com"),
    ("GitHub", "https://www.githubstatus.com"),
    ("Jira Software", "https://jira-software.status.atlassian.com"),
    ("npm", "https://status.npmjs.org"),
    ("Reddit", "https://www.redditstatus.com"),
    ("Twilio", "https://status.twilio.com"),
    ("Vercel", "https://www.vercel-status.com"),
)


def catalogue_name(url: str) -> str | None:
    """The catalogue's name for a status page URL, or None."""
    wanted = url.rstrip("/")
    return next((name for name, known in CATALOGUE if known == wanted), None)
