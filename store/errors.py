"""Errors raised by the persistence package.

Tree::

    StoreError
    ├── NotFoundError        a model or job id that does not exist
    ├── ConflictError        the request contradicts the stored state (e.g. cancel a
    │                        finished job, upload a model that already exists is NOT one:
    │                        uploads are content addressed and idempotent)
    └── ConfigurationError   settings that cannot work together (says which and why)
"""

from __future__ import annotations

__all__ = ["ConfigurationError", "ConflictError", "NotFoundError", "StoreError"]


class StoreError(Exception):
    """Base class of every error raised by ``store``."""


class NotFoundError(StoreError, LookupError):
    """No row with the requested id."""

    def __init__(self, kind: str, identifier: str) -> None:
        super().__init__(f"{kind} {identifier!r} does not exist")
        self.kind = kind
        self.identifier = identifier


class ConflictError(StoreError):
    """The requested transition is not allowed from the stored state."""


class ConfigurationError(StoreError):
    """Settings that cannot be used together."""
