"""Per-tenant upload slots: how many uploads of one tenant are checked at once.

Every upload is checked in a sandboxed child (:mod:`dsrs_models.sandbox`), and a process
runs at most ``MAX_CONCURRENT_CHILDREN`` of them; without a per-tenant share one tenant's
slow uploads held them all and another tenant's 1 KB upload waited for them (116 s seen).
A tenant may have ``DSRS_TENANT_MAX_CONCURRENT_UPLOADS`` uploads checked at once (default
1, below the process's children, so another tenant always finds a child free within one
probe's time limit); one more is answered 429 at once instead of holding a server
thread while it waits. The admin (and every caller when API keys are
off) is not limited here.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request

from dsrs_api.authentication import Principal
from dsrs_api.dependencies import get_principal
from dsrs_api.errors import QuotaExceededError

__all__ = ["UploadSlots", "upload_slot"]


class UploadSlots:
    """Counts of the uploads each tenant has in the check now."""

    def __init__(self, per_tenant: int) -> None:
        self.per_tenant = per_tenant
        self._lock = threading.Lock()
        self._held: Counter[str] = Counter()

    def held(self, tenant_id: str) -> int:
        with self._lock:
            return self._held[tenant_id]

    def acquire(self, tenant_id: str) -> None:
        with self._lock:
            if self._held[tenant_id] >= self.per_tenant:
                raise QuotaExceededError(
                    f"this tenant already has {self._held[tenant_id]} upload(s) being checked "
                    f"(quota {self.per_tenant} at once, DSRS_TENANT_MAX_CONCURRENT_UPLOADS); "
                    "send the next one when an upload has been answered"
                )
            self._held[tenant_id] += 1

    def release(self, tenant_id: str) -> None:
        with self._lock:
            self._held[tenant_id] -= 1
            if self._held[tenant_id] <= 0:
                del self._held[tenant_id]


def upload_slot(
    request: Request, principal: Annotated[Principal, Depends(get_principal)]
) -> Iterator[None]:
    """A route dependency: holds one of the caller's upload slots while the route runs."""
    if principal.tenant_id is None:
        yield
        return
    slots: UploadSlots = request.app.state.upload_slots
    slots.acquire(principal.tenant_id)
    try:
        yield
    finally:
        slots.release(principal.tenant_id)
