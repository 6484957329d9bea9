"""Errors raised by the persistence package.

Tree::

    StoreError
    ├── NotFoundError        a model or job id that does not exist
    ├── AmbiguousIdError     an id prefix that several of the caller's rows start with
    ├── ConflictError        the request contradicts the stored state (e.g. cancel a
    │                        finished job, upload a model that already exists is NOT one:
    │                        uploads are content addressed and idempotent)
    └── ConfigurationError   settings that cannot work together (says which and why)
"""

from __future__ import annotations

__all__ = ["AmbiguousIdError", "ConfigurationError", "ConflictError", "NotFoundError", "StoreError"]


class StoreError(Exception):
    """Base class of every error raised by ``store``."""


class NotFoundError(StoreError, LookupError):
    """No row with the requested id."""

    def __init__(self, kind: str, identifier: str, *, prefix: bool = False) -> None:
        also = f" (no {kind} id starts with {identifier!r})" if prefix else ""
        super().__init__(f"{kind} {identifier!r} does not exist{also}")
        self.kind = kind
        self.identifier = identifier


class AmbiguousIdError(StoreError, LookupError):
    """An id prefix that more than one row (of those the caller can see) starts with."""

    def __init__(self, kind: str, prefix: str, candidates: list[str]) -> None:
        shown = ", ".join(candidates)
        super().__init__(
            f"{kind} id {prefix!r} is ambiguous: it could be {shown}"
            f"{' and more' if len(candidates) > 5 else ''}; give more characters"
        )
        self.kind = kind
        self.prefix = prefix
        self.candidates = candidates


class ConflictError(StoreError):
    """The requested transition is not allowed from the stored state."""


class ConfigurationError(StoreError):
    """Settings that cannot be used together."""
