"""How a job is cut into chunk tasks (the task's name: :mod:`dsrs_settings.task_names`)."""

from __future__ import annotations

__all__ = ["chunk_count", "chunk_range"]


def chunk_count(total: int, chunk_size: int) -> int:
    return -(-total // chunk_size)


def chunk_range(total: int, chunk_size: int, chunk_index: int) -> range:
    """Sample indices (positions in the job) of one chunk."""
    start = chunk_index * chunk_size
    return range(start, min(start + chunk_size, total))
