"""Serialised answers of the polled job endpoints, kept in-process, with ETags.

A *succeeded* job never changes again: its status and every result page are final (all
rows are stored, rows are written once and never updated, and no transition leaves
``succeeded``). Their serialised bodies are kept until evicted (least recently used,
bounded by bytes), so a poller costs no database round trip and no serialisation.

Any other job (queued, running, and also failed or cancelled, which a worker finishing
its current input may still add a row to) is kept only ``LIVE_TTL_S`` seconds, which is
0: such answers are never reused. (Even a short reuse is wrong for pollers: a client
that sees ``succeeded`` in a fresh status and then asks for the results must get every
row, not a page cached while the job still ran.)

Each entry remembers the job's owner, read from the database with the job (a job's owner
never changes), so a cached body is only handed to its owner or the admin: another tenant's
request goes to the database like one for an unknown id, and gets the same 404 by the same
queries (no faster answer tells it that the id exists).

Every answer carries a strong ``ETag`` (a digest of the body); a request whose
``If-None-Match`` names it gets ``304 Not Modified`` without the body.
"""

from __future__ import annotations

import hashlib
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any

from fastapi import Response

from dsrs_store.errors import NotFoundError

__all__ = [
    "FINAL_CACHE_CONTROL",
    "LIVE_CACHE_CONTROL",
    "LIVE_TTL_S",
    "CachedBody",
    "ResponseCache",
    "etag_of",
    "respond",
]

#: Longest time an answer about a job that is not ``succeeded`` is reused: never.
LIVE_TTL_S = 0.0
#: Bytes of bodies kept per process; a body larger than an eighth of it is not kept.
DEFAULT_MAX_BYTES = 64 * 1024 * 1024
#: Final answers: a browser may keep them (only for the same key: ``Vary: X-API-Key``).
FINAL_CACHE_CONTROL = "private, max-age=86400"
#: Everything else: revalidate every time (the ETag makes that a 304 when unchanged).
LIVE_CACHE_CONTROL = "private, no-cache"
FINAL_STATUS = "succeeded"


def etag_of(body: bytes) -> str:
    return '"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"'


@dataclass(frozen=True)
class CachedBody:
    """One serialised answer and what is needed to hand it out safely."""

    owner_id: str | None
    body: bytes
    media_type: str
    final: bool
    etag: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        *,
        owner_id: str | None,
        body: bytes,
        media_type: str,
        status: str,
        headers: Mapping[str, str] | None = None,
    ) -> CachedBody:
        return cls(
            owner_id=owner_id,
            body=body,
            media_type=media_type,
            final=status == FINAL_STATUS,
            etag=etag_of(body),
            headers=dict(headers or {}),
        )

    def visible_to(self, tenant_id: str | None) -> bool:
        """Whether ``tenant_id`` owns the job; None = the admin or a service without auth,
        who see every job."""
        return tenant_id is None or tenant_id == self.owner_id

    def check_owner(self, tenant_id: str | None, job_id: str) -> None:
        """404 (as from the database) unless :meth:`visible_to` ``tenant_id``."""
        if not self.visible_to(tenant_id):
            raise NotFoundError("job", job_id)


class ResponseCache:
    """Thread-safe LRU of :class:`CachedBody` by key, bounded by total body bytes."""

    def __init__(
        self,
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
        live_ttl_s: float = LIVE_TTL_S,
        clock=time.monotonic,  # type: ignore[no-untyped-def]
    ) -> None:
        self.max_bytes = max_bytes
        self.live_ttl_s = live_ttl_s
        self._clock = clock
        self._entries: OrderedDict[Hashable, tuple[CachedBody, float]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        #: Answers being computed, by (tenant, key): used on the event loop only.
        self.in_flight: dict[Hashable, Any] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: Hashable) -> CachedBody | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry[1] <= self._clock():
                self._drop(key)
                return None
            self._entries.move_to_end(key)
            return entry[0]

    def put(self, key: Hashable, value: CachedBody) -> None:
        if len(value.body) > self.max_bytes // 8:
            return
        if not value.final and self.live_ttl_s <= 0:
            return
        expires = math.inf if value.final else self._clock() + self.live_ttl_s
        with self._lock:
            self._drop(key)
            self._entries[key] = (value, expires)
            self._bytes += len(value.body)
            while self._bytes > self.max_bytes and self._entries:
                self._drop(next(iter(self._entries)))

    def forget_job(self, job_id: str) -> None:
        """Drop every answer about ``job_id`` (keys are tuples whose second item is it)."""
        with self._lock:
            for key in [k for k in self._entries if isinstance(k, tuple) and k[1:2] == (job_id,)]:
                self._drop(key)

    def _drop(self, key: Hashable) -> None:
        entry = self._entries.pop(key, None)
        if entry is not None:
            self._bytes -= len(entry[0].body)


def _matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    for candidate in if_none_match.split(","):
        candidate = candidate.strip()
        if candidate == "*" or candidate.removeprefix("W/") == etag:
            return True
    return False


def respond(cached: CachedBody, if_none_match: str | None) -> Response:
    """The answer for ``cached``: 304 when the client already has this body, else 200."""
    headers = {
        "ETag": cached.etag,
        "Cache-Control": FINAL_CACHE_CONTROL if cached.final else LIVE_CACHE_CONTROL,
        "Vary": "X-API-Key",
        **cached.headers,
    }
    if _matches(if_none_match, cached.etag):
        return Response(status_code=304, headers=headers)
    return Response(cached.body, media_type=cached.media_type, headers=headers)
