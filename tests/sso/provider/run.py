"""Starts the test OpenID Connect provider: `python -m tests.sso.provider.run KEYFILE DBFILE`.

Binds a free loopback port first (the issuer URL names it), migrates its own SQLite file,
registers the users and clients below, prints `READY <port>` and serves until killed."""

from __future__ import annotations

import os
import sys

from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler

# Clients the tests sign in through. Loopback redirect URIs match on any port (RFC 8252; for
# "localhost" too, see settings), so the live server's callback works whatever port it got;
# "testserver" is Django's test client.
REDIRECT_URIS = " ".join(
    f"{origin}{prefix}/readers/oidc/callback"
    for origin in ("http://127.0.0.1", "http://localhost", "http://testserver")
    for prefix in ("", "/p/internal")
)
CLIENTS = [
    # (client id, secret, skip the consent screen)
    ("status-reader", "reader-secret", True),
    ("other-app", "other-secret", True),
    ("asks-consent", "consent-secret", False),
]
USERS = [
    # (username, password, email, groups)
    ("alice", "alice-password", "alice@example.com", ["staff"]),
    ("bob", "bob-password", "bob@elsewhere.test", []),
]


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass


def main(key_file: str, db_file: str) -> None:
    server = ThreadedWSGIServer(("127.0.0.1", 0), QuietHandler)
    port = server.server_address[1]
    os.environ["OIDC_TEST_KEY"] = key_file
    os.environ["OIDC_TEST_DB"] = db_file
    os.environ["OIDC_TEST_ISSUER"] = f"http://127.0.0.1:{port}/o"
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.sso.provider.settings"

    import django

    django.setup()
    from django.contrib.auth.models import Group, User
    from django.core.management import call_command
    from django.core.wsgi import get_wsgi_application
    from oauth2_provider.models import Application

    call_command("migrate", verbosity=0, interactive=False)
    for username, password, email, groups in USERS:
        user = User.objects.create_user(username, email, password)
        for name in groups:
            user.groups.add(Group.objects.get_or_create(name=name)[0])
    for client_id, secret, skip in CLIENTS:
        Application.objects.create(
            name=client_id,
            client_id=client_id,
            client_secret=secret,
            client_type=Application.CLIENT_CONFIDENTIAL,
            authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
            redirect_uris=REDIRECT_URIS,
            algorithm=Application.RS256_ALGORITHM,
            skip_authorization=skip,
        )
    server.set_app(get_wsgi_application())
    print(f"READY {port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
