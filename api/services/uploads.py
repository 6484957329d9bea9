"""Copy an uploaded file to disk in chunks, hashing it and enforcing the size limit."""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from dsrs_api.errors import InvalidRequestError, UploadTooLargeError

__all__ = ["ReceivedFile", "receive_file"]

COPY_CHUNK_BYTES = 1024 * 1024


@dataclass(frozen=True)
class ReceivedFile:
    """An upload written to a temporary file under the storage directory."""

    path: Path
    filename: str
    sha256: str
    size_bytes: int

    def discard(self) -> None:
        self.path.unlink(missing_ok=True)


def receive_file(source: BinaryIO, filename: str, directory: Path, max_bytes: int) -> ReceivedFile:
    """Stream ``source`` into ``directory``; raises :class:`UploadTooLargeError` beyond
    ``max_bytes`` (the partial file is removed), :class:`InvalidRequestError` for a file
    name with a NUL character (names are stored as text)."""
    if "\x00" in filename:
        raise InvalidRequestError("the file name must not contain NUL (0x00) characters")
    directory.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    handle, name = tempfile.mkstemp(dir=directory, prefix="upload-", suffix=".part")
    path = Path(name)
    try:
        with os.fdopen(handle, "wb") as target:
            while chunk := source.read(COPY_CHUNK_BYTES):
                size += len(chunk)
                if size > max_bytes:
                    raise UploadTooLargeError(max_bytes)
                digest.update(chunk)
                target.write(chunk)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return ReceivedFile(path=path, filename=filename, sha256=digest.hexdigest(), size_bytes=size)
