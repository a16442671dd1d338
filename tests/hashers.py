"""A test-only Argon2 hasher: the same algorithm and hash format as production's, with cost
parameters small enough that creating a user takes microseconds, not a quarter of a second
(Django's defaults use 100 MiB and two passes per hash, on purpose)."""

from django.contrib.auth.hashers import Argon2PasswordHasher


class FastArgon2PasswordHasher(Argon2PasswordHasher):
    time_cost = 1
    memory_cost = 64
    parallelism = 1
