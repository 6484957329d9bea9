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

from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["ConcurrencyLimit"]


class ConcurrencyLimit:
    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit
        self._slots: asyncio.Semaphore | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self._slots is None:  # created on the server's event loop
            self._slots = asyncio.Semaphore(self.limit)
        async with self._slots:
            await self.app(scope, receive, send)
