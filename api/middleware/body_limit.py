"""Reject request bodies over their route's limit while they stream in (HTTP 413).

The upload routes (``POST /v1/models``, ``POST /v1/inputs``) take files up to
``DSRS_MAX_UPLOAD_BYTES``; every other request (JSON bodies) at most
:data:`JSON_BODY_LIMIT_BYTES`. A declared ``Content-Length`` over the limit is refused
before any byte is read; a body without one (chunked) is counted as it arrives and refused
as soon as it passes the limit, so an oversize body is never buffered, parsed or written in
full.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dsrs_api.errors import UploadTooLargeError

__all__ = ["JSON_BODY_LIMIT_BYTES", "MULTIPART_OVERHEAD_BYTES", "UPLOAD_ROUTES", "BodySizeLimit"]

#: Room for multipart boundaries and form fields around a file of exactly the limit.
MULTIPART_OVERHEAD_BYTES = 64 * 1024
#: Largest body of any other request (a job with 10,000 explicit indices is ~70 kB).
JSON_BODY_LIMIT_BYTES = 1024 * 1024
#: ``(method, path)`` of the routes that take a file.
UPLOAD_ROUTES = frozenset({("POST", "/v1/models"), ("POST", "/v1/inputs")})


class BodySizeLimit:
    def __init__(self, app: ASGIApp, max_upload_bytes: int) -> None:
        self.app = app
        self.file_limit = max_upload_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if (scope["method"], scope["path"].rstrip("/")) in UPLOAD_ROUTES:
            limit, body_limit, rule = (
                self.file_limit,
                self.file_limit + MULTIPART_OVERHEAD_BYTES,
                "DSRS_MAX_UPLOAD_BYTES",
            )
        else:
            limit = body_limit = JSON_BODY_LIMIT_BYTES
            rule = "the limit of every request that is not a file upload"
        declared = _content_length(scope)
        if declared is not None and declared > body_limit:
            await _refuse(send, limit, rule)
            return
        received = 0
        refused = False

        async def limited_receive() -> Message:
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > body_limit:
                    # Answer now; the application sees a client that went away and
                    # whatever it tries to send afterwards is dropped.
                    refused = True
                    await _refuse(send, limit, rule)
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            if not refused:
                await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except Exception:
            if not refused:
                raise


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _refuse(send: Send, limit: int, rule: str) -> None:
    error = UploadTooLargeError(limit, rule)
    body = json.dumps({"detail": str(error), "error": type(error).__name__}).encode()
    headers: list[Any] = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
    ]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})
