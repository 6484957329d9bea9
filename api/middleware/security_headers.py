"""Security headers on every response of the service.

* ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: no-referrer`` and
  ``X-Frame-Options: DENY`` on every answer;
* a ``Content-Security-Policy`` on every answer that has none (the dashboard's pages set
  their own, :data:`dsrs_api.dashboard.routes.CONTENT_SECURITY_POLICY`): ``default-src 'none'``
  for JSON and other data;
* the interactive documentation (``/docs`` and its OAuth2 redirect page) is HTML whose
  scripts and style sheet are served by this server (:mod:`dsrs_api.routes.docs`) plus an inline
  block: its policy allows this origin and exactly the inline scripts of the page, by their
  sha256 (computed from the page as sent). Nothing is fetched from elsewhere.
"""

from __future__ import annotations

import base64
import hashlib
import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["DATA_POLICY", "SecurityHeaders", "docs_policy"]

DATA_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"
_DOCS_PATHS = frozenset({"/docs", "/docs/oauth2-redirect"})
_INLINE_SCRIPT = re.compile(
    rb"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.DOTALL | re.IGNORECASE
)
_ALWAYS = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
)


def docs_policy(html: bytes) -> str:
    """The policy of a documentation page: this origin, and its inline scripts by hash."""
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(s).digest()).decode() + "'"
        for s in _INLINE_SCRIPT.findall(html)
    )
    return (
        f"default-src 'none'; script-src 'self' {hashes}; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; connect-src 'self'; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    )


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"] in _DOCS_PATHS:
            await self._documentation(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = _secured(list(message.get("headers", [])), DATA_POLICY)
            await send(message)

        await self.app(scope, receive, with_headers)

    async def _documentation(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Buffer the (small) page to hash its inline scripts into its policy."""
        start: Message | None = None
        body = b""

        async def buffered(message: Message) -> None:
            nonlocal start, body
            if message["type"] == "http.response.start":
                start = message
                return
            if message["type"] == "http.response.body":
                body += message.get("body", b"")
                if not message.get("more_body", False) and start is not None:
                    start["headers"] = _secured(list(start.get("headers", [])), docs_policy(body))
                    await send(start)
                    await send({"type": "http.response.body", "body": body})
                return
            await send(message)

        await self.app(scope, receive, buffered)


def _secured(headers: list[tuple[bytes, bytes]], policy: str) -> list[tuple[bytes, bytes]]:
    present = {name.lower() for name, _ in headers}
    headers += [(name, value) for name, value in _ALWAYS if name not in present]
    if b"content-security-policy" not in present:
        headers.append((b"content-security-policy", policy.encode()))
    return headers
