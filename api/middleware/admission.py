"""Admission control: at most ``limit`` requests are served at once by this process.

Sync routes run in a thread pool (40 threads) while database connections come from a
smaller pool; a request can hold a connection while it waits for a thread (to serialise
its answer, or to close its session). With more requests in flight than connections, every
thread can end up waiting for a connection held by a request that waits for a thread: the
server stops answering. Keeping requests in flight at or below the connection pool's size
makes that impossible; the others wait here, on the event loop, holding nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["ConcurrencyLimit", "Slots"]


class Slots:
    """An ``asyncio.Semaphore`` of ``limit``, created on first use on the server's loop."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._semaphore: asyncio.Semaphore | None = None

    async def __aenter__(self) -> None:
        if self._semaphore is None:
            self._semaphore = asyncio.Semaphore(self.limit)
        await self._semaphore.acquire()

    async def __aexit__(self, *_exc: object) -> None:
        assert self._semaphore is not None
        self._semaphore.release()


class ConcurrencyLimit:
    """``exempt(scope)``: requests that admit themselves (they take one of ``slots`` only
    around their database work, in one worker thread that also gives the connection back,
    so they can never hold a connection while waiting for a thread; answers served from
    memory then never queue behind slow requests)."""

    def __init__(
        self,
        app: ASGIApp,
        limit: int,
        slots: Slots | None = None,
        exempt: Callable[[Scope], bool] | None = None,
    ) -> None:
        self.app = app
        self.limit = limit
        self._slots = slots or Slots(limit)
        self._exempt = exempt

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or (self._exempt is not None and self._exempt(scope)):
            await self.app(scope, receive, send)
            return
        async with self._slots:
            await self.app(scope, receive, send)
