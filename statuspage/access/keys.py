"""The API key format: an 8-character prefix (stored in clear) and a 32-character secret, both
lowercase base36, and the digest that is stored instead of the key."""

from __future__ import annotations

import hashlib
import secrets
import string

PREFIX_LENGTH = 8
SECRET_LENGTH = 32
ALPHABET = string.ascii_lowercase + string.digits
ALPHABET_SET = frozenset(ALPHABET)


def key_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def random_text(length: int) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def well_formed(raw: str) -> bool:
    """Anything but the key alphabet cannot match, and must not reach the database
    (PostgreSQL refuses NUL characters in text)."""
    return len(raw) == PREFIX_LENGTH + SECRET_LENGTH and set(raw) <= ALPHABET_SET
