"""Who is asking: the ``X-API-Key`` header resolved to the admin or a tenant.

* auth disabled (``ApiSettings.auth_required`` is False: by default the embedded SQLite service
  without an admin key): every request is the anonymous operator, who sees everything.
* auth required: no key or an unknown/revoked key → 401; the admin key
  (``DSRS_ADMIN_API_KEY``) → the admin; a tenant's key → that tenant, whose database
  session sees only the tenant's rows (:mod:`dsrs_store.tenancy`).

Keys are compared as sha256 digests with :func:`hmac.compare_digest`. A tenant key found
in the database is remembered (by digest) for ``KEY_CACHE_TTL_S`` seconds, so a client that
polls does not cost a database round trip per request. The service refuses
to start (:func:`check_auth_configuration`) when auth is required and the admin key is
missing, short, low in estimated entropy (zxcvbn) or a well-known placeholder.
"""

from __future__ import annotations

import hmac
import math
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import APIKeyHeader

from dsrs_api.errors import AuthenticationError, InsecureConfigurationError, PermissionDeniedError
from dsrs_settings.api import ApiSettings
from dsrs_store.tenants import key_digest, tenant_of_key

__all__ = [
    "MIN_ADMIN_KEY_BITS",
    "MIN_ADMIN_KEY_LENGTH",
    "Principal",
    "VerifiedKeys",
    "authenticate",
    "check_auth_configuration",
    "key_entropy_bits",
    "require_admin",
]

MIN_ADMIN_KEY_LENGTH = 32
#: Least :func:`key_entropy_bits` of an admin key (32 random hex digits measure ~100).
MIN_ADMIN_KEY_BITS = 96
#: Characters of a key the estimator reads (the rest only adds to its strength).
ZXCVBN_MAX_LENGTH = 256
#: Placeholders that appear in examples; a service must not run with one as its admin key.
KNOWN_DEFAULT_KEYS = frozenset(
    {"changeme", "change-me", "admin", "secret", "password", "dsrs", "dsrs-admin", "test"}
)

#: How long a verified tenant key is trusted without asking the database again.
KEY_CACHE_TTL_S = 30.0
_KEY_CACHE_CAPACITY = 10_000

api_key_header = APIKeyHeader(
    name="X-API-Key",
    auto_error=False,
    description="A tenant's key (POST /v1/tenants/{id}/keys) or the admin key.",
)


@dataclass(frozen=True)
class Principal:
    """The caller. ``tenant_id`` None: the admin (or anyone, when auth is disabled)."""

    tenant_id: str | None
    is_admin: bool


ANONYMOUS = Principal(tenant_id=None, is_admin=True)
ADMIN = Principal(tenant_id=None, is_admin=True)


def check_auth_configuration(settings: ApiSettings) -> None:
    """Raise :class:`InsecureConfigurationError` when auth is required but the admin key is
    missing or guessable (the service must not start with a default secret)."""
    if not settings.auth_required:
        return
    key = settings.admin_api_key.get_secret_value() if settings.admin_api_key else ""
    if not key:
        raise InsecureConfigurationError(
            "API keys are required (DSRS_AUTH=required, or a database other than the "
            "embedded SQLite) but DSRS_ADMIN_API_KEY is not set; set it to a random key of "
            f"at least {MIN_ADMIN_KEY_LENGTH} characters (e.g. python -c 'import secrets; "
            "print(secrets.token_urlsafe(32))'), or set DSRS_AUTH=disabled on a trusted "
            "network only"
        )
    if (
        key.lower() in KNOWN_DEFAULT_KEYS
        or len(key) < MIN_ADMIN_KEY_LENGTH
        or key_entropy_bits(key) < MIN_ADMIN_KEY_BITS
    ):
        raise InsecureConfigurationError(
            f"DSRS_ADMIN_API_KEY must be a random key of at least {MIN_ADMIN_KEY_LENGTH} "
            f"characters with at least {MIN_ADMIN_KEY_BITS} bits of estimated entropy (not a "
            "placeholder, word, repeat, sequence or keyboard walk); e.g. python -c "
            "'import secrets; print(secrets.token_urlsafe(32))'"
        )


def key_entropy_bits(key: str) -> float:
    """Estimated guessing entropy of the key: log2 of the guesses zxcvbn (Wheeler, USENIX
    Security 2016) needs, which models dictionary words, repeats, sequences and keyboard
    walks (``"Password1!" * 3`` about 23 bits, a keyboard walk of 36 characters about 40;
    ``secrets.token_hex(16)`` about 100, ``secrets.token_urlsafe(32)`` about 140)."""
    from zxcvbn import zxcvbn

    return math.log2(zxcvbn(key, max_length=ZXCVBN_MAX_LENGTH)["guesses"])


async def authenticate(
    request: Request, key: Annotated[str | None, Depends(api_key_header)]
) -> Principal:
    """The principal of this request (also kept on ``request.state.principal``)."""
    principal = await _resolve(request, key)
    request.state.principal = principal
    return principal


async def _resolve(request: Request, key: str | None) -> Principal:
    settings: ApiSettings = request.app.state.settings
    if not settings.auth_required:
        return ANONYMOUS
    if not key:
        raise AuthenticationError("this endpoint needs an API key in the X-API-Key header")
    admin = settings.admin_api_key
    if admin is not None and hmac.compare_digest(
        key_digest(key), key_digest(admin.get_secret_value())
    ):
        return ADMIN
    tenant_id = _cached_tenant(request, key)
    if tenant_id is None:
        tenant_id = await run_in_threadpool(_tenant_of_key, request, key)
    if tenant_id is None:
        raise AuthenticationError("the API key in X-API-Key is not valid (unknown or revoked)")
    return Principal(tenant_id=tenant_id, is_admin=False)


class VerifiedKeys:
    """Tenant ids of recently verified keys, by key digest, each for ``ttl_s`` seconds."""

    def __init__(self, ttl_s: float = KEY_CACHE_TTL_S) -> None:
        self.ttl_s = ttl_s
        self._entries: OrderedDict[str, tuple[str, float]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, digest: str) -> str | None:
        with self._lock:
            entry = self._entries.get(digest)
            if entry is None or entry[1] < time.monotonic():
                self._entries.pop(digest, None)
                return None
            return entry[0]

    def put(self, digest: str, tenant_id: str) -> None:
        with self._lock:
            self._entries[digest] = (tenant_id, time.monotonic() + self.ttl_s)
            while len(self._entries) > _KEY_CACHE_CAPACITY:
                self._entries.popitem(last=False)


def _tenant_of_key(request: Request, key: str) -> str | None:
    verified: VerifiedKeys = request.app.state.verified_keys
    digest = key_digest(key)
    tenant_id = verified.get(digest)
    if tenant_id is not None:
        return tenant_id
    with request.app.state.session_factory() as session:
        tenant_id = tenant_of_key(session, key)
    if tenant_id is not None:
        verified.put(digest, tenant_id)
    return tenant_id


def _cached_tenant(request: Request, key: str) -> str | None:
    return request.app.state.verified_keys.get(key_digest(key))  # type: ignore[no-any-return]


async def require_admin(principal: Annotated[Principal, Depends(authenticate)]) -> Principal:
    if not principal.is_admin:
        raise PermissionDeniedError("only the admin key (DSRS_ADMIN_API_KEY) may do this")
    return principal
