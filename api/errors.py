"""Errors raised by the API package itself (requests that cannot be served as sent).

Tree::

    ApiError
    ├── UploadTooLargeError      the body or file is over ``max_upload_bytes``   → 413
    ├── InvalidRequestError      parameters that do not fit together (indices
    │                            out of range, labels missing for ``evaluate``) → 422
    ├── AuthenticationError      no API key, or one that is not valid           → 401
    ├── PermissionDeniedError    a valid key that may not do this (admin only)  → 403
    ├── QuotaExceededError       a tenant's quota would be exceeded             → 429
    ├── InsecureConfigurationError  auth required without a usable admin key
    │                            (raised at start-up, never answered)
    └── DispatchError            the job broker cannot be reached               → 503

Errors of other packages (``dsrs_core``, ``models``, ``store``) are mapped to status codes
in :mod:`dsrs_api.error_handlers`, the one place that does so.
"""

from __future__ import annotations

__all__ = [
    "ApiError",
    "AuthenticationError",
    "DispatchError",
    "InsecureConfigurationError",
    "InvalidRequestError",
    "PermissionDeniedError",
    "QuotaExceededError",
    "UploadTooLargeError",
]


class ApiError(Exception):
    """Base class of every error raised by ``api``."""


class UploadTooLargeError(ApiError):
    def __init__(self, limit: int, rule: str = "DSRS_MAX_UPLOAD_BYTES") -> None:
        super().__init__(f"request body is larger than the limit of {limit} bytes ({rule})")
        self.limit = limit


class InvalidRequestError(ApiError, ValueError):
    """A request whose parts do not fit together; the message says what is allowed."""


class AuthenticationError(ApiError):
    """The request carries no valid ``X-API-Key``."""


class PermissionDeniedError(ApiError):
    """The key is valid but does not allow this request."""


class QuotaExceededError(ApiError):
    """Accepting the request would exceed a quota of the tenant; the message says which."""


class InsecureConfigurationError(ApiError):
    """The service was asked to start with auth required but without a usable admin key."""


class DispatchError(ApiError):
    """The job was stored but could not be handed to the workers."""
