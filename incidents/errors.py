"""The domain's one error type, importable by models and services alike."""

from __future__ import annotations


class ServiceError(Exception):
    """A change was refused; `message` is fit to show the operator, `field` names the input."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
