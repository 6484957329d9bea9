"""Reject request bodies over the upload limit while they stream in (HTTP 413).

A declared ``Content-Length`` over the limit is refused before any byte is read; a body
without one (chunked) is counted as it arrives and refused as soon as it passes the limit,
so an oversize upload is never buffered or written in full.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dsrs_api.errors import UploadTooLargeError

__all__ = ["MULTIPART_OVERHEAD_BYTES", "BodySizeLimit"]

#: Room for multipart boundaries and form fields around a file of exactly the limit.
MULTIPART_OVERHEAD_BYTES = 64 * 1024


class BodySizeLimit:
    def __init__(self, app: ASGIApp, max_upload_bytes: int) -> None:
        self.app = app
        self.file_limit = max_upload_bytes
        self.body_limit = max_upload_bytes + MULTIPART_OVERHEAD_BYTES

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.body_limit:
            await _refuse(send, self.file_limit)
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
                if received > self.body_limit:
                    # Answer now; the application sees a client that went away and
                    # whatever it tries to send afterwards is dropped.
                    refused = True
                    await _refuse(send, self.file_limit)
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


async def _refuse(send: Send, limit: int) -> None:
    error = UploadTooLargeError(limit)
    body = json.dumps({"detail": str(error), "error": type(error).__name__}).encode()
    headers: list[Any] = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
    ]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})
