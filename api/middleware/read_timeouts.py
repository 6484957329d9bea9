"""Time limits on reading a request, so slow clients cannot hold connections open.

Uvicorn closes a keep-alive connection that stays idle after a response
(``timeout_keep_alive``) but waits forever for a request's head, and the app waits forever
for its body: 1,500 sockets sending a byte now and then were kept open for 90 s. Here:

* :func:`timed_h11_protocol`: uvicorn's h11 protocol with a deadline for each request's
  line and headers: a connection that has not sent a complete head within
  ``DSRS_HEADER_TIMEOUT_S`` of connecting (or of its previous response) is closed;
* :class:`BodyReadTimeout`: an ASGI middleware that answers 408 when
  ``DSRS_BODY_IDLE_TIMEOUT_S`` pass without a byte of the body arriving;
* :func:`uvicorn_options`: the options every server of the service starts with (``dsrs
  serve``, the demo and the tests' background server), these two included.
"""

from __future__ import annotations

import asyncio
from typing import Any

import h11
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol

from dsrs_settings.api import ApiSettings

__all__ = ["BodyReadTimeout", "timed_h11_protocol", "uvicorn_options"]

#: Seconds an idle keep-alive connection stays open after a response (uvicorn's option).
KEEP_ALIVE_S = 5
#: Largest request head h11 buffers (bytes); beyond, the connection is refused.
MAX_HEAD_BYTES = 64 * 1024


def uvicorn_options(settings: ApiSettings) -> dict[str, Any]:
    """Keyword arguments of ``uvicorn.Config`` / ``uvicorn.run`` for ``settings``."""
    return {
        "http": timed_h11_protocol(settings.header_timeout_s),
        "timeout_keep_alive": KEEP_ALIVE_S,
        "h11_max_incomplete_event_size": MAX_HEAD_BYTES,
    }


def timed_h11_protocol(header_timeout_s: float) -> type[H11Protocol]:
    """Uvicorn's h11 protocol, closing a connection whose request head is not complete
    ``header_timeout_s`` after the connection opened or its last response ended."""

    class TimedH11Protocol(H11Protocol):
        _head_timer: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._arm_head_timer()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            self._arm_head_timer()

        def connection_lost(self, exc: Exception | None) -> None:
            if self._head_timer is not None:
                self._head_timer.cancel()
            super().connection_lost(exc)

        def _arm_head_timer(self) -> None:
            if self._head_timer is not None:
                self._head_timer.cancel()
            self._head_timer = self.loop.call_later(header_timeout_s, self._head_overdue)

        def _head_overdue(self) -> None:
            self._head_timer = None
            # IDLE: the next request's head has not (completely) arrived.
            if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
                self.transport.close()

    return TimedH11Protocol


class BodyReadTimeout:
    """408 when a request body stalls for ``idle_timeout_s`` between two of its parts."""

    def __init__(self, app: ASGIApp, idle_timeout_s: float) -> None:
        self.app = app
        self.idle_timeout_s = idle_timeout_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body_complete = False

        async def timed_receive() -> Message:
            nonlocal body_complete
            if body_complete:  # e.g. a streaming response waiting for the disconnect
                return await receive()
            try:
                message = await asyncio.wait_for(receive(), self.idle_timeout_s)
            except TimeoutError:
                # Raised where the route reads its body: FastAPI answers it as it is.
                raise HTTPException(
                    408,
                    f"no part of the request body arrived for {self.idle_timeout_s:g} s "
                    "(DSRS_BODY_IDLE_TIMEOUT_S)",
                ) from None
            body_complete = message["type"] != "http.request" or not message.get("more_body")
            return message

        await self.app(scope, timed_receive, send)
