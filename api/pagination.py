"""Bounds of the list parameters shared by the list endpoints."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

__all__ = ["MAX_OFFSET", "Offset"]

#: Largest ``offset`` accepted; larger values (which no list reaches) would overflow the
#: database's 64-bit integers.
MAX_OFFSET = 1_000_000_000

Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Rows to skip")]
