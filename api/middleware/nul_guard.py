"""Refuse a NUL character in a request's path or query string (HTTP 422).

No id, name or filter contains one, and PostgreSQL cannot even compare text with one, so
such a request is refused before any route runs, the same way on SQLite and PostgreSQL.
Text in request bodies is checked by its schema (:data:`dsrs_client.contract.Text`).
"""

from __future__ import annotations

import json
from urllib.parse import unquote_to_bytes

from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["NulGuard"]

MESSAGE = "the path and query must not contain NUL (0x00) characters"


class NulGuard:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and _has_nul(scope):
            body = json.dumps({"detail": MESSAGE, "error": "InvalidRequestError"}).encode()
            await send(
                {
                    "type": "http.response.start",
                    "status": 422,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(body)).encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)


def _has_nul(scope: Scope) -> bool:
    raw_path = scope.get("raw_path") or scope["path"].encode("utf-8", "surrogateescape")
    query = scope.get("query_string", b"")
    return any(b"\x00" in unquote_to_bytes(part) for part in (raw_path, query)) or (
        "\x00" in scope["path"]
    )
