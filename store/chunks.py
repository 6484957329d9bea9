"""How a job is cut into chunk tasks, and the task's name (the API enqueues by name)."""

from __future__ import annotations

__all__ = ["CERTIFY_CHUNK_TASK", "chunk_count", "chunk_range"]

#: Celery task name shared by the API (producer) and the worker (consumer).
CERTIFY_CHUNK_TASK = "dsrs.certify_chunk"


def chunk_count(total: int, chunk_size: int) -> int:
    return -(-total // chunk_size)


def chunk_range(total: int, chunk_size: int, chunk_index: int) -> range:
    """Sample indices (positions in the job) of one chunk."""
    start = chunk_index * chunk_size
    return range(start, min(start + chunk_size, total))
